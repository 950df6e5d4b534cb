import Testing

@testable import IngressCore

@Suite struct PathMatchingTests {
    // ingress.md §1.2 docs table, single-rule rows: (kind, rule, request, match?).
    static let singleRule: [(String, String, String, Bool)] = [
        ("Prefix", "/", "/", true),
        ("Prefix", "/", "/anything/at/all", true),
        ("Exact", "/foo", "/foo", true),
        ("Exact", "/foo", "/bar", false),
        ("Exact", "/foo", "/foo/", false),
        ("Exact", "/foo/", "/foo", false),
        ("Exact", "/foo", "/FOO", false),
        ("Exact", "/foo", "/foo/bar", false),
        ("Prefix", "/foo", "/foo", true),
        ("Prefix", "/foo", "/foo/", true),
        ("Prefix", "/foo/", "/foo", true),
        ("Prefix", "/foo/", "/foo/", true),
        ("Prefix", "/foo", "/FOO", false),
        ("Prefix", "/aaa/bb", "/aaa/bbb", false),
        ("Prefix", "/aaa/bbb", "/aaa/bbb", true),
        ("Prefix", "/aaa/bbb/", "/aaa/bbb", true),
        ("Prefix", "/aaa/bbb", "/aaa/bbb/", true),
        ("Prefix", "/aaa/bbb", "/aaa/bbb/ccc", true),
        ("Prefix", "/aaa/bbb", "/aaa/bbbxyz", false),
        ("Prefix", "/aaa", "/ccc", false),
        ("Prefix", "/foo/bar", "/foo/barbaz", false),
        ("Prefix", "/foo/bar", "/foo/bar/baz", true),
        ("Prefix", "/foo/bar", "/foo", false),
    ]

    @Test(arguments: singleRule)
    func singleRuleTable(kind: String, rule: String, request: String, expected: Bool) {
        let got =
            kind == "Exact"
            ? PathMatching.exactMatches(rule: rule, path: request)
            : PathMatching.prefixMatches(rule: rule, path: request)
        #expect(got == expected)
    }

    // The same rows through a RouteTable: a hit names the rule's service, a miss is a 404 (nil).
    @Test(arguments: singleRule)
    func singleRuleThroughTable(kind: String, rule: String, request: String, expected: Bool) {
        var w = World()
        w.echo(["svc"])
        w.ingresses = [Fx.ingress("i", rules: [Fx.rule("h.example", [Fx.path(rule, kind, Fx.backend("svc", 80))])])]
        #expect(w.serviceFor("h.example", request) == (expected ? "svc" : nil))
    }

    // Multi-rule rows of the §1.2 table plus §1.3 precedence: (rules as (path, type, service), request, winner).
    static let multiRule: [([(String, String, String)], String, String?)] = [
        ([("/", "Prefix", "root"), ("/aaa", "Prefix", "aaa")], "/aaa/ccc", "aaa"),
        ([("/", "Prefix", "root"), ("/aaa", "Prefix", "aaa"), ("/aaa/bbb", "Prefix", "bbb")], "/aaa/bbb", "bbb"),
        ([("/", "Prefix", "root"), ("/aaa", "Prefix", "aaa"), ("/aaa/bbb", "Prefix", "bbb")], "/ccc", "root"),
        ([("/aaa", "Prefix", "aaa")], "/ccc", nil),
        ([("/foo", "Prefix", "pre"), ("/foo", "Exact", "exa")], "/foo", "exa"),
        ([("/foo", "Exact", "exa"), ("/foo", "Prefix", "pre")], "/foo", "exa"),
        ([("/foo", "Prefix", "pre"), ("/foo", "Exact", "exa")], "/foo/", "pre"),
        ([("/foo", "Prefix", "pre"), ("/foo", "Exact", "exa")], "/foo/x", "pre"),
        // types.go PathTypePrefix: with /foo and /foo/ both Prefix, the longer /foo/ wins for /foo and /foo/.
        ([("/foo", "Prefix", "short"), ("/foo/", "Prefix", "long")], "/foo", "long"),
        ([("/foo", "Prefix", "short"), ("/foo/", "Prefix", "long")], "/foo/", "long"),
        ([("/foo/", "Prefix", "long"), ("/foo", "Prefix", "short")], "/foo/x", "long"),
        // Exact beats a Prefix that differs only by trailing slash (same element count).
        ([("/foo/", "Prefix", "pre"), ("/foo", "Exact", "exa")], "/foo", "exa"),
        // ImplementationSpecific behaves as Prefix.
        ([("/img", "ImplementationSpecific", "is")], "/img/a.png", "is"),
        ([("/img", "ImplementationSpecific", "is")], "/img", "is"),
        ([("/img", "ImplementationSpecific", "is")], "/imgx", nil),
        ([("/img", "ImplementationSpecific", "is"), ("/img/big", "Prefix", "big")], "/img/big/1", "big"),
        ([("/", "ImplementationSpecific", "is"), ("/a", "Exact", "exa")], "/a", "exa"),
        ([("/", "ImplementationSpecific", "is"), ("/a", "Exact", "exa")], "/a/", "is"),
        // Empty path is "/".
        ([("", "ImplementationSpecific", "empty")], "/x", "empty"),
    ]

    @Test(arguments: multiRule)
    func precedence(rules: [(String, String, String)], request: String, winner: String?) {
        var w = World()
        w.echo(Array(Set(rules.map(\.2))).sorted())
        let paths = rules.map { Fx.path($0.0, $0.1, Fx.backend($0.2, 80)) }
        w.ingresses = [Fx.ingress("i", rules: [Fx.rule("h.example", paths)])]
        #expect(w.build().problems.isEmpty)
        #expect(w.serviceFor("h.example", request) == winner)
    }

    // Request paths are matched after nginx-style normalization; nil = 400.
    static let normalization: [(String, String?)] = [
        ("/", "/"),
        ("", "/"),
        ("/a/b", "/a/b"),
        ("/a/b/", "/a/b/"),
        ("/a//b", "/a/b"),
        ("/a/./b", "/a/b"),
        ("/a/b/..", "/a/"),
        ("/a/../b", "/b"),
        ("/a/b?x=/../..", "/a/b"),
        ("/a#frag", "/a"),
        ("/%61%62c", "/abc"),
        ("/a%2Fb", "/a/b"),
        ("/public/%2e%2e/admin", "/admin"),
        ("/..", nil),
        ("/a/../..", nil),
        ("/%zz", nil),
        ("/%4", nil),
        ("/a%00b", nil),
        ("a/b", nil),
        ("*", nil),
        ("http://x/a", nil),
    ]

    @Test(arguments: normalization)
    func normalizePath(raw: String, expected: String?) {
        #expect(PathMatching.normalizePath(raw) == expected)
    }

    @Test func traversalIsRoutedByNormalizedPath() {
        var w = World()
        w.echo(["public", "admin"])
        w.ingresses = [
            Fx.ingress(
                "i",
                rules: [
                    Fx.rule(
                        "h",
                        [
                            Fx.path("/public", "Prefix", Fx.backend("public", 80)),
                            Fx.path("/admin", "Prefix", Fx.backend("admin", 80)),
                        ])
                ])
        ]
        #expect(w.serviceFor("h", "/public/../admin/x") == "admin")
        #expect(w.serviceFor("h", "/public/%2e%2e/admin") == "admin")
        #expect(w.serviceFor("h", "/public/x") == "public")
        #expect(w.serviceFor("h", "/../admin") == nil)
    }

    static let hosts: [(String, String)] = [
        ("Foo.Example.COM", "foo.example.com"),
        ("foo.example.com:8080", "foo.example.com"),
        ("foo.example.com.", "foo.example.com"),
        ("FOO.example.com.:443", "foo.example.com"),
        ("[::1]:80", "::1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("10.0.0.1:80", "10.0.0.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("", ""),
    ]

    @Test(arguments: hosts)
    func normalizeHost(raw: String, expected: String) {
        #expect(PathMatching.normalizeHost(raw) == expected)
    }

    static let ruleHosts: [(String, Bool)] = [
        ("foo.bar.com", true), ("*.bar.com", true), ("*.foo.bar.com", true), ("localhost", true), ("a-b.c", true),
        ("*", false), ("*.*.bar.com", false), ("*.foo.*.com", false), ("*bar.com", false), ("f*.bar.com", false),
        ("1.2.3.4", false), ("Foo.com", false), ("-a.com", false), ("a-.com", false), ("a..com", false), ("", false),
        ("foo.bar.com:80", false), ("a_b.com", false),
    ]

    @Test(arguments: ruleHosts)
    func ruleHostValidation(host: String, valid: Bool) {
        #expect(PathMatching.isValidRuleHost(host) == valid)
    }

    static let wildcardKeys: [(String, String?)] = [
        ("bar.foo.com", "*.foo.com"), ("baz.bar.foo.com", "*.bar.foo.com"), ("foo.com", "*.com"),
        ("localhost", nil), (".com", nil), ("a.", nil),
    ]

    @Test(arguments: wildcardKeys)
    func wildcardKey(host: String, key: String?) {
        #expect(PathMatching.wildcardKey(for: host) == key)
    }
}
