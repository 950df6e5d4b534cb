import Testing

@testable import IngressCore

@Suite struct CanaryTests {
    static func policy(
        header: String? = nil, value: String? = nil, pattern: String? = nil, cookie: String? = nil, weight: Int = 0,
        total: Int = 100
    ) -> CanaryPolicy {
        var p = CanaryPolicy()
        p.header = header
        p.headerValue = value
        p.headerPattern = pattern.map { try! CompiledRegex($0, caseInsensitive: false) }
        p.cookie = cookie
        p.weight = weight
        p.weightTotal = total
        return p
    }

    /// (policy, request headers, random, canary?)
    static let cases: [(CanaryPolicy, [(String, String)], Double, Bool)] = [
        // Header always/never, case-insensitive header name.
        (policy(header: "X-Canary"), [("x-canary", "always")], 0.99, true),
        (policy(header: "X-Canary"), [("X-CANARY", "never")], 0.99, false),
        (policy(header: "X-Canary", weight: 100), [("X-Canary", "never")], 0.0, false),
        // Other header values fall through to cookie/weight.
        (policy(header: "X-Canary"), [("X-Canary", "yes")], 0.0, false),
        (policy(header: "X-Canary", weight: 50), [("X-Canary", "yes")], 0.2, true),
        (policy(header: "X-Canary"), [], 0.0, false),
        // Only the first value of a repeated header counts (nginx $http_*).
        (policy(header: "X-Canary"), [("X-Canary", "never"), ("X-Canary", "always")], 0.0, false),
        // Custom header value: exact match only; "always" is then just another value.
        (policy(header: "X-Region", value: "us-east"), [("X-Region", "us-east")], 0.99, true),
        (policy(header: "X-Region", value: "us-east"), [("X-Region", "US-EAST")], 0.99, false),
        (policy(header: "X-Region", value: "us-east"), [("X-Region", "always")], 0.99, false),
        (policy(header: "X-Region", value: "us-east"), [("X-Region", "never")], 0.0, false),
        (policy(header: "X-Region", value: "us-east", weight: 100), [("X-Region", "never")], 0.5, true),
        // Header pattern (unanchored PCRE-like search), ignored when a value is configured.
        (policy(header: "X-Ver", pattern: "^v(2|3)$"), [("X-Ver", "v3")], 0.99, true),
        (policy(header: "X-Ver", pattern: "^v(2|3)$"), [("X-Ver", "v4")], 0.99, false),
        (policy(header: "X-Ver", pattern: "beta"), [("X-Ver", "1.0-beta.2")], 0.99, true),
        (policy(header: "X-Ver", value: "v9", pattern: "v"), [("X-Ver", "v3")], 0.99, false),
        // Cookie always/never after the header.
        (policy(cookie: "canary"), [("Cookie", "a=1; canary=always")], 0.99, true),
        (policy(cookie: "canary", weight: 100), [("Cookie", "canary=never")], 0.0, false),
        (policy(cookie: "canary"), [("Cookie", "canary=maybe")], 0.0, false),
        (policy(cookie: "canary"), [("Cookie", "xcanary=always")], 0.0, false),
        (policy(cookie: "canary"), [("Cookie", "canary=always"), ("Cookie", "canary=never")], 0.0, true),
        // Header beats cookie.
        (policy(header: "X-C", cookie: "c"), [("X-C", "never"), ("Cookie", "c=always")], 0.0, false),
        (policy(header: "X-C", cookie: "c"), [("X-C", "always"), ("Cookie", "c=never")], 0.0, true),
        (policy(header: "X-C", cookie: "c"), [("X-C", "other"), ("Cookie", "c=always")], 0.99, true),
        // Weight: draw = floor(random × total) + 1, canary when draw ≤ weight.
        (policy(weight: 20), [], 0.0, true),
        (policy(weight: 20), [], 0.199, true),
        (policy(weight: 20), [], 0.2, false),
        (policy(weight: 20), [], 0.999, false),
        (policy(weight: 0), [], 0.0, false),
        (policy(weight: 100), [], 0.999999, true),
        (policy(weight: 150), [], 0.999, true),
        (policy(weight: 1, total: 1000), [], 0.0009, true),
        (policy(weight: 1, total: 1000), [], 0.001, false),
        (policy(weight: 5, total: 10), [], 0.45, true),
        (policy(weight: 5, total: 10), [], 0.5, false),
    ]

    @Test(arguments: cases)
    func selection(policy: CanaryPolicy, headers: [(String, String)], random: Double, expected: Bool) {
        let req = CanaryRequest(headers: headers.map { (name: $0.0, value: $0.1) })
        #expect(policy.routesToCanary(req, random: random) == expected)
    }

    @Test func weightIsProportionalOverUniformDraws() {
        let p = Self.policy(weight: 30)
        let hits = (0..<1000).filter { p.routesToCanary(CanaryRequest(headers: []), random: Double($0) / 1000) }.count
        #expect(hits == 300)
    }

    static func canaryWorld(
        canaryAnnotations: [String: String], canaryPath: String = "/", canaryType: String = "Prefix",
        canaryHost: String = "app.test"
    ) -> World {
        var w = World()
        w.echo(["stable", "canary"])
        w.ingresses = [
            Fx.ingress(
                "main", created: "2024-01-01T00:00:00Z", annotations: Fx.nginx(["proxy-body-size": "5m"]),
                rules: [Fx.rule("app.test", [Fx.path("/", "Prefix", Fx.backend("stable", 80))])]),
            Fx.ingress(
                "main-canary", created: "2024-01-02T00:00:00Z", annotations: Fx.nginx(canaryAnnotations),
                rules: [Fx.rule(canaryHost, [Fx.path(canaryPath, canaryType, Fx.backend("canary", 80))])]),
        ]
        return w
    }

    @Test func canaryAttachesToPrimaryRule() throws {
        let b = Self.canaryWorld(canaryAnnotations: [
            "canary": "true", "canary-by-header": "X-Canary", "canary-weight": "10",
        ]).build()
        #expect(b.problems.isEmpty)
        #expect(b.accepted.map(\.name) == ["main", "main-canary"])
        let m = try #require(b.table.match(host: "app.test", path: "/x"))
        #expect(m.backend.service == "stable")
        #expect(m.ingress.name == "main")
        #expect(m.options.maxBodyBytes == 5 << 20)  // primary's options apply
        let c = try #require(m.canary)
        #expect(c.backend.service == "canary" && c.ingress.name == "main-canary" && c.policy.weight == 10)
        let always = CanaryRequest(headers: [(name: "X-Canary", value: "always")])
        #expect(m.backend(for: always, random: 0.99).backend.service == "canary")
        #expect(m.backend(for: always, random: 0.99).isCanary)
        #expect(m.backend(for: CanaryRequest(headers: []), random: 0.05).backend.service == "canary")
        #expect(m.backend(for: CanaryRequest(headers: []), random: 0.5).backend.service == "stable")
        #expect(m.backend(for: CanaryRequest(headers: []), random: 0.5).ingress.name == "main")
    }

    /// A canary that matches no primary rule is reported and not served: (path, pathType, host).
    static let orphanCases: [(String, String, String)] = [
        ("/other", "Prefix", "app.test"),
        ("/", "Exact", "app.test"),
        ("/", "Prefix", "other.test"),
    ]

    @Test(arguments: orphanCases)
    func canaryWithoutPrimary(path: String, type: String, host: String) throws {
        let b = Self.canaryWorld(
            canaryAnnotations: ["canary": "true", "canary-weight": "50"], canaryPath: path, canaryType: type,
            canaryHost: host
        ).build()
        #expect(b.problems.map(\.reason) == [.canaryWithoutPrimary])
        #expect(b.problems.first?.ingress.name == "main-canary")
        #expect(b.accepted.map(\.name) == ["main"])
        #expect(try #require(b.table.match(host: "app.test", path: "/")).canary == nil)
        // The canary's own rule never becomes a primary route.
        #expect(b.table.match(host: host, path: path)?.backend.service != "canary")
    }

    @Test func oneCanaryPerRuleOldestWins() throws {
        var w = Self.canaryWorld(canaryAnnotations: ["canary": "true", "canary-weight": "10"])
        w.echo(["canary2"])
        w.ingresses.append(
            Fx.ingress(
                "second-canary", created: "2024-01-03T00:00:00Z",
                annotations: Fx.nginx(["canary": "true", "canary-weight": "90"]),
                rules: [Fx.rule("app.test", [Fx.path("/", "Prefix", Fx.backend("canary2", 80))])]))
        let b = w.build()
        #expect(try #require(b.table.match(host: "app.test", path: "/")).canary?.backend.service == "canary")
        #expect(b.problems.map(\.ingress.name) == ["second-canary"])
    }

    @Test func canaryOnDefaultBackend() throws {
        var w = World()
        w.echo(["stable", "canary"])
        w.ingresses = [
            Fx.ingress("main", created: "2024-01-01T00:00:00Z", defaultBackend: Fx.backend("stable", 80)),
            Fx.ingress(
                "c", created: "2024-01-02T00:00:00Z",
                annotations: Fx.nginx(["canary": "true", "canary-by-cookie": "beta"]),
                defaultBackend: Fx.backend("canary", 80)),
        ]
        let m = try #require(w.build().table.match(host: "any", path: "/"))
        #expect(
            m.backend(for: CanaryRequest(headers: [(name: "cookie", value: "beta=always")]), random: 0).backend.service
                == "canary")
        #expect(m.backend(for: CanaryRequest(headers: []), random: 0).backend.service == "stable")
    }

    @Test func canaryWithSameBackendAsPrimaryIsNotAttached() {
        var w = World()
        w.echo(["stable"])
        w.ingresses = [
            Fx.ingress(
                "main", created: "2024-01-01T00:00:00Z",
                rules: [Fx.rule("h", [Fx.path("/", "Prefix", Fx.backend("stable", 80))])]),
            Fx.ingress(
                "c", created: "2024-01-02T00:00:00Z", annotations: Fx.nginx(["canary": "true", "canary-weight": "50"]),
                rules: [Fx.rule("h", [Fx.path("/", "Prefix", Fx.backend("stable", 80))])]),
        ]
        let b = w.build()
        #expect(b.problems.map(\.reason) == [.canaryWithoutPrimary])
        #expect(b.table.match(host: "h", path: "/")?.canary == nil)
        // Canary rules never count as path conflicts.
        #expect(b.conflicts.isEmpty)
    }
}
