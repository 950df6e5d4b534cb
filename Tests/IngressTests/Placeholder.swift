import Testing
@testable import Ingress
