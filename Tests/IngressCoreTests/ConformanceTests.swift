import KubeAPI
import Testing

@testable import IngressCore

/// kubernetes-sigs/ingress-controller-conformance features (ingress.md §2.1) as pure matcher cases.
@Suite struct ConformanceTests {
    // default_backend.feature: only a defaultBackend; every host/path/method goes to echo-service.
    static let defaultBackendRequests: [(String, String)] = [
        ("my-host", "/"), ("my-host", "/sub-path"), ("some-host", "/"), ("", "/resource"), ("some-host", "/resource"),
        ("my-host", "/resource"),
    ]

    @Test(arguments: defaultBackendRequests)
    func defaultBackend(host: String, path: String) throws {
        var w = World()
        w.services = [Fx.service("echo-service", ports: [Fx.Port("", 8080, 3000)])]
        w.slices = [Fx.slice("echo-service", ports: [("", 3000)], ready: ["10.1.0.5"])]
        w.ingresses = [Fx.ingress("default-backend", defaultBackend: Fx.backend("echo-service", 8080))]
        let m = try #require(w.build().table.match(host: host, path: path))
        #expect(m.backend.service == "echo-service")
        #expect(m.backend.endpoints == [UpstreamEndpoint(address: "10.1.0.5", port: 3000)])
        #expect(m.isDefaultBackend)
        #expect(m.ingress == IngressRef(namespace: "default", name: "default-backend"))
        #expect(m.host == "")
    }

    static func hostRulesWorld() -> World {
        var w = World()
        w.services = [
            Fx.service("wildcard-foo-com", ports: [Fx.Port("", 8080, 3000)]),
            Fx.service("foo-bar-com", ports: [Fx.Port("http", 8080, 3000)]),
        ]
        w.slices = [
            Fx.slice("wildcard-foo-com", ports: [("", 3000)], ready: ["10.1.0.1"]),
            Fx.slice("foo-bar-com", ports: [("http", 3000)], ready: ["10.1.0.2"]),
        ]
        w.secrets = [Fx.tlsSecret("conformance-tls")]
        w.ingresses = [
            Fx.ingress(
                "host-rules", tls: [Fx.tls(["foo.bar.com"], "conformance-tls")],
                rules: [
                    Fx.rule("*.foo.com", [Fx.path("/", "Prefix", Fx.backend("wildcard-foo-com", 8080))]),
                    Fx.rule("foo.bar.com", [Fx.path("/", "Prefix", Fx.backend("foo-bar-com", portName: "http"))]),
                ])
        ]
        return w
    }

    // host_rules.feature scenarios 2-6 (request host → service; nil = 404).
    static let hostRuleCases: [(String, String?)] = [
        ("foo.bar.com", "foo-bar-com"),
        ("subdomain.bar.com", nil),
        ("bar.foo.com", "wildcard-foo-com"),
        ("baz.bar.foo.com", nil),
        ("foo.com", nil),
    ]

    @Test(arguments: hostRuleCases)
    func hostRules(host: String, service: String?) {
        let b = Self.hostRulesWorld().build()
        #expect(b.problems.isEmpty)
        #expect(b.table.match(host: host, path: "/")?.backend.service == service)
    }

    // host_rules scenario 1: HTTPS to foo.bar.com presents the Secret's certificate; port name resolves to 3000.
    @Test func hostRulesTLS() throws {
        let t = Self.hostRulesWorld().build().table
        let cert = try #require(t.certificate(forSNI: "foo.bar.com"))
        #expect(cert.secretName == "conformance-tls")
        #expect(cert.certificateChainPEM == Array("CERT-conformance-tls".utf8))
        #expect(cert.privateKeyPEM == Array("KEY-conformance-tls".utf8))
        #expect(t.certificate(forSNI: "bar.foo.com") == nil)
        let m = try #require(t.match(host: "foo.bar.com", path: "/"))
        #expect(m.backend.servicePort == 8080)
        #expect(m.backend.servicePortName == "http")
        #expect(m.backend.endpoints == [UpstreamEndpoint(address: "10.1.0.2", port: 3000)])
        // Scenario 2 accepts a redirect; TLS hosts redirect by default, the wildcard host has no TLS.
        #expect(m.redirectsToHTTPS)
        #expect(try #require(t.match(host: "bar.foo.com", path: "/")).redirectsToHTTPS == false)
    }

    // ingress_class.feature: an Ingress naming a class nobody defines is not ours.
    @Test func ingressClass() {
        let ing = Fx.ingress(
            "ingress-class", className: "some-invalid-class-name",
            rules: [Fx.rule("ingress-class", [Fx.path("/", "Prefix", Fx.backend("echo", 80))])])
        let classes = [Fx.ingressClass("conformance", controller: IngressClassSelection.controller)]
        #expect(
            ingressesServed([ing], classes: classes, ourClassNames: IngressClassSelection.defaultClassNames).isEmpty)
        let ours = Fx.ingress("ok", className: "conformance", rules: [])
        #expect(ingressesServed([ing, ours], classes: classes, ourClassNames: []).map(\.metadata.name) == ["ok"])
    }

    // load_balancing.feature: 10 ready pods behind the default backend → all 10 are upstream endpoints.
    @Test func loadBalancingTenEndpoints() throws {
        var w = World()
        let ips = (1...10).map { "10.2.0.\($0)" }
        w.services = [Fx.service("echo-service", ports: [Fx.Port("", 8080, 3000)])]
        // Split over two slices, as the EndpointSlice controller may do; the address set is what matters.
        w.slices = [
            Fx.slice("echo-service", suffix: "a", ports: [("", 3000)], ready: Array(ips[..<6])),
            Fx.slice("echo-service", suffix: "b", ports: [("", 3000)], ready: Array(ips[6...])),
        ]
        w.ingresses = [Fx.ingress("load-balancing", defaultBackend: Fx.backend("echo-service", 8080))]
        let m = try #require(w.build().table.match(host: "load-balancing", path: "/"))
        #expect(m.backend.endpoints.count == 10)
        #expect(Set(m.backend.endpoints.map(\.address)) == Set(ips))
        #expect(m.backend.endpoints.allSatisfy { $0.port == 3000 })
    }

    static func pathRulesWorld() -> World {
        var w = World()
        w.echo([
            "foo-exact", "foo-prefix", "aaa-slash-bbb-prefix", "aaa-prefix", "aaa-slash-bbb-slash-prefix",
            "foo-slash-exact",
        ])
        w.ingresses = [
            Fx.ingress(
                "path-rules",
                rules: [
                    Fx.rule("exact-path-rules", [Fx.path("/foo", "Exact", Fx.backend("foo-exact", 80))]),
                    Fx.rule(
                        "prefix-path-rules",
                        [
                            Fx.path("/foo", "Prefix", Fx.backend("foo-prefix", 80)),
                            Fx.path("/aaa/bbb", "Prefix", Fx.backend("aaa-slash-bbb-prefix", 80)),
                            Fx.path("/aaa", "Prefix", Fx.backend("aaa-prefix", 80)),
                        ]),
                    Fx.rule(
                        "mixed-path-rules",
                        [
                            Fx.path("/foo", "Prefix", Fx.backend("foo-prefix", 80)),
                            Fx.path("/foo", "Exact", Fx.backend("foo-exact", 80)),
                        ]),
                    Fx.rule(
                        "trailing-slash-path-rules",
                        [
                            Fx.path("/aaa/bbb/", "Prefix", Fx.backend("aaa-slash-bbb-slash-prefix", 80)),
                            Fx.path("/foo/", "Exact", Fx.backend("foo-slash-exact", 80)),
                        ]),
                ])
        ]
        return w
    }

    // path_rules.feature: all 16 scenarios.
    static let pathRuleCases: [(String, String, String?)] = [
        ("exact-path-rules", "/foo", "foo-exact"),
        ("exact-path-rules", "/foo/", nil),
        ("exact-path-rules", "/FOO", nil),
        ("exact-path-rules", "/bar", nil),
        ("prefix-path-rules", "/foo", "foo-prefix"),
        ("prefix-path-rules", "/foo/", "foo-prefix"),
        ("prefix-path-rules", "/foo", "foo-prefix"),
        ("prefix-path-rules", "/FOO", nil),
        ("prefix-path-rules", "/aaa/bbb", "aaa-slash-bbb-prefix"),
        ("prefix-path-rules", "/aaa/bbb/ccc", "aaa-slash-bbb-prefix"),
        ("prefix-path-rules", "/aaa/ccc", "aaa-prefix"),
        ("prefix-path-rules", "/aaaccc", nil),
        ("mixed-path-rules", "/foo", "foo-exact"),
        ("trailing-slash-path-rules", "/aaa/bbb", "aaa-slash-bbb-slash-prefix"),
        ("trailing-slash-path-rules", "/aaa/bbb/", "aaa-slash-bbb-slash-prefix"),
        ("trailing-slash-path-rules", "/foo", nil),
    ]

    @Test(arguments: pathRuleCases)
    func pathRules(host: String, path: String, service: String?) {
        #expect(Self.pathRulesWorld().serviceFor(host, path) == service)
    }
}
