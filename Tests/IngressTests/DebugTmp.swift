import Testing
import NIOPosix
@testable import Ingress

@Test func debugBackendEcho() async throws {
    let ws = try await TestBackend.start("ws", group: testGroup)
    let c = try await TestClient.connect(port: ws.port, group: testGroup)
    try await c.send("GET /chat HTTP/1.1\r\nHost: w.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
    let r = try await c.response()
    #expect(r.status == 101)
    try await c.send("hello")
    #expect(try await c.raw(count: 10) == "echo:hello")
    await c.close()
    await ws.stop()
}
