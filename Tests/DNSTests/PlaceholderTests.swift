import Testing
@testable import DNS
@Test func placeholder() { #expect(true) }
