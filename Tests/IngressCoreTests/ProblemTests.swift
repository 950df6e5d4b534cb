import KubeAPI
import Testing

@testable import IngressCore

/// Invalid Ingresses are skipped with a reason; the others keep serving.
@Suite struct ProblemTests {
    static func base() -> World {
        var w = World()
        w.echo(["good", "svc"])
        w.services.append(Fx.service("named", ports: [Fx.Port("http", 80, 8080)]))
        w.secrets = [
            Fx.tlsSecret("tls-ok"),
            Fx.secret("tls-nokey", data: ["tls.crt": "C"]),
            Fx.secret("tls-empty", data: ["tls.crt": "", "tls.key": "K"]),
            Fx.secret("users", type: "Opaque", data: ["auth": "alice:$apr1$x$y\n# comment\n\nbob:{SHA}abc=\n"]),
            Fx.secret("users-map", type: "Opaque", data: ["carol": "$2y$05$hash"]),
            Fx.secret("users-bad", type: "Opaque", data: ["auth": "no-colon-here\n"]),
            Fx.secret("users-nokey", type: "Opaque", data: ["other": "x"]),
        ]
        w.ingresses = [
            Fx.ingress(
                "good", created: "2023-01-01T00:00:00Z",
                rules: [Fx.rule("good.test", [Fx.path("/", "Prefix", Fx.backend("good", 80))])])
        ]
        return w
    }

    static func rule(
        _ backend: JSON = Fx.backend("svc", 80), path: String = "/", type: String = "Prefix", host: String = "bad.test"
    ) -> JSON {
        Fx.rule(host, [Fx.path(path, type, backend)])
    }

    /// (the bad Ingress, expected reason, expected message)
    static let cases: [(Ingress, IngressProblemReason, String)] = [
        (
            Fx.ingress("bad", rules: [rule(Fx.backend("missing", 80))]), .unknownService,
            "path \"/\": service \"default/missing\" not found"
        ),
        (
            Fx.ingress("bad", rules: [rule(Fx.backend("named", portName: "grpc"))]), .unknownServicePort,
            "path \"/\": service \"default/named\" has no TCP port named \"grpc\""
        ),
        (
            Fx.ingress("bad", rules: [rule(Fx.backend("named", 8080))]), .unknownServicePort,
            "path \"/\": service \"default/named\" has no TCP port 8080"
        ),
        (
            Fx.ingress("bad", defaultBackend: Fx.backend("nope", 80)), .unknownService,
            "defaultBackend: service \"default/nope\" not found"
        ),
        (
            Fx.ingress("bad", ns: "other", rules: [rule()]), .unknownService,
            "path \"/\": service \"other/svc\" not found"
        ),
        (
            Fx.ingress("bad", rules: [rule(["resource": ["kind": "StorageBucket", "name": "static"]])]),
            .unsupportedBackend,
            "path \"/\": only service backends are supported (resource backends are not)"
        ),
        (
            Fx.ingress("bad", tls: [Fx.tls(["bad.test"], "absent")], rules: [rule()]), .missingTLSSecret,
            "TLS Secret \"default/absent\" not found"
        ),
        (
            Fx.ingress("bad", tls: [Fx.tls(["bad.test"], "tls-nokey")], rules: [rule()]), .invalidTLSSecret,
            "TLS Secret \"default/tls-nokey\" lacks non-empty tls.crt and tls.key"
        ),
        (
            Fx.ingress("bad", tls: [Fx.tls(["bad.test"], "tls-empty")], rules: [rule()]), .invalidTLSSecret,
            "TLS Secret \"default/tls-empty\" lacks non-empty tls.crt and tls.key"
        ),
        (
            Fx.ingress("bad", ns: "other", tls: [Fx.tls(["bad.test"], "tls-ok")], rules: []), .invalidSpec,
            "Ingress has neither rules nor defaultBackend"
        ),
        (
            Fx.ingress(
                "bad", annotations: Fx.nginx(["use-regex": "true"]),
                rules: [rule(path: "/a(", type: "ImplementationSpecific")]), .invalidRegex,
            "path regex \"^/a(\" for host \"bad.test\" does not compile"
        ),
        (
            Fx.ingress("bad", annotations: Fx.nginx(["proxy-body-size": "lots"]), rules: [rule()]), .invalidAnnotation,
            "annotation nginx.ingress.kubernetes.io/proxy-body-size: invalid value \"lots\", expected an nginx size: digits with an optional b, k, m or g suffix"
        ),
        (
            Fx.ingress("bad", annotations: Fx.nginx(["auth-url": "http://auth"]), rules: [rule()]),
            .unsupportedSecurityAnnotation,
            "annotation nginx.ingress.kubernetes.io/auth-url is not supported by Ferry; refusing to serve this Ingress without the access control it asks for"
        ),
        (
            Fx.ingress(
                "bad",
                annotations: Fx.nginx(["canary": "true", "canary-by-header": "X", "canary-by-header-pattern": "(x"]),
                rules: [rule()]), .invalidRegex,
            "annotation nginx.ingress.kubernetes.io/canary-by-header-pattern: \"(x\" is not a valid regular expression"
        ),
        (
            Fx.ingress("bad", annotations: Fx.nginx(["auth-type": "basic", "auth-secret": "absent"]), rules: [rule()]),
            .missingAuthSecret,
            "auth Secret \"default/absent\" not found"
        ),
        (
            Fx.ingress(
                "bad", annotations: Fx.nginx(["auth-type": "basic", "auth-secret": "users-bad"]), rules: [rule()]),
            .invalidAuthSecret,
            "auth Secret \"default/users-bad\": line 1 is not user:hash"
        ),
        (
            Fx.ingress(
                "bad", annotations: Fx.nginx(["auth-type": "basic", "auth-secret": "users-nokey"]), rules: [rule()]),
            .invalidAuthSecret,
            "auth Secret \"default/users-nokey\": missing data key \"auth\""
        ),
        (
            Fx.ingress("bad", rules: [rule(host: "10.0.0.1")]), .invalidHost,
            "rule host \"10.0.0.1\" is not a DNS name or a *.wildcard of one"
        ),
        (
            Fx.ingress("bad", rules: [rule(host: "*.*.bad.test")]), .invalidHost,
            "rule host \"*.*.bad.test\" is not a DNS name or a *.wildcard of one"
        ),
        (
            Fx.ingress("bad", tls: [Fx.tls(["*"], nil)], rules: [rule()]), .invalidHost,
            "tls host \"*\" is not a DNS name or a *.wildcard of one"
        ),
        (
            Fx.ingress("bad", rules: [rule(type: "Regex")]), .invalidPath,
            "path \"/\" has unknown pathType \"Regex\""
        ),
        (
            Fx.ingress("bad", rules: [rule(path: "foo", type: "Exact")]), .invalidPath,
            "path \"foo\" must start with /"
        ),
    ]

    @Test(arguments: cases)
    func skipped(bad: Ingress, reason: IngressProblemReason, message: String) {
        var w = Self.base()
        w.ingresses.append(bad)
        let b = w.build()
        #expect(b.problems == [IngressProblem(ingress: IngressRef(bad), reason: reason, message: message)])
        #expect(b.accepted == [IngressRef(namespace: "default", name: "good")])
        #expect(b.table.match(host: "good.test", path: "/")?.backend.service == "good")
        #expect(b.table.match(host: "bad.test", path: "/") == nil)
        #expect(b.table.certificate(forSNI: "bad.test") == nil)
    }

    @Test func validAuthSecretsLoadUsers() throws {
        var w = Self.base()
        w.ingresses.append(
            Fx.ingress(
                "file",
                annotations: Fx.nginx(["auth-type": "basic", "auth-secret": "users", "auth-realm": "Staff only"]),
                rules: [Fx.rule("file.test", [Fx.path("/", "Prefix", Fx.backend("svc", 80))])]))
        w.ingresses.append(
            Fx.ingress(
                "map",
                annotations: Fx.nginx([
                    "auth-type": "basic", "auth-secret": "default/users-map", "auth-secret-type": "auth-map",
                ]),
                rules: [Fx.rule("map.test", [Fx.path("/", "Prefix", Fx.backend("svc", 80))])]))
        let b = w.build()
        #expect(b.problems.isEmpty)
        #expect(
            try #require(b.table.match(host: "file.test", path: "/")).options.basicAuth
                == BasicAuth(realm: "Staff only", users: ["alice": "$apr1$x$y", "bob": "{SHA}abc="]))
        #expect(
            try #require(b.table.match(host: "map.test", path: "/")).options.basicAuth
                == BasicAuth(realm: "", users: ["carol": "$2y$05$hash"]))
    }

    @Test func unsupportedAnnotationsReportedPerIngress() {
        var w = Self.base()
        w.ingresses.append(
            Fx.ingress(
                "snippets", annotations: Fx.nginx(["configuration-snippet": "x", "ssl-redirect": "false"]),
                rules: [Fx.rule("s.test", [Fx.path("/", "Prefix", Fx.backend("svc", 80))])]))
        w.ingresses.append(
            Fx.ingress(
                "skipped", annotations: Fx.nginx(["server-snippet": "x", "proxy-body-size": "bad"]),
                rules: [Fx.rule("k.test", [Fx.path("/", "Prefix", Fx.backend("svc", 80))])]))
        let b = w.build()
        #expect(
            b.unsupportedAnnotations == [
                IngressRef(namespace: "default", name: "snippets"): [
                    "nginx.ingress.kubernetes.io/configuration-snippet"
                ],
                IngressRef(namespace: "default", name: "skipped"): ["nginx.ingress.kubernetes.io/server-snippet"],
            ])
        #expect(b.table.match(host: "s.test", path: "/")?.backend.service == "svc")
    }

    @Test func problemsAreSortedAndIndependent() {
        var w = Self.base()
        w.ingresses += [
            Fx.ingress("z", rules: [Self.rule(Fx.backend("missing", 80), host: "z.test")]),
            Fx.ingress("a", rules: [Self.rule(Fx.backend("missing", 80), host: "a.test")]),
            Fx.ingress("ok", rules: [Self.rule(host: "ok.test")]),
        ]
        let b = w.build()
        #expect(b.problems.map(\.ingress.name) == ["a", "z"])
        #expect(b.table.match(host: "ok.test", path: "/")?.backend.service == "svc")
    }

    @Test func uppercaseStoredHostIsLowercased() {
        var w = Self.base()
        w.ingresses.append(Fx.ingress("upper", rules: [Self.rule(host: "Mixed.Example.com")]))
        #expect(w.build().problems.isEmpty)
        #expect(w.serviceFor("mixed.example.com", "/") == "svc")
    }
}
