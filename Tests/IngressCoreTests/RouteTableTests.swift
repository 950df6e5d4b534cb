import KubeAPI
import Testing

@testable import IngressCore

@Suite struct RouteTableTests {
    /// One world with exact, wildcard, catch-all and per-Ingress default backends.
    static func hostsWorld() -> World {
        var w = World()
        w.echo(["exact", "wild", "deeper-wild", "hostless", "catchall-default", "exact-default", "other"])
        w.ingresses = [
            Fx.ingress(
                "a", created: "2024-01-01T00:00:00Z", defaultBackend: Fx.backend("exact-default", 80),
                rules: [
                    Fx.rule("foo.example.com", [Fx.path("/app", "Prefix", Fx.backend("exact", 80))]),
                    Fx.rule("*.example.com", [Fx.path("/", "Prefix", Fx.backend("wild", 80))]),
                    Fx.rule("*.sub.example.com", [Fx.path("/", "Prefix", Fx.backend("deeper-wild", 80))]),
                ]),
            Fx.ingress(
                "b", created: "2024-01-02T00:00:00Z",
                rules: [
                    Fx.rule(nil, [Fx.path("/hostless", "Prefix", Fx.backend("hostless", 80))]),
                    Fx.rule("bare.example.org", []),
                ]),
            Fx.ingress("c", created: "2024-01-03T00:00:00Z", defaultBackend: Fx.backend("catchall-default", 80)),
            // Newer rule-less default backend: loses the catch-all to c.
            Fx.ingress("d", created: "2024-01-04T00:00:00Z", defaultBackend: Fx.backend("other", 80)),
        ]
        return w
    }

    static let hostCases: [(String, String, String?)] = [
        ("foo.example.com", "/app/x", "exact"),
        ("FOO.Example.com:8443", "/app", "exact"),
        // Exact host exists: unmatched path uses that host's defaultBackend (from Ingress a), not the wildcard.
        ("foo.example.com", "/other", "exact-default"),
        ("bar.example.com", "/anything", "wild"),
        ("x.sub.example.com", "/", "deeper-wild"),
        // Wildcards cover exactly one label.
        ("a.b.sub.example.com", "/", "catchall-default"),
        ("example.com", "/", "catchall-default"),
        // Host-less rules and the rule-less default backend form the catch-all.
        ("unknown.test", "/hostless/1", "hostless"),
        ("unknown.test", "/nope", "catchall-default"),
        ("", "/hostless", "hostless"),
        // Rule host without http: a host entry whose creator (b) has no defaultBackend → 404, not the catch-all.
        ("bare.example.org", "/", nil),
        // Host-less rules apply only to hosts without their own entry.
        ("foo.example.com", "/hostless", "exact-default"),
    ]

    @Test(arguments: hostCases)
    func hostSelection(host: String, path: String, service: String?) {
        #expect(Self.hostsWorld().serviceFor(host, path) == service)
    }

    @Test func matchReportsRuleAndIngress() throws {
        let t = Self.hostsWorld().build().table
        let m = try #require(t.match(host: "bar.example.com", path: "/x"))
        #expect(m.host == "*.example.com")
        #expect(m.path == "/")
        #expect(m.pathType == .prefix)
        #expect(m.ingress == IngressRef(namespace: "default", name: "a"))
        let d = try #require(t.match(host: "foo.example.com", path: "/zzz"))
        #expect(d.isDefaultBackend && d.path == "" && d.host == "foo.example.com")
        #expect(t.hostNames == ["*.example.com", "*.sub.example.com", "bare.example.org", "foo.example.com"])
    }

    @Test func emptyTableMatchesNothing() {
        #expect(RouteTable().match(host: "a", path: "/") == nil)
        #expect(RouteTable().certificate(forSNI: "a") == nil)
        #expect(World().build().table.match(host: "x", path: "/") == nil)
    }

    @Test func badRequestPathMatchesNothingEvenWithCatchAll() {
        var w = World()
        w.echo(["s"])
        w.ingresses = [Fx.ingress("i", defaultBackend: Fx.backend("s", 80))]
        #expect(w.serviceFor("h", "/../etc") == nil)
        #expect(w.serviceFor("h", "/ok") == "s")
    }

    // Conflicts: same host/path/pathType in two Ingresses → oldest wins; ties → namespace/name descending
    // (ingress-nginx sortIngressSlice). (ingress A, created A, ingress B, created B, expected winner)
    static let conflictCases: [(String, String, String, String, String)] = [
        ("old", "2024-01-01T00:00:00Z", "new", "2024-06-01T00:00:00Z", "old"),
        ("new", "2024-06-01T00:00:00Z", "old", "2024-01-01T00:00:00Z", "old"),
        ("aaa", "2024-01-01T00:00:00Z", "zzz", "2024-01-01T00:00:00Z", "zzz"),
        ("zzz", "2024-01-01T00:00:00Z", "aaa", "2024-01-01T00:00:00Z", "zzz"),
    ]

    @Test(arguments: conflictCases)
    func conflictResolution(a: String, ca: String, b: String, cb: String, winner: String) throws {
        var w = World()
        w.echo(["svc-" + a, "svc-" + b])
        w.ingresses = [
            Fx.ingress(a, created: ca, rules: [Fx.rule("h", [Fx.path("/p", "Prefix", Fx.backend("svc-" + a, 80))])]),
            Fx.ingress(b, created: cb, rules: [Fx.rule("h", [Fx.path("/p", "Prefix", Fx.backend("svc-" + b, 80))])]),
        ]
        let build = w.build()
        #expect(build.table.match(host: "h", path: "/p")?.backend.service == "svc-" + winner)
        let loser = winner == a ? b : a
        #expect(
            build.conflicts == [
                RouteConflict(
                    host: "h", path: "/p", pathType: .prefix, winner: IngressRef(namespace: "default", name: winner),
                    loser: IngressRef(namespace: "default", name: loser))
            ])
        #expect(build.problems.isEmpty)
    }

    @Test func differentPathTypesAcrossIngressesDoNotConflict() {
        var w = World()
        w.echo(["pre", "exa", "other"])
        w.ingresses = [
            Fx.ingress(
                "p", created: "2024-01-01T00:00:00Z",
                rules: [Fx.rule("h", [Fx.path("/foo", "Prefix", Fx.backend("pre", 80))])]),
            Fx.ingress(
                "e", created: "2024-01-02T00:00:00Z",
                rules: [
                    Fx.rule(
                        "h",
                        [
                            Fx.path("/foo", "Exact", Fx.backend("exa", 80)),
                            Fx.path("/bar", "Prefix", Fx.backend("other", 80)),
                        ])
                ]),
        ]
        let b = w.build()
        #expect(b.conflicts.isEmpty)
        #expect(b.table.match(host: "h", path: "/foo")?.backend.service == "exa")
        #expect(b.table.match(host: "h", path: "/foo/x")?.backend.service == "pre")
        // The newer Ingress's other paths merge into the same host.
        #expect(b.table.match(host: "h", path: "/bar")?.backend.service == "other")
        #expect(b.accepted.map(\.name) == ["p", "e"])
    }

    @Test func implementationSpecificAndPrefixSamePathConflict() {
        var w = World()
        w.echo(["one", "two"])
        w.ingresses = [
            Fx.ingress(
                "i",
                rules: [
                    Fx.rule(
                        "h",
                        [
                            Fx.path("/x", "ImplementationSpecific", Fx.backend("one", 80)),
                            Fx.path("/x", "Prefix", Fx.backend("two", 80)),
                        ])
                ])
        ]
        let b = w.build()
        #expect(b.table.match(host: "h", path: "/x")?.backend.service == "one")
        #expect(b.conflicts.count == 1)
    }

    @Test func endpointsReadyTerminatingAndNotReady() throws {
        var w = World()
        w.services = [Fx.service("s", ports: [Fx.Port("web", 80, 8080), Fx.Port("admin", 81, 9090)])]
        w.slices = [
            Fx.slice(
                "s", suffix: "a", ports: [("web", 8080), ("admin", 9090)], ready: ["10.0.0.2", "10.0.0.1"],
                terminating: ["10.0.0.9"], notReady: ["10.0.0.7"]),
            // Same address in a second slice (slice migration) is listed once.
            Fx.slice("s", suffix: "b", ports: [("web", 8080)], ready: ["10.0.0.1", "10.0.0.3"]),
            // A slice of another Service in the same namespace is ignored.
            Fx.slice("t", suffix: "a", ports: [("web", 8080)], ready: ["10.9.9.9"]),
        ]
        w.ingresses = [
            Fx.ingress(
                "i",
                rules: [
                    Fx.rule(
                        "h",
                        [
                            Fx.path("/", "Prefix", Fx.backend("s", portName: "web")),
                            Fx.path("/admin", "Prefix", Fx.backend("s", 81)),
                        ])
                ])
        ]
        let t = w.build().table
        let web = try #require(t.match(host: "h", path: "/")).backend
        #expect(web.endpoints.map(\.description) == ["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"])
        #expect(web.terminatingEndpoints.map(\.description) == ["10.0.0.9:8080"])
        #expect(web.servicePort == 80 && web.servicePortName == "web")
        let admin = try #require(t.match(host: "h", path: "/admin")).backend
        #expect(admin.endpoints.map(\.description) == ["10.0.0.1:9090", "10.0.0.2:9090"])
        #expect(admin.servicePort == 81 && admin.servicePortName == "admin")
    }

    @Test func serviceWithoutEndpointsStillRoutes() throws {
        var w = World()
        w.services = [Fx.service("s", ports: [Fx.Port("", 80, 8080)])]
        w.ingresses = [Fx.ingress("i", defaultBackend: Fx.backend("s", 80))]
        let m = try #require(w.build().table.match(host: "h", path: "/"))
        #expect(m.backend.endpoints.isEmpty)  // the shell answers 503
    }

    @Test func externalNameService() throws {
        var w = World()
        w.services = [Fx.service("ext", ports: [], type: "ExternalName", externalName: "API.Example.net")]
        w.ingresses = [Fx.ingress("i", defaultBackend: Fx.backend("ext", 443))]
        let b = try #require(w.build().table.match(host: "h", path: "/")).backend
        #expect(b.externalName == "api.example.net")
        #expect(b.endpoints == [UpstreamEndpoint(address: "api.example.net", port: 443)])
    }

    @Test func ipv6EndpointDescription() {
        #expect(UpstreamEndpoint(address: "fd00::1", port: 80).description == "[fd00::1]:80")
    }

    @Test func tlsCertificatesBySNI() throws {
        var w = World()
        w.echo(["s"])
        w.secrets = [Fx.tlsSecret("exact"), Fx.tlsSecret("wild"), Fx.tlsSecret("late")]
        w.ingresses = [
            Fx.ingress(
                "a", created: "2024-01-01T00:00:00Z",
                tls: [
                    Fx.tls(["foo.example.com"], "exact"), Fx.tls(["*.example.com"], "wild"),
                    Fx.tls(["nosecret.example.com"], nil),
                ],
                rules: [Fx.rule("foo.example.com", [Fx.path("/", "Prefix", Fx.backend("s", 80))])]),
            // Newer Ingress listing the same host does not replace the certificate.
            Fx.ingress(
                "b", created: "2024-02-01T00:00:00Z", tls: [Fx.tls(["foo.example.com"], "late")],
                rules: [Fx.rule("foo.example.com", [Fx.path("/b", "Prefix", Fx.backend("s", 80))])]),
        ]
        let t = w.build().table
        #expect(t.certificate(forSNI: "foo.example.com")?.secretName == "exact")
        #expect(t.certificate(forSNI: "FOO.example.com.")?.secretName == "exact")
        #expect(t.certificate(forSNI: "bar.example.com")?.secretName == "wild")
        #expect(t.certificate(forSNI: "a.bar.example.com") == nil)
        #expect(t.certificate(forSNI: "example.com") == nil)
        // A tls entry without secretName uses the default certificate, even under a wildcard entry.
        #expect(t.certificate(forSNI: "nosecret.example.com") == nil)
        #expect(try #require(t.certificate(forSNI: "foo.example.com")).ingress.name == "a")
    }

    @Test func tlsEntryWithoutHostsCoversRuleHosts() {
        var w = World()
        w.echo(["s"])
        w.secrets = [Fx.tlsSecret("c")]
        w.ingresses = [
            Fx.ingress(
                "a", tls: [Fx.tls([], "c")],
                rules: [
                    Fx.rule("one.test", [Fx.path("/", "Prefix", Fx.backend("s", 80))]),
                    Fx.rule("two.test", [Fx.path("/", "Prefix", Fx.backend("s", 80))]),
                ])
        ]
        let t = w.build().table
        #expect(t.certificate(forSNI: "one.test")?.secretName == "c")
        #expect(t.certificate(forSNI: "two.test")?.secretName == "c")
        #expect(t.certificate(forSNI: "three.test") == nil)
    }

    // (annotations, host, has tls entry, redirect expected)
    static let redirectCases: [([String: String], String, Bool)] = [
        ([:], "tls.test", true),
        ([:], "plain.test", false),
        (["ssl-redirect": "false"], "tls.test", false),
        (["force-ssl-redirect": "true"], "plain.test", true),
        (["force-ssl-redirect": "true", "ssl-redirect": "false"], "plain.test", true),
        (["ssl-redirect": "true"], "plain.test", false),
    ]

    @Test(arguments: redirectCases)
    func sslRedirect(short: [String: String], host: String, expected: Bool) throws {
        var w = World()
        w.echo(["s"])
        w.ingresses = [
            Fx.ingress(
                "a", annotations: Fx.nginx(short), tls: [Fx.tls(["tls.test"], nil)],
                rules: [
                    Fx.rule("tls.test", [Fx.path("/", "Prefix", Fx.backend("s", 80))]),
                    Fx.rule("plain.test", [Fx.path("/", "Prefix", Fx.backend("s", 80))]),
                ])
        ]
        let m = try #require(w.build().table.match(host: host, path: "/"))
        #expect(m.redirectsToHTTPS == expected)
    }

    @Test func wildcardTLSCoversExactHostForRedirect() throws {
        var w = World()
        w.echo(["s"])
        w.ingresses = [
            Fx.ingress(
                "a", tls: [Fx.tls(["*.example.com"], nil)],
                rules: [Fx.rule("foo.example.com", [Fx.path("/", "Prefix", Fx.backend("s", 80))])]),
            Fx.ingress("b", rules: [Fx.rule("foo.other.com", [Fx.path("/", "Prefix", Fx.backend("s", 80))])]),
        ]
        let t = w.build().table
        #expect(try #require(t.match(host: "foo.example.com", path: "/")).hostHasTLS)
        #expect(try #require(t.match(host: "foo.other.com", path: "/")).hostHasTLS == false)
    }
}
