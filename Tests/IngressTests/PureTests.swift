import Foundation
import IngressCore
import KubeAPI
import NIOHTTP1
import Testing

@testable import Ingress

@Suite struct HTTPDateTests {
    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
        (fixedEpoch, fixedDate),
        (Int64(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT"),
        (Int64(1_709_251_199), "Thu, 29 Feb 2024 23:59:59 GMT"),
        (Int64(4_102_444_800), "Fri, 01 Jan 2100 00:00:00 GMT"),
    ])
    func formats(_ t: Int64, _ expected: String) {
        #expect(HTTPDate.format(epochSeconds: t) == expected)
    }
}

@Suite struct RequestValidationTests {
    static func head(_ headers: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: "/", headers: HTTPHeaders(headers))
    }

    @Test(
        arguments: [
            ([("Host", "a")], RequestValidation.Framing.none),
            ([("Host", "a"), ("Content-Length", "0")], .none),
            ([("Host", "a"), ("Content-Length", "12")], .contentLength(12)),
            ([("Host", "a"), ("Transfer-Encoding", "chunked")], .chunked),
            ([("Host", "a"), ("Transfer-Encoding", "Chunked")], .chunked),
            ([("Host", "a:8080")], .none),
            ([("Host", "[::1]:80")], .none),
        ] as [([(String, String)], RequestValidation.Framing)])
    func accepts(_ headers: [(String, String)], _ framing: RequestValidation.Framing) {
        #expect(RequestValidation.validate(Self.head(headers), isHTTP2: false) == .success(framing))
    }

    @Test(
        arguments: [
            ([("Host", "a"), ("Content-Length", "5"), ("Transfer-Encoding", "chunked")], 400),
            ([("Host", "a"), ("Content-Length", "5"), ("Content-Length", "6")], 400),
            ([("Host", "a"), ("Content-Length", "5"), ("Content-Length", "5")], 400),
            ([("Host", "a"), ("Content-Length", "5, 5")], 400),
            ([("Host", "a"), ("Content-Length", "-1")], 400),
            ([("Host", "a"), ("Content-Length", "+5")], 400),
            ([("Host", "a"), ("Content-Length", "99999999999999999999")], 400),
            ([("Host", "a"), ("Transfer-Encoding", "gzip, chunked")], 501),
            ([("Host", "a"), ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")], 501),
            ([("Host", "a"), ("Host", "b")], 400),
            ([("Host", "a/b")], 400),
            ([("Host", "a b")], 400),
            ([("Host", "")], 400),
            ([("X", "y")], 400),
        ] as [([(String, String)], Int)])
    func rejects(_ headers: [(String, String)], _ status: Int) {
        guard case .failure(let r) = RequestValidation.validate(Self.head(headers), isHTTP2: false) else {
            Issue.record("accepted \(headers)")
            return
        }
        #expect(Int(r.status.code) == status)
    }

    @Test func http10WithoutHostIsFineButChunkedIsNot() {
        #expect(RequestValidation.validate(Self.head([], version: .http1_0), isHTTP2: false) == .success(.none))
        #expect(
            RequestValidation.validate(Self.head([("Transfer-Encoding", "chunked")], version: .http1_0), isHTTP2: false)
                .map { _ in 0 } == .failure(.init(status: .badRequest, reason: "Transfer-Encoding in HTTP/1.0")))
    }

    @Test func http2NeedsAuthority() {
        #expect(
            RequestValidation.validate(Self.head([("Host", "a")], version: .http2), isHTTP2: true) == .success(.none))
        #expect((try? RequestValidation.validate(Self.head([], version: .http2), isHTTP2: true).get()) == nil)
    }
}

@Suite struct ProxyHeadersTests {
    static let forwarding = ProxyHeaders.Forwarding(
        clientAddress: "10.1.2.3", isTLS: false, listenerPort: 80, requestID: "rid", hostOverride: nil,
        uri: "/a?b=1", isWebSocket: false)

    static func names(_ h: HTTPHeaders) -> [String] { h.map { $0.name.lowercased() } }

    @Test func removesHopByHopAndAddsForwardingHeaders() {
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "/a?b=1",
            headers: [
                "Host": "shop.test", "Connection": "keep-alive, X-Secret", "X-Secret": "s", "Keep-Alive": "300",
                "Proxy-Authorization": "Basic x", "Proxy-Connection": "keep-alive", "TE": "trailers",
                "Trailer": "X-T", "Upgrade": "h2c", "X-Forwarded-For": "1.1.1.1", "X-Forwarded-Host": "evil",
                "X-Forwarded-Proto": "https", "X-Real-IP": "6.6.6.6", "Accept": "*/*",
            ])
        let up = ProxyHeaders.upstreamRequest(head, Self.forwarding)
        #expect(up.version == .http1_1 && up.method == .GET && up.uri == "/a?b=1")
        #expect(
            up.headers.map { "\($0.name): \($0.value)" } == [
                "Host: shop.test", "Accept: */*", "X-Request-ID: rid", "X-Real-IP: 10.1.2.3",
                "X-Forwarded-For: 1.1.1.1, 10.1.2.3", "X-Forwarded-Host: shop.test", "X-Forwarded-Port: 80",
                "X-Forwarded-Proto: http", "X-Forwarded-Scheme: http", "X-Scheme: http",
            ])
    }

    @Test func hostOverrideAndWebSocket() {
        var f = Self.forwarding
        f.hostOverride = "internal.svc"
        f.isWebSocket = true
        f.isTLS = true
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "/ws",
            headers: ["Host": "shop.test", "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": "k"])
        #expect(ProxyHeaders.isWebSocketUpgrade(head))
        let up = ProxyHeaders.upstreamRequest(head, f)
        #expect(up.headers["host"] == ["internal.svc"])
        #expect(up.headers["x-forwarded-host"] == ["shop.test"])
        #expect(up.headers["x-forwarded-proto"] == ["https"])
        #expect(up.headers["upgrade"] == ["websocket"] && up.headers["connection"] == ["upgrade"])
        #expect(up.headers["sec-websocket-key"] == ["k"])
    }

    @Test(
        arguments: [
            (["Connection": "upgrade", "Upgrade": "websocket"], HTTPVersion.http1_1, true),
            (["Connection": "keep-alive, Upgrade", "Upgrade": "WebSocket"], .http1_1, true),
            (["Upgrade": "websocket"], .http1_1, false),
            (["Connection": "upgrade", "Upgrade": "h2c"], .http1_1, false),
            (["Connection": "upgrade", "Upgrade": "websocket"], .http1_0, false),
        ] as [([String: String], HTTPVersion, Bool)])
    func webSocketDetection(_ headers: [String: String], _ version: HTTPVersion, _ expected: Bool) {
        let head = HTTPRequestHead(
            version: version, method: .GET, uri: "/", headers: HTTPHeaders(headers.map { ($0.key, $0.value) }))
        #expect(ProxyHeaders.isWebSocketUpgrade(head) == expected)
    }

    @Test func expectContinueIsNotForwarded() {
        let head = HTTPRequestHead(
            version: .http1_1, method: .PUT, uri: "/", headers: ["Host": "a", "Expect": "100-continue"])
        #expect(ProxyHeaders.upstreamRequest(head, Self.forwarding).headers["expect"].isEmpty)
    }

    /// (upstream headers, status, method, client version, keepAlive) → (framing header, hasBody, closeAfter).
    @Test(
        arguments: [
            ([("Content-Length", "5")], 200, HTTPMethod.GET, HTTPVersion.http1_1, true, "", true, false),
            ([("Transfer-Encoding", "chunked")], 200, .GET, .http1_1, true, "te", true, false),
            ([], 200, .GET, .http1_1, true, "te", true, false),
            ([], 200, .GET, .http1_0, true, "close", true, true),
            ([("Content-Length", "5")], 200, .GET, .http1_0, true, "keep-alive", true, false),
            ([("Content-Length", "5")], 200, .GET, .http1_1, false, "close", true, true),
            ([("Transfer-Encoding", "chunked")], 200, .HEAD, .http1_1, true, "", false, false),
            ([], 204, .GET, .http1_1, true, "", false, false),
            ([("Content-Length", "9")], 304, .GET, .http1_1, true, "", false, false),
        ] as [([(String, String)], Int, HTTPMethod, HTTPVersion, Bool, String, Bool, Bool)])
    func responseFraming(
        _ headers: [(String, String)], _ status: Int, _ method: HTTPMethod, _ version: HTTPVersion, _ keepAlive: Bool,
        _ framing: String, _ hasBody: Bool, _ closeAfter: Bool
    ) {
        let up = HTTPResponseHead(
            version: .http1_1, status: .init(statusCode: status),
            headers: HTTPHeaders(headers + [("Connection", "keep-alive"), ("Keep-Alive", "timeout=5")]))
        let plan = ProxyHeaders.downstreamResponse(
            up, requestMethod: method, clientVersion: version, keepAlive: keepAlive, isHTTP2: false,
            serverName: "ferry", date: fixedDate)
        #expect(plan.hasBody == hasBody && plan.closeAfter == closeAfter)
        #expect(plan.head.headers["keep-alive"].isEmpty)
        #expect(plan.head.headers["server"] == ["ferry"] && plan.head.headers["date"] == [fixedDate])
        let te = plan.head.headers["transfer-encoding"]
        let conn = plan.head.headers["connection"]
        switch framing {
        case "te": #expect(te == ["chunked"] && conn.isEmpty)
        case "close": #expect(conn == ["close"] && te.isEmpty)
        case "keep-alive": #expect(conn == ["keep-alive"])
        default: #expect(te.isEmpty && conn.isEmpty)
        }
    }

    @Test func backendServerAndDateAreKept() {
        let up = HTTPResponseHead(
            version: .http1_1, status: .ok,
            headers: [
                "Server": "backend/1", "Date": "x", "Content-Length": "0", "Connection": "close, X-Hop", "X-Hop": "1",
            ])
        let plan = ProxyHeaders.downstreamResponse(
            up, requestMethod: .GET, clientVersion: .http1_1, keepAlive: true, isHTTP2: false, serverName: "ferry",
            date: fixedDate, extra: [("Access-Control-Allow-Origin", "*")])
        #expect(
            plan.head.headers.map { "\($0.name): \($0.value)" } == [
                "Server: backend/1", "Date: x", "Content-Length: 0", "Access-Control-Allow-Origin: *",
            ])
    }

    @Test func requestIDsAre32Hex() {
        var g = SystemRandomNumberGenerator()
        let a = ProxyHeaders.makeRequestID(using: &g)
        let b = ProxyHeaders.makeRequestID(using: &g)
        #expect(a.count == 32 && b.count == 32 && a != b)
        #expect(a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }
}

@Suite struct BasicAuthTests {
    @Test func digestsMatchKnownVectors() {
        func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(MD5.hash([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(
            hex(MD5.hash(Array("The quick brown fox jumps over the lazy dog".utf8)))
                == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            hex(SHA1.hash(Array(repeating: UInt8(ascii: "a"), count: 1000)))
                == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
        #expect(Base64Text.encode(Array("ab".utf8)) == "YWI=" && Base64Text.encode(Array("abc".utf8)) == "YWJj")
    }

    /// Hashes produced by `openssl passwd -apr1 -salt saltsalt secret` and `{SHA}` of "secret".
    @Test(arguments: [
        ("$apr1$saltsalt$LrttParrLPdxvgutaSXWJ0", "secret", true),
        ("$apr1$saltsalt$LrttParrLPdxvgutaSXWJ0", "Secret", false),
        ("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret", true),
        ("{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret ", false),
        ("$2y$05$abcdefghijklmnopqrstuuN0J3hZ9m1DPpqS8zGSMu5Q1oZBEZyWm", "secret", false),
        ("secret", "secret", false),
    ])
    func verifiesHtpasswdHashes(_ hash: String, _ password: String, _ ok: Bool) {
        #expect(BasicAuthCheck.matches(password: Array(password.utf8), hash: hash) == ok)
    }

    @Test func parsesAuthorizationHeader() {
        let auth = BasicAuth(realm: "r", users: ["alice": "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="])
        let good = "Basic " + Base64Text.encode(Array("alice:secret".utf8))
        #expect(BasicAuthCheck.verify(authorization: good, auth))
        #expect(BasicAuthCheck.verify(authorization: "basic " + Base64Text.encode(Array("alice:secret".utf8)), auth))
        #expect(!BasicAuthCheck.verify(authorization: "Basic " + Base64Text.encode(Array("bob:secret".utf8)), auth))
        #expect(!BasicAuthCheck.verify(authorization: "Basic " + Base64Text.encode(Array("alicesecret".utf8)), auth))
        #expect(!BasicAuthCheck.verify(authorization: "Bearer abc", auth))
        #expect(!BasicAuthCheck.verify(authorization: "Basic !!!!", auth))
        #expect(!BasicAuthCheck.verify(authorization: nil, auth))
    }
}

@Suite struct LocalResponseTests {
    @Test func errorPageBytes() {
        let r = LocalResponse.errorPage(.notFound, serverName: "ferry")
        #expect(
            r.body
                == "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>ferry</center>\r\n</body>\r\n</html>\r\n"
        )
        let head = r.head(version: .http1_0, keepAlive: true, isHTTP2: false, serverName: "ferry", date: fixedDate)
        #expect(
            head.headers.map { "\($0.name): \($0.value)" } == [
                "Server: ferry", "Date: \(fixedDate)", "Content-Type: text/html",
                "Content-Length: \(r.body.utf8.count)",
                "Connection: keep-alive",
            ])
        let h2 = r.head(version: .http2, keepAlive: false, isHTTP2: true, serverName: "ferry", date: fixedDate)
        #expect(h2.headers["connection"].isEmpty)
    }

    @Test func corsPreflightHeaders() {
        var p = CORSPolicy()
        p.allowOrigins = ["https://a.test"]
        p.exposeHeaders = "X-Id"
        let r = LocalResponse.corsPreflight(p, allowedOrigin: "https://a.test")
        #expect(r.status == .noContent && r.body.isEmpty)
        #expect(
            r.headers.map(\.0) == [
                "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
                "Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
                "Content-Type",
            ])
    }
}

@Suite struct DecodeCacheTests {
    static func object(_ name: String, rv: String) -> JSON {
        ["metadata": ["name": .string(name), "namespace": "default", "resourceVersion": .string(rv)]]
    }

    /// Decodes an object again only when its resourceVersion changed; removed objects are gone.
    @Test func decodesOnlyWhatChanged() {
        var cache = DecodeCache<String>()
        var decoded: [String] = []
        let decode = { (j: JSON) -> String in
            let s = "\(j.at("metadata", "name")!.stringValue!)@\(j.at("metadata", "resourceVersion")!.stringValue!)"
            decoded.append(s)
            return s
        }
        var objects = ClusterSnapshot.Objects()
        for i in 0..<100 { objects["default/o\(i)"] = Self.object("o\(i)", rv: "\(i + 1)") }
        #expect(cache.decode(objects, decode).count == 100)
        #expect(decoded.count == 100)
        decoded = []
        objects["default/o7"] = Self.object("o7", rv: "500")
        objects["default/o8"] = nil
        let values = cache.decode(objects, decode)
        #expect(decoded == ["o7@500"])
        #expect(values.count == 99)
        #expect(values.contains("o7@500") && !values.contains("o7@8") && !values.contains("o8@9"))
        decoded = []
        objects["default/o8"] = Self.object("o8", rv: "9")  // back, with its old resourceVersion: decoded anew
        _ = cache.decode(objects, decode)
        #expect(decoded == ["o8@9"])
    }
}

@Suite struct RequestIDSourceTests {
    /// 32 lowercase hex digits each, and no repeats across several refills of the random pool.
    @Test func idsAreHexAndUnique() {
        let source = RequestIDSource()
        let ids = (0..<2000).map { _ in source.next() }
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
        #expect(Set(ids).count == ids.count)
    }
}
