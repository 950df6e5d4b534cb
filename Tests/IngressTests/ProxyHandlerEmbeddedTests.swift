import IngressCore
import KubeAPI
import MetricsTestKit
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Ingress

/// The HTTP/1 pipeline of a listener on an `EmbeddedChannel`, with a fixed clock and request ID. Upstream
/// connects never complete, so requests that reach the proxy stage stay there until the test ends.
final class EmbeddedProxy {
    let channel = EmbeddedChannel()
    let pool: UpstreamPool
    let metrics = TestMetrics()
    private var pending: [EventLoopPromise<UpstreamConnection>] = []
    private(set) var connectAttempts: [PoolKey] = []

    init(_ objects: [JSON], limits: IngressServerConfiguration.Limits = .init(), isTLS: Bool = false) throws {
        let state = RoutingState.make(
            snapshot: Obj.snapshot(objects), classNames: ["ferry", "nginx"],
            controller: IngressClassSelection.controller, previous: .empty)
        let env = ProxyEnvironment(
            routing: RoutingStore(state), limits: limits, serverName: "ferry", isTLS: isTLS, isHTTP2: false,
            metrics: ProxyMetrics(factory: metrics), logger: testLogger(), epochSeconds: { fixedEpoch },
            makeRequestID: { "0123456789abcdef0123456789abcdef" }, random: { 0 })
        pool = UpstreamPool(eventLoop: channel.eventLoop, limits: limits, tlsContext: nil)
        let loop = channel.eventLoop
        pool.connectOverride = { [unowned self] key, _ in
            self.connectAttempts.append(key)
            let p = loop.makePromise(of: UpstreamConnection.self)
            self.pending.append(p)
            return p.futureResult
        }
        try channel.connect(to: SocketAddress(ipAddress: "10.0.0.9", port: 40000)).wait()
        try IngressPipeline.configureHTTP1(channel, environment: env, pool: pool)
    }

    func send(_ s: String) throws { try channel.writeInbound(ByteBuffer(string: s)) }

    func output() throws -> String {
        var out = ""
        while let b: ByteBuffer = try channel.readOutbound() { out += String(buffer: b) }
        return out
    }

    func finish() {
        for p in pending { p.fail(ChannelError.ioOnClosedChannel) }
        pending = []
        _ = try? channel.finish()
    }
}

/// The exact bytes of a local error answer.
func errorResponse(
    _ code: Int, _ reason: String, version: String = "HTTP/1.1", keepAlive: Bool = false, headers: [String] = []
) -> String {
    let title = "\(code) \(reason)"
    let body =
        "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n<hr><center>ferry</center>\r\n</body>\r\n</html>\r\n"
    var s = "\(version) \(code) \(reason)\r\nServer: ferry\r\nDate: \(fixedDate)\r\nContent-Type: text/html\r\n"
    for h in headers { s += h + "\r\n" }
    s += "Content-Length: \(body.utf8.count)\r\n"
    if !keepAlive { s += "Connection: close\r\n" }
    return s + "\r\n" + body
}

/// `shop.test` routes everything to `web` (one endpoint); `empty.test` to `nobody` (no endpoints).
func basicObjects(annotations: [String: String] = [:], tls: Bool = false) -> [JSON] {
    [
        Obj.ingress(
            "shop", annotations: annotations, tls: tls ? [(["shop.test"], "shop-tls")] : [],
            rules: [Obj.rule("shop.test", [Obj.path("/", "web")]), Obj.rule("empty.test", [Obj.path("/", "nobody")])]),
        Obj.service("web"), Obj.service("nobody"),
    ] + Obj.slices("web", ready: [("10.1.0.1", 8080)])
        + (tls ? [Obj.tlsSecret("shop-tls", cert: "not a cert", key: "not a key")] : [])
}

@Suite struct ProxyHandlerEmbeddedTests {
    // MARK: Smuggling and framing

    @Test func contentLengthWithTransferEncodingIs400() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send(
            "POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(try p.output() == errorResponse(400, "Bad Request"))
        #expect(!p.channel.isActive)
        #expect(p.connectAttempts.isEmpty)
    }

    @Test func differingDuplicateContentLengthIs400() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
        #expect(try p.output() == errorResponse(400, "Bad Request"))
        #expect(!p.channel.isActive)
    }

    @Test func malformedChunkIs400AndAbandonsTheUpstream() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(p.connectAttempts.map(\.endpoint) == [UpstreamEndpoint(address: "10.1.0.1", port: 8080)])
        try p.send("zz\r\nhello\r\n")
        #expect(try p.output() == errorResponse(400, "Bad Request"))
        #expect(!p.channel.isActive)
    }

    @Test func unsupportedTransferCodingIs501() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: gzip\r\n\r\n")
        let out = try p.output()
        #expect(out.hasPrefix("HTTP/1.1 501 Not Implemented\r\n") || out == errorResponse(400, "Bad Request"))
        #expect(!p.channel.isActive)
    }

    @Test func headerTooLargeIs431() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.maxHeaderBytes = 1024
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        try p.send("GET / HTTP/1.1\r\nHost: shop.test\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n")
        #expect(try p.output() == errorResponse(431, "Request Header Fields Too Large"))
        #expect(!p.channel.isActive)
    }

    @Test func overlongRequestTargetIs431() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.maxHeaderBytes = 1024
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        try p.send("GET /\(String(repeating: "a", count: 1100)) HTTP/1.1\r\n")
        #expect(try p.output() == errorResponse(431, "Request Header Fields Too Large"))
        #expect(!p.channel.isActive)
    }

    @Test func manyHeadersAre431() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.maxHeaderBytes = 4096
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        let many = (0..<300).map { "X-\($0): 1\r\n" }.joined()
        try p.send("GET / HTTP/1.1\r\nHost: shop.test\r\n\(many)\r\n")
        #expect(try p.output() == errorResponse(431, "Request Header Fields Too Large"))
    }

    @Test func bodyOverLimitByContentLengthIs413() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.maxBodyBytes = 10
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 11\r\n\r\n")
        #expect(try p.output() == errorResponse(413, "Payload Too Large"))
        #expect(!p.channel.isActive)
        #expect(p.connectAttempts.isEmpty)
    }

    @Test func proxyBodySizeAnnotationWinsOverTheDefault() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.maxBodyBytes = 10
        let p = try EmbeddedProxy(
            basicObjects(annotations: ["nginx.ingress.kubernetes.io/proxy-body-size": "20"]), limits: limits)
        defer { p.finish() }
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 15\r\n\r\n")
        #expect(try p.output() == "")
        #expect(p.connectAttempts.count == 1)
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 21\r\n\r\n")
    }

    @Test func streamedBodyOverLimitIs413() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.maxBodyBytes = 10
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n")
        #expect(try p.output() == "")
        try p.send("6\r\nghijkl\r\n")
        #expect(try p.output() == errorResponse(413, "Payload Too Large"))
        #expect(!p.channel.isActive)
    }

    // MARK: Routing answers

    @Test func invalidPathIs400() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("GET /a/../../etc/passwd HTTP/1.1\r\nHost: shop.test\r\n\r\n")
        #expect(try p.output() == errorResponse(400, "Bad Request"))
    }

    @Test func missingHostIs400() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("GET / HTTP/1.1\r\n\r\n")
        #expect(try p.output() == errorResponse(400, "Bad Request"))
    }

    @Test func unknownHostIs404AndKeepsTheConnection() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("GET / HTTP/1.1\r\nHost: other.test\r\n\r\nHEAD /x HTTP/1.1\r\nHost: other.test\r\n\r\n")
        let page = errorResponse(404, "Not Found", keepAlive: true)
        let headOnly = String(page[..<page.range(of: "\r\n\r\n")!.upperBound])
        #expect(try p.output() == page + headOnly)
        #expect(p.channel.isActive)
        let c = try p.metrics.expectCounter(
            ProxyMetrics.requestsLabel,
            [
                ("namespace", ""), ("ingress", ""), ("service", ""), ("status", "404"), ("method", "GET"),
                ("host", ""), ("path", ""),
            ])
        #expect(c.totalValue == 1)
    }

    @Test func http10NotFoundClosesByDefault() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("GET / HTTP/1.0\r\n\r\n")
        #expect(try p.output() == errorResponse(404, "Not Found", version: "HTTP/1.0"))
        #expect(!p.channel.isActive)
    }

    @Test func noEndpointsIs503() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("GET /x HTTP/1.1\r\nHost: empty.test\r\n\r\n")
        #expect(try p.output() == errorResponse(503, "Service Unavailable", keepAlive: true))
        #expect(p.connectAttempts.isEmpty)
        let dims = [
            ("namespace", "default"), ("ingress", "shop"), ("service", "nobody"), ("status", "503"),
            ("method", "GET"), ("host", "empty.test"), ("path", "/"),
        ]
        #expect(try p.metrics.expectCounter(ProxyMetrics.requestsLabel, dims).totalValue == 1)
        let size = try p.metrics.expectRecorder(ProxyMetrics.responseSizeLabel, dims)
        #expect(
            size.lastValue == Double(LocalResponse.errorPage(.serviceUnavailable, serverName: "ferry").body.utf8.count))
        let duration = try p.metrics.expectRecorder(ProxyMetrics.durationLabel, dims)
        #expect(duration.values.count == 1 && duration.lastValue! >= 0 && duration.lastValue! < 5)
    }

    @Test func plainHTTPToATLSHostIsRedirectedWith308() throws {
        let p = try EmbeddedProxy(basicObjects(tls: true))
        defer { p.finish() }
        try p.send("GET /cart?id=7 HTTP/1.1\r\nHost: shop.test:8080\r\n\r\n")
        #expect(
            try p.output()
                == errorResponse(
                    308, "Permanent Redirect", keepAlive: true, headers: ["Location: https://shop.test/cart?id=7"]))
        #expect(p.connectAttempts.isEmpty)
    }

    @Test func tlsRequestsToTheSameHostAreProxied() throws {
        let p = try EmbeddedProxy(basicObjects(tls: true), isTLS: true)
        defer { p.finish() }
        try p.send("GET /cart HTTP/1.1\r\nHost: shop.test\r\n\r\n")
        #expect(try p.output() == "")
        #expect(p.connectAttempts.count == 1)
    }

    @Test func sourceRangeDenialIs403() throws {
        let p = try EmbeddedProxy(
            basicObjects(annotations: ["nginx.ingress.kubernetes.io/whitelist-source-range": "192.168.0.0/16"]))
        defer { p.finish() }
        try p.send("GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n")
        #expect(try p.output() == errorResponse(403, "Forbidden", keepAlive: true))
    }

    @Test func basicAuthChallengesWithoutCredentials() throws {
        var objects = basicObjects(annotations: [
            "nginx.ingress.kubernetes.io/auth-type": "basic", "nginx.ingress.kubernetes.io/auth-secret": "users",
            "nginx.ingress.kubernetes.io/auth-realm": "Shop",
        ])
        objects.append(Obj.opaqueSecret("users", data: ["auth": "alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\n"]))
        let p = try EmbeddedProxy(objects)
        defer { p.finish() }
        try p.send("GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n")
        #expect(
            try p.output()
                == errorResponse(
                    401, "Unauthorized", keepAlive: true, headers: ["WWW-Authenticate: Basic realm=\"Shop\""]))
        let creds = Base64Text.encode(Array("alice:secret".utf8))
        try p.send("GET / HTTP/1.1\r\nHost: shop.test\r\nAuthorization: Basic \(creds)\r\n\r\n")
        #expect(try p.output() == "")
        #expect(p.connectAttempts.count == 1)
    }

    @Test func corsPreflightIsAnsweredLocally() throws {
        let p = try EmbeddedProxy(
            basicObjects(annotations: [
                "nginx.ingress.kubernetes.io/enable-cors": "true",
                "nginx.ingress.kubernetes.io/cors-allow-origin": "https://app.test",
            ]))
        defer { p.finish() }
        try p.send("OPTIONS /api HTTP/1.1\r\nHost: shop.test\r\nOrigin: https://app.test\r\n\r\n")
        let out = try p.output()
        #expect(out.hasPrefix("HTTP/1.1 204 No Content\r\nServer: ferry\r\nDate: \(fixedDate)\r\n"))
        #expect(out.contains("\r\nAccess-Control-Allow-Origin: https://app.test\r\n"))
        #expect(out.hasSuffix("Content-Length: 0\r\n\r\n"))
        // An origin outside the policy is not answered here: it goes to the backend.
        try p.send("OPTIONS /api HTTP/1.1\r\nHost: shop.test\r\nOrigin: https://evil.test\r\n\r\n")
        #expect(try p.output() == "")
        #expect(p.connectAttempts.count == 1)
    }

    @Test func expectContinueIsAnsweredWhenProxying() throws {
        let p = try EmbeddedProxy(basicObjects())
        defer { p.finish() }
        try p.send("PUT /f HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        #expect(try p.output() == "HTTP/1.1 100 Continue\r\n\r\n")
    }

    // MARK: Timeouts

    @Test func slowHeadIsClosedAfterTheHeaderTimeout() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.headerReadTimeout = .seconds(10)
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        try p.send("GET / HTTP/1.1\r\nHost: sh")
        p.channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(p.channel.isActive)
        try p.send("op.test\r\nX-A: 1\r\n")
        p.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!p.channel.isActive)
        #expect(try p.output() == "")
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.idleTimeout = .seconds(75)
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        try p.send("GET / HTTP/1.1\r\nHost: other.test\r\n\r\n")
        #expect(try p.output().hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        p.channel.embeddedEventLoop.advanceTime(by: .seconds(74))
        #expect(p.channel.isActive)
        p.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!p.channel.isActive)
    }

    @Test func stalledRequestBodyTimesOutWith408() throws {
        var limits = IngressServerConfiguration.Limits()
        limits.bodyReadTimeout = .seconds(5)
        let p = try EmbeddedProxy(basicObjects(), limits: limits)
        defer { p.finish() }
        try p.send("POST / HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 10\r\n\r\nabc")
        p.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try p.output() == errorResponse(408, "Request Timeout"))
        #expect(!p.channel.isActive)
    }
}
