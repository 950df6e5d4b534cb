import Testing

@testable import IngressCore

@Suite struct RewriteTests {
    /// (template, captures, result)
    static let expansions: [(String, [String], String)] = [
        ("/$2", ["/something/new", "/", "new"], "/new"),
        ("/$1/$2", ["x", "a", "b"], "/a/b"),
        ("/$3", ["x", "a"], "/"),
        ("/static", ["x"], "/static"),
        ("/$0", ["/whole"], "//whole"),
        ("/a$", ["x"], "/a$"),
        ("/$x$1", ["x", "one"], "/$xone"),
        ("$1$1", ["x", "ab"], "abab"),
        ("/$12", ["x", "one"], "/one2"),
    ]

    @Test(arguments: expansions)
    func expand(template: String, captures: [String], result: String) {
        #expect(Rewrite.expand(template, captures: captures) == result)
    }

    static func world(_ ann: [String: String], paths: [(String, String)]) -> World {
        var w = World()
        w.echo(["svc", "other"])
        w.ingresses = [
            Fx.ingress(
                "rw", annotations: Fx.nginx(ann),
                rules: [Fx.rule("h", paths.map { Fx.path($0.0, $0.1, Fx.backend("svc", 80)) })]),
            // Another Ingress on the same host keeps plain Prefix semantics.
            Fx.ingress(
                "plain", created: "2024-02-01T00:00:00Z",
                rules: [Fx.rule("h", [Fx.path("/plain", "Prefix", Fx.backend("other", 80))])]),
        ]
        return w
    }

    // ingress-nginx docs/examples/rewrite: path /something(/|$)(.*) + rewrite-target /$2. (request, rewritten or nil=no match)
    static let captureCases: [(String, String?)] = [
        ("/something", "/"),
        ("/something/", "/"),
        ("/something/new", "/new"),
        ("/something/new/deeper", "/new/deeper"),
        ("/SOMETHING/new", "/new"),  // regex locations are case-insensitive (~*)
        ("/something?x=1", "/"),  // query is not part of the match; the shell re-appends it
        ("/somethingelse", nil),
        ("/x/something/new", nil),  // anchored at the start
    ]

    @Test(arguments: captureCases)
    func rewriteWithCaptureGroups(request: String, rewritten: String?) {
        let w = Self.world(
            ["rewrite-target": "/$2", "use-regex": "true"], paths: [("/something(/|$)(.*)", "ImplementationSpecific")])
        let b = w.build()
        #expect(b.problems.isEmpty)
        let m = b.table.match(host: "h", path: request)
        if let rewritten {
            #expect(m?.backend.service == "svc")
            #expect(m?.rewrittenPath == rewritten)
        } else {
            #expect(m?.backend.service != "svc")
        }
    }

    @Test func rewriteTargetAloneImpliesRegex() throws {
        let w = Self.world(["rewrite-target": "/api/$1"], paths: [("/v1/(.*)", "ImplementationSpecific")])
        let m = try #require(w.build().table.match(host: "h", path: "/v1/users/7"))
        #expect(m.rewrittenPath == "/api/users/7")
    }

    @Test func regexWithoutRewriteLeavesPathAlone() throws {
        let w = Self.world(["use-regex": "true"], paths: [("/img/[0-9]+", "ImplementationSpecific")])
        let t = w.build().table
        let m = try #require(t.match(host: "h", path: "/img/42/x"))
        #expect(m.backend.service == "svc" && m.rewrittenPath == nil)
        #expect(t.match(host: "h", path: "/img/abc")?.backend.service == nil)
        // The other Ingress on the host is unaffected by use-regex.
        #expect(t.match(host: "h", path: "/plain/x")?.backend.service == "other")
        #expect(t.match(host: "h", path: "/plainx")?.backend.service == nil)
    }

    @Test func regexPrefixPathMatchesByCharactersLikeNginx() {
        let t = Self.world(["use-regex": "true"], paths: [("/foo", "Prefix")]).build().table
        #expect(t.match(host: "h", path: "/foobar")?.backend.service == "svc")
        #expect(t.match(host: "h", path: "/FOO")?.backend.service == "svc")
    }

    @Test func exactPathsStayExactUnderUseRegex() throws {
        let t = Self.world(["use-regex": "true", "rewrite-target": "/new"], paths: [("/old", "Exact")]).build().table
        #expect(try #require(t.match(host: "h", path: "/old")).rewrittenPath == "/new")
        #expect(t.match(host: "h", path: "/old/x")?.backend.service == nil)
        #expect(t.match(host: "h", path: "/OLD")?.backend.service == nil)
    }

    @Test func longerRegexWinsOverShorter() {
        var w = World()
        w.echo(["short", "long"])
        w.ingresses = [
            Fx.ingress(
                "r", annotations: Fx.nginx(["use-regex": "true"]),
                rules: [
                    Fx.rule(
                        "h",
                        [
                            Fx.path("/a.*", "ImplementationSpecific", Fx.backend("short", 80)),
                            Fx.path("/a/b/c.*", "ImplementationSpecific", Fx.backend("long", 80)),
                        ])
                ])
        ]
        #expect(w.serviceFor("h", "/a/b/cd") == "long")
        #expect(w.serviceFor("h", "/a/x") == "short")
    }

    /// Bad regexes make the Ingress invalid; others keep working.
    @Test(arguments: ["/foo(", "/a[", "/x{2,1}", "/(?<n>a"])
    func badRegexSkipsIngress(path: String) {
        var w = Self.world(["use-regex": "true"], paths: [(path, "ImplementationSpecific")])
        w.ingresses[0] = Fx.ingress(
            "rw", annotations: Fx.nginx(["use-regex": "true"]),
            rules: [
                Fx.rule(
                    "h",
                    [
                        Fx.path("/fine", "Prefix", Fx.backend("svc", 80)),
                        Fx.path(path, "ImplementationSpecific", Fx.backend("svc", 80)),
                    ])
            ])
        let b = w.build()
        #expect(b.problems.map(\.reason) == [.invalidRegex])
        #expect(b.problems.first?.ingress == IngressRef(namespace: "default", name: "rw"))
        #expect(b.table.match(host: "h", path: "/fine")?.backend.service == nil)
        #expect(b.table.match(host: "h", path: "/plain")?.backend.service == "other")
    }

    @Test func regexCharsWithoutUseRegexAreLiteralPrefix() {
        let t = Self.world([:], paths: [("/a(b)", "ImplementationSpecific")]).build().table
        #expect(t.match(host: "h", path: "/a(b)/c")?.backend.service == "svc")
        #expect(t.match(host: "h", path: "/ab")?.backend.service == nil)
    }
}
