import Foundation
import KubeAPI
import NIOCore
import NIOPosix
import Testing

@testable import Ingress

/// Real sockets on 127.0.0.1: the proxy in front of in-process NIO backends.
@Suite(.serialized) struct LoopbackTests {
    var group: MultiThreadedEventLoopGroup { testGroup }

    @Test func routesByHostAndPathAnd404sTheRest() async throws {
        let api = try await TestBackend.start("api", group: group)
        let web = try await TestBackend.start("web", group: group)
        let other = try await TestBackend.start("other", group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [
                    Obj.ingress(
                        "shop",
                        rules: [
                            Obj.rule("shop.test", [Obj.path("/api", "api"), Obj.path("/", "web")]),
                            Obj.rule("other.test", [Obj.path("/exact", "other", type: "Exact")]),
                        ]),
                    Obj.service("api"), Obj.service("web"), Obj.service("other"),
                ] + Obj.slices("api", ready: [("127.0.0.1", api.port)])
                    + Obj.slices("web", ready: [("127.0.0.1", web.port)])
                    + Obj.slices("other", ready: [("127.0.0.1", other.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            let cases: [(String, String, String?)] = [
                ("shop.test", "/api/v1/items?x=1", "api"), ("SHOP.test:80", "/api", "api"),
                ("shop.test", "/apis", "web"), ("shop.test", "/", "web"), ("other.test", "/exact", "other"),
                ("other.test", "/exact/", nil), ("nobody.test", "/", nil),
            ]
            for (host, path, expected) in cases {
                let r = try await fetch(port: port, group: group, host: host, path: path)
                if let expected {
                    #expect(r.status == 200 && r.backend == expected, "\(host)\(path)")
                    #expect(r.body.contains("uri=\(path)\n"), "request-target forwarded unchanged")
                } else {
                    #expect(r.status == 404, "\(host)\(path)")
                    #expect(r.body.contains("<h1>404 Not Found</h1>"))
                    #expect(r.header("server") == "ferry")
                }
            }
        }
        for b in [api, web, other] { await b.stop() }
    }

    @Test func forwardsHeadersLikeIngressNginx() async throws {
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [Obj.ingress("shop", rules: [Obj.rule("shop.test", [Obj.path("/", "web")])]), Obj.service("web")]
                    + Obj.slices("web", ready: [("127.0.0.1", web.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            let r = try await fetch(
                port: port, group: group, host: "shop.test", path: "/a?b=c",
                headers: [
                    "Connection: close, X-Drop-Me", "X-Drop-Me: 1", "Keep-Alive: timeout=5", "TE: trailers",
                    "Proxy-Authorization: Basic Zm9v", "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Host: evil.test",
                    "X-Real-IP: 6.6.6.6", "Accept: text/plain",
                ])
            #expect(r.status == 200)
            #expect(r.upstreamHeader("host") == ["shop.test"])
            #expect(r.upstreamHeader("x-forwarded-for") == ["203.0.113.7, 127.0.0.1"])
            #expect(r.upstreamHeader("x-real-ip") == ["127.0.0.1"])
            #expect(r.upstreamHeader("x-forwarded-host") == ["shop.test"])
            #expect(r.upstreamHeader("x-forwarded-port") == ["\(port)"])
            #expect(r.upstreamHeader("x-forwarded-proto") == ["http"])
            #expect(r.upstreamHeader("accept") == ["text/plain"])
            for gone in ["x-drop-me", "keep-alive", "te", "proxy-authorization", "connection"] {
                #expect(r.upstreamHeader(gone).isEmpty, "\(gone) must not reach the backend")
            }
            let id = r.upstreamHeader("x-request-id")
            #expect(id.count == 1 && id[0].count == 32 && id[0].allSatisfy(\.isHexDigit))
            // The backend sent neither Server nor Date.
            #expect(r.header("server") == "ferry")
            #expect(r.header("date")?.hasSuffix(" GMT") == true)

            let kept = try await fetch(
                port: port, group: group, host: "shop.test", headers: ["X-Request-ID: trace-abc-123"])
            #expect(kept.upstreamHeader("x-request-id") == ["trace-abc-123"])

            let posted = try await fetch(port: port, group: group, host: "shop.test", method: "POST", body: "payload!")
            #expect(posted.body.contains("body=payload!\n"))
        }
        await web.stop()
    }

    @Test func roundRobinAcrossThreeEndpoints() async throws {
        var backends: [TestBackend] = []
        for n in ["b1", "b2", "b3"] { backends.append(try await TestBackend.start(n, group: group)) }
        let source = FakeClusterSource(
            Obj.snapshot(
                [Obj.ingress("rr", rules: [Obj.rule("rr.test", [Obj.path("/", "rr")])]), Obj.service("rr")]
                    + Obj.slices("rr", ready: backends.map { ("127.0.0.1", $0.port) })))
        try await withIngress(source, group: group) { _, port, _ in
            var seen: [String] = []
            for _ in 0..<9 {
                let r = try await fetch(port: port, group: group, host: "rr.test")
                seen.append(r.backend ?? "?")
            }
            let counts = Dictionary(grouping: seen, by: { $0 }).mapValues(\.count)
            #expect(counts == ["b1": 3, "b2": 3, "b3": 3])
            // Strict rotation: every window of three distinct.
            for i in 0..<7 { #expect(Set(seen[i..<(i + 3)]).count == 3, "\(seen)") }
        }
        for b in backends { await b.stop() }
    }

    @Test func retriesADeadEndpointAndSkipsItAfterwards() async throws {
        let live = try await TestBackend.start("live", group: group)
        let dead = try await deadPort(group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [Obj.ingress("r", rules: [Obj.rule("r.test", [Obj.path("/", "r")])]), Obj.service("r")]
                    + Obj.slices("r", ready: [("127.0.0.1", dead), ("127.0.0.1", live.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            for method in ["GET", "POST", "GET", "DELETE"] {
                let r = try await fetch(port: port, group: group, host: "r.test", method: method, body: "x")
                #expect(r.status == 200 && r.backend == "live", "\(method)")
            }
            #expect(live.requests.load(ordering: .relaxed) == 4)
        }
        await live.stop()
    }

    @Test func allEndpointsDeadIs502AndNoEndpointsIs503() async throws {
        let dead = try await deadPort(group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [
                    Obj.ingress(
                        "x",
                        rules: [
                            Obj.rule("dead.test", [Obj.path("/", "dead")]),
                            Obj.rule("none.test", [Obj.path("/", "none")]),
                        ]),
                    Obj.service("dead"), Obj.service("none"),
                ] + Obj.slices("dead", ready: [("127.0.0.1", dead)])))
        try await withIngress(source, group: group) { _, port, _ in
            let r = try await fetch(port: port, group: group, host: "dead.test")
            #expect(r.status == 502 && r.body.contains("502 Bad Gateway"))
            let n = try await fetch(port: port, group: group, host: "none.test")
            #expect(n.status == 503 && n.body.contains("503 Service Unavailable"))
        }
    }

    @Test func terminatingEndpointsAreOnlyAFallback() async throws {
        let ready = try await TestBackend.start("ready", group: group)
        let draining = try await TestBackend.start("draining", group: group)
        let objects: [JSON] = [Obj.ingress("t", rules: [Obj.rule("t.test", [Obj.path("/", "t")])]), Obj.service("t")]
        let source = FakeClusterSource(
            Obj.snapshot(
                objects
                    + Obj.slices("t", ready: [("127.0.0.1", ready.port)], terminating: [("127.0.0.1", draining.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            for _ in 0..<3 { #expect(try await fetch(port: port, group: group, host: "t.test").backend == "ready") }
            source.publish(
                Obj.snapshot(
                    objects + Obj.slices("t", ready: [], terminating: [("127.0.0.1", draining.port)]), version: 2))
            try await eventually { try await fetch(port: port, group: group, host: "t.test").backend == "draining" }
        }
        await ready.stop()
        await draining.stop()
    }

    @Test func swapsRoutesWithoutDroppingAKeepAliveConnection() async throws {
        let one = try await TestBackend.start("one", group: group)
        let two = try await TestBackend.start("two", group: group)
        let base: [JSON] =
            [Obj.service("one"), Obj.service("two")] + Obj.slices("one", ready: [("127.0.0.1", one.port)])
            + Obj.slices("two", ready: [("127.0.0.1", two.port)])
        let source = FakeClusterSource(
            Obj.snapshot(base + [Obj.ingress("s", rules: [Obj.rule("s.test", [Obj.path("/", "one")])])]))
        try await withIngress(source, group: group) { server, port, _ in
            let c = try await TestClient.connect(port: port, group: group)
            try await c.send("GET / HTTP/1.1\r\nHost: s.test\r\n\r\n")
            #expect(try await c.response().backend == "one")
            let reports = server.buildReports()
            source.publish(
                Obj.snapshot(base + [Obj.ingress("s", rules: [Obj.rule("s.test", [Obj.path("/", "two")])])], version: 2)
            )
            let report = try await withTimeout(.seconds(5)) {
                var it = reports.makeAsyncIterator()
                return await it.next()
            }
            #expect(report?.snapshotVersion == 2 && report?.accepted.map(\.name) == ["s"])
            #expect(server.latestBuildReport().snapshotVersion == 2)
            try await c.send("GET / HTTP/1.1\r\nHost: s.test\r\n\r\n")
            #expect(try await c.response().backend == "two")
            #expect(!c.isClosed)
            await c.close()
        }
        await one.stop()
        await two.stop()
    }

    @Test func reportsProblemsOfTheLatestBuild() async throws {
        let source = FakeClusterSource(
            Obj.snapshot([
                Obj.ingress(
                    "broken", annotations: ["nginx.ingress.kubernetes.io/mirror-uri": "/m"],
                    rules: [Obj.rule("b.test", [Obj.path("/", "missing")])])
            ]))
        try await withIngress(source, group: group) { server, _, _ in
            let report = server.latestBuildReport()
            #expect(report.problems.map(\.reason) == [.unknownService])
            #expect(report.problems.first?.ingress.name == "broken")
            #expect(report.unsupportedAnnotations.values.first == ["nginx.ingress.kubernetes.io/mirror-uri"])
            #expect(report.accepted.isEmpty)
        }
    }

    @Test func upstreamReadTimeoutIs504() async throws {
        let slow = try await TestBackend.start("slow", group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [
                    Obj.ingress(
                        "s", annotations: ["nginx.ingress.kubernetes.io/proxy-read-timeout": "1"],
                        rules: [Obj.rule("s.test", [Obj.path("/", "slow")])]),
                    Obj.service("slow"),
                ] + Obj.slices("slow", ready: [("127.0.0.1", slow.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            let start = ContinuousClock.now
            let r = try await fetch(port: port, group: group, host: "s.test", path: "/slow")
            #expect(r.status == 504)
            #expect(ContinuousClock.now - start >= .milliseconds(900))
        }
        await slow.stop()
    }

    @Test func webSocketUpgradeIsTunnelled() async throws {
        let ws = try await TestBackend.start("ws", group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [Obj.ingress("w", rules: [Obj.rule("w.test", [Obj.path("/", "ws")])]), Obj.service("ws")]
                    + Obj.slices("ws", ready: [("127.0.0.1", ws.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            let c = try await TestClient.connect(port: port, group: group)
            try await c.send(
                "GET /chat HTTP/1.1\r\nHost: w.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            let r = try await c.response()
            #expect(r.status == 101)
            #expect(r.header("upgrade") == "websocket" && r.header("connection")?.lowercased() == "upgrade")
            try await c.send("hello")
            #expect(try await c.raw(count: 10) == "echo:hello")
            try await c.send("again")
            #expect(try await c.raw(count: 10) == "echo:again")
            await c.close()
        }
        await ws.stop()
    }

    @Test func streamsLargeBodiesBothWays() async throws {
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [
                    Obj.ingress(
                        "big", annotations: ["nginx.ingress.kubernetes.io/proxy-body-size": "64m"],
                        rules: [Obj.rule("big.test", [Obj.path("/", "web")])]),
                    Obj.service("web"),
                ] + Obj.slices("web", ready: [("127.0.0.1", web.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            let n = 8 << 20
            let r = try await fetch(port: port, group: group, host: "big.test", path: "/big/\(n)")
            #expect(r.status == 200 && r.body.utf8.count == n)
            #expect(r.body.hasPrefix("abcdefghijklmnopqrstuvwxyzabcdef"))
            let c = try await fetch(port: port, group: group, host: "big.test", path: "/chunked/\(n)")
            #expect(c.status == 200 && c.body.utf8.count == n && c.header("transfer-encoding") == "chunked")
            let upload = String(repeating: "0123456789abcdef", count: (4 << 20) / 16)
            let u = try await fetch(
                port: port, group: group, host: "big.test", path: "/size", method: "PUT", body: upload)
            #expect(u.body == "size=\(4 << 20)\n")
        }
        await web.stop()
    }

    @Test func reusesUpstreamConnectionsAndHandlesPipelining() async throws {
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [Obj.ingress("p", rules: [Obj.rule("p.test", [Obj.path("/", "web")])]), Obj.service("web")]
                    + Obj.slices("web", ready: [("127.0.0.1", web.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            for _ in 0..<5 { #expect(try await fetch(port: port, group: group, host: "p.test").status == 200) }
            #expect(web.connections.load(ordering: .relaxed) == 1, "keep-alive upstream connection reused")
            // Three pipelined requests in one write come back in order on one connection.
            let c = try await TestClient.connect(port: port, group: group)
            try await c.send(
                "GET /1 HTTP/1.1\r\nHost: p.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: p.test\r\n\r\nGET /3 HTTP/1.1\r\nHost: p.test\r\nConnection: close\r\n\r\n"
            )
            for i in 1...3 {
                let r = try await c.response()
                #expect(r.status == 200 && r.body.contains("uri=/\(i)\n"))
            }
            try await c.waitClosed()
            // A backend that says `Connection: close` is not pooled.
            _ = try await fetch(port: port, group: group, host: "p.test", path: "/close")
            _ = try await fetch(port: port, group: group, host: "p.test")
            #expect(web.connections.load(ordering: .relaxed) == 2)
        }
        await web.stop()
    }

    @Test func clientGoingAwayMidResponseDoesNotDisturbOthers() async throws {
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(
            Obj.snapshot(
                [Obj.ingress("g", rules: [Obj.rule("g.test", [Obj.path("/", "web")])]), Obj.service("web")]
                    + Obj.slices("web", ready: [("127.0.0.1", web.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            for _ in 0..<3 {
                let c = try await TestClient.connect(port: port, group: group)
                try await c.send("GET /big/\(32 << 20) HTTP/1.1\r\nHost: g.test\r\n\r\n")
                _ = try await c.raw(count: 1)
                await c.close()
            }
            let r = try await fetch(port: port, group: group, host: "g.test")
            #expect(r.status == 200 && r.backend == "web")
        }
        await web.stop()
    }

    @Test func portInUseIsAOneLineError() async throws {
        let taken = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = taken.localAddress!.port!
        let config = IngressServerConfiguration(
            httpListeners: [.init(host: "127.0.0.1", port: port)], httpsListeners: [])
        let server = IngressServer(
            configuration: config, source: FakeClusterSource(Obj.snapshot([])), logger: testLogger(),
            eventLoopGroup: group)
        await #expect(
            throws: IngressServerError.cannotListen(address: "127.0.0.1:\(port)", reason: "address already in use")
        ) {
            try await server.bind()
        }
        #expect(
            "\(IngressServerError.cannotListen(address: "127.0.0.1:\(port)", reason: "address already in use"))"
                == "cannot listen on 127.0.0.1:\(port)/tcp: address already in use")
        let noCert = IngressServer(
            configuration: IngressServerConfiguration(
                httpListeners: [], httpsListeners: [.init(host: "127.0.0.1", port: 0)]),
            source: FakeClusterSource(Obj.snapshot([])), logger: testLogger(), eventLoopGroup: group)
        await #expect(throws: IngressServerError.missingDefaultCertificate) { try await noCert.bind() }
        try await taken.close()
    }
}

/// One event loop for proxy, backends and clients, so upstream pools and round-robin order are deterministic.
let testGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

/// Runs `body`, failing with `TestTimeout` if it takes longer than `limit`.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { g in
        g.addTask { try await body() }
        g.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { g.cancelAll() }
        guard let first = try await g.next(), let value = first else { throw TestTimeout(what: "\(limit)") }
        return value
    }
}

/// Polls `condition` (bounded) until it holds.
func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("condition not met within \(timeout)")
}
