import Testing

@testable import IngressCore

@Suite struct DecisionTests {
    static func match(_ short: [String: String], tls: Bool = false) throws -> RouteMatch {
        var w = World()
        w.echo(["s"])
        w.ingresses = [
            Fx.ingress(
                "i", annotations: Fx.nginx(short), tls: tls ? [Fx.tls(["h.test"], nil)] : [],
                rules: [Fx.rule("h.test", [Fx.path("/", "Prefix", Fx.backend("s", 80))])])
        ]
        let b = w.build()
        #expect(b.problems.isEmpty)
        return try #require(b.table.match(host: "h.test", path: "/"))
    }

    static func req(
        https: Bool = false, method: String = "GET", host: String = "h.test", uri: String = "/",
        client: String = "203.0.113.9"
    ) -> RequestContext {
        RequestContext(isHTTPS: https, method: method, hostHeader: host, requestURI: uri, clientAddress: client)
    }

    /// (annotations, host has tls, request, decision)
    static let cases: [([String: String], Bool, RequestContext, RequestDecision)] = [
        ([:], false, req(), .proxy),
        ([:], true, req(uri: "/a/b?x=1"), .redirect(status: 308, location: "https://h.test/a/b?x=1")),
        ([:], true, req(host: "h.test:8080", uri: "/a/"), .redirect(status: 308, location: "https://h.test/a")),
        ([:], true, req(uri: "/"), .redirect(status: 308, location: "https://h.test")),
        (
            ["preserve-trailing-slash": "true"], true, req(uri: "/a/"),
            .redirect(status: 308, location: "https://h.test/a/")
        ),
        ([:], true, req(https: true, uri: "/a"), .proxy),
        (["ssl-redirect": "false"], true, req(), .proxy),
        (["force-ssl-redirect": "true"], false, req(uri: "/x"), .redirect(status: 308, location: "https://h.test/x")),
        (["force-ssl-redirect": "true"], false, req(https: true), .proxy),
        (["app-root": "/app1"], false, req(uri: "/"), .redirect(status: 302, location: "http://h.test/app1")),
        (
            ["app-root": "/app1"], false, req(https: true, host: "h.test:8443", uri: "/?q=1"),
            .redirect(status: 302, location: "https://h.test:8443/app1")
        ),
        (["app-root": "/app1"], false, req(uri: "/other"), .proxy),
        // app-root comes before the HTTPS redirect (rewrite-module directives run before lua_ingress.rewrite).
        (["app-root": "/app1"], true, req(uri: "/"), .redirect(status: 302, location: "http://h.test/app1")),
        (
            ["permanent-redirect": "https://new.test/"], true, req(uri: "/x"),
            .redirect(status: 301, location: "https://new.test/")
        ),
        (
            ["temporal-redirect": "https://tmp.test/", "temporal-redirect-code": "307"], false, req(),
            .redirect(status: 307, location: "https://tmp.test/")
        ),
        (["enable-cors": "true"], false, req(method: "OPTIONS"), .corsPreflight),
        (["enable-cors": "true"], false, req(method: "GET"), .proxy),
        ([:], false, req(method: "OPTIONS"), .proxy),
        (["whitelist-source-range": "10.0.0.0/8"], false, req(client: "10.1.2.3"), .proxy),
        (["whitelist-source-range": "10.0.0.0/8"], false, req(client: "11.1.2.3"), .forbidden),
        (["whitelist-source-range": "10.0.0.0/8"], false, req(client: "::ffff:10.1.2.3"), .proxy),
        (["whitelist-source-range": "10.0.0.0/8"], false, req(client: "garbage"), .forbidden),
        (
            ["whitelist-source-range": "10.0.0.0/8"], true, req(client: "11.1.2.3"),
            .redirect(status: 308, location: "https://h.test")
        ),
        (["whitelist-source-range": ","], false, req(client: "11.1.2.3"), .proxy),
        (["denylist-source-range": "203.0.113.0/24"], false, req(), .forbidden),
        (["denylist-source-range": "203.0.113.0/24", "whitelist-source-range": "0.0.0.0/0"], false, req(), .forbidden),
        (["denylist-source-range": "198.51.100.0/24"], false, req(), .proxy),
    ]

    @Test(arguments: cases)
    func decision(short: [String: String], tls: Bool, request: RequestContext, expected: RequestDecision) throws {
        #expect(try Self.match(short, tls: tls).decide(request) == expected)
    }
}

@Suite struct CIDRTests {
    /// (cidr, address, contained)
    static let containment: [(String, String, Bool)] = [
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("10.1.2.3", "10.1.2.3", true),
        ("10.1.2.3", "10.1.2.4", false),
        ("10.1.2.3/24", "10.1.2.200", true),
        ("0.0.0.0/0", "1.2.3.4", true),
        ("0.0.0.0/0", "::1", false),
        ("192.168.0.0/23", "192.168.1.255", true),
        ("192.168.0.0/23", "192.168.2.0", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false),
        ("::/0", "fe80::1", true),
        ("::1", "::1", true),
        ("::1/128", "::2", false),
        ("fd00::/8", "FD12:3456::1", true),
        ("10.0.0.0/8", "::ffff:10.0.0.1", true),
        ("10.0.0.0/8", "::ffff:11.0.0.1", false),
        ("::ffff:0:0/96", "::ffff:1.2.3.4", true),
        ("10.0.0.0/8", "10.0.0", false),
    ]

    @Test(arguments: containment)
    func contains(cidr: String, address: String, expected: Bool) throws {
        #expect(try #require(CIDR(cidr)).contains(address) == expected)
    }

    static let invalid = [
        "", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4",
        "1.2.3.4 ", "a.b.c.d", "::1/129", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1",
        "fe80::1%eth0",
        "::ffff:1.2.3", "1.2.3.4/ 8",
    ]

    @Test(arguments: invalid)
    func rejects(text: String) {
        #expect(CIDR(text) == nil)
    }

    static let canonical: [(String, String)] = [
        ("10.1.2.3/8", "10.0.0.0/8"), ("1.2.3.4", "1.2.3.4/32"), ("::", "0:0:0:0:0:0:0:0/128"),
        ("2001:db8::1/64", "2001:db8:0:0:0:0:0:0/64"), ("::ffff:1.2.3.4", "0:0:0:0:0:ffff:102:304/128"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128"), ("1::", "1:0:0:0:0:0:0:0/128"),
    ]

    @Test(arguments: canonical)
    func description(text: String, expected: String) throws {
        #expect(try #require(CIDR(text)).description == expected)
    }

    @Test func listParsing() {
        #expect(CIDR.parseList("10.0.0.0/8, 1.2.3.4 ,")?.map(\.description) == ["10.0.0.0/8", "1.2.3.4/32"])
        #expect(CIDR.parseList("")?.isEmpty == true)
        #expect(CIDR.parseList("10.0.0.0/8,x") == nil)
    }
}

@Suite struct CORSTests {
    static func policy(_ origins: [String], credentials: Bool = true) -> CORSPolicy {
        var p = CORSPolicy()
        p.allowOrigins = origins
        p.allowCredentials = credentials
        return p
    }

    /// (allowed origins, credentials, request Origin, Access-Control-Allow-Origin or nil)
    static let cases: [([String], Bool, String, String?)] = [
        (["*"], false, "https://any.test", "*"),
        (["*"], true, "https://any.test", "https://any.test"),
        (["https://a.test"], true, "https://a.test", "https://a.test"),
        (["https://a.test"], true, "https://A.TEST", "https://A.TEST"),
        (["https://a.test"], true, "http://a.test", nil),
        (["https://a.test"], true, "https://a.test:8443", nil),
        (["https://a.test:8443"], true, "https://a.test:8443", "https://a.test:8443"),
        (["https://*.b.test"], true, "https://x.b.test", "https://x.b.test"),
        (["https://*.b.test"], true, "https://x.y.b.test", nil),
        (["https://*.b.test"], true, "https://b.test", nil),
        (["https://*.b.test"], true, "http://x.b.test", nil),
        (["https://*.b.test"], true, "https://evilb.test", nil),
        (["https://a.test", "https://c.test"], true, "https://c.test", "https://c.test"),
        (["null"], true, "null", "null"),
    ]

    @Test(arguments: cases)
    func allowedOrigin(origins: [String], credentials: Bool, origin: String, expected: String?) {
        #expect(Self.policy(origins, credentials: credentials).allowedOrigin(for: origin) == expected)
    }
}
