import Testing

@testable import IngressCore

@Suite struct AnnotationTests {
    static let p = "nginx.ingress.kubernetes.io/"

    static func parse(_ short: [String: String], ns: String = "default") throws(IngressCoreError) -> ParsedAnnotations {
        try IngressAnnotations.parse(Fx.nginx(short), namespace: ns)
    }

    @Test func defaults() throws {
        let o = try Self.parse([:]).options
        #expect(o == RouteOptions())
        #expect(o.sslRedirect && !o.forceSSLRedirect && !o.useRegex)
        #expect(o.maxBodyBytes == 1_048_576)
        #expect(o.connectTimeout == .seconds(5) && o.readTimeout == .seconds(60) && o.sendTimeout == .seconds(60))
        #expect(o.backendProtocol == .http)
        #expect(
            o.rewriteTarget == nil && o.affinity == nil && o.rateLimit == nil && o.cors == nil && o.basicAuth == nil)
        #expect(o.allowedSourceRanges == nil && o.redirect == nil && o.upstreamVhost == nil && o.appRoot == nil)
    }

    /// Valid values: (annotations, check on the parsed options).
    static let valid: [([String: String], @Sendable (ParsedAnnotations) -> Bool)] = [
        (["ssl-redirect": "false"], { !$0.options.sslRedirect }),
        (["ssl-redirect": "0"], { !$0.options.sslRedirect }),
        (["force-ssl-redirect": "True"], { $0.options.forceSSLRedirect }),
        (["rewrite-target": "/$2"], { $0.options.rewriteTarget == "/$2" }),
        (["use-regex": "true"], { $0.options.useRegex }),
        (["proxy-body-size": "8k"], { $0.options.maxBodyBytes == 8192 }),
        (["proxy-body-size": "1m"], { $0.options.maxBodyBytes == 1_048_576 }),
        (["proxy-body-size": "2G"], { $0.options.maxBodyBytes == 2_147_483_648 }),
        (["proxy-body-size": "512"], { $0.options.maxBodyBytes == 512 }),
        (["proxy-body-size": "100b"], { $0.options.maxBodyBytes == 100 }),
        (["proxy-body-size": "0"], { $0.options.maxBodyBytes == nil }),
        (["proxy-body-size": " 10m "], { $0.options.maxBodyBytes == 10_485_760 }),
        (["proxy-connect-timeout": "10"], { $0.options.connectTimeout == .seconds(10) }),
        (
            ["proxy-read-timeout": "3600", "proxy-send-timeout": "120"],
            { $0.options.readTimeout == .seconds(3600) && $0.options.sendTimeout == .seconds(120) }
        ),
        (["backend-protocol": "HTTPS"], { $0.options.backendProtocol == .https }),
        (["backend-protocol": "grpc"], { $0.options.backendProtocol == .grpc }),
        (["affinity": "cookie"], { $0.options.affinity?.cookieName == "INGRESSCOOKIE" }),
        (
            [
                "affinity": "cookie", "session-cookie-name": "route", "session-cookie-max-age": "172800",
                "session-cookie-path": "/app",
            ],
            {
                $0.options.affinity?.cookieName == "route" && $0.options.affinity?.maxAgeSeconds == 172800
                    && $0.options.affinity?.cookiePath == "/app"
            }
        ),
        (["session-cookie-name": "ignored-without-affinity"], { $0.options.affinity == nil }),
        (
            ["limit-rps": "5"],
            { $0.options.rateLimit?.requestsPerSecond == 5 && $0.options.rateLimit?.burstMultiplier == 5 }
        ),
        (
            ["limit-connections": "3", "limit-burst-multiplier": "2"],
            { $0.options.rateLimit?.connections == 3 && $0.options.rateLimit?.burstMultiplier == 2 }
        ),
        (["limit-rps": "0"], { $0.options.rateLimit == nil }),
        (
            ["limit-rpm": "60", "limit-whitelist": "10.0.0.0/8, 192.168.1.1"],
            { $0.options.rateLimit?.requestsPerMinute == 60 && $0.options.rateLimit?.exemptSourceRanges.count == 2 }
        ),
        (["enable-cors": "true"], { $0.options.cors == CORSPolicy() }),
        (["enable-cors": "false", "cors-allow-origin": "https://a.com"], { $0.options.cors == nil }),
        (
            [
                "enable-cors": "true", "cors-allow-origin": "https://a.com, https://*.b.com:8443",
                "cors-allow-methods": "GET, POST",
                "cors-allow-headers": "X-Token,Content-Type", "cors-expose-headers": "X-Id, *",
                "cors-allow-credentials": "false", "cors-max-age": "600",
            ],
            {
                $0.options.cors?.allowOrigins == ["https://a.com", "https://*.b.com:8443"]
                    && $0.options.cors?.allowMethods == "GET, POST"
                    && $0.options.cors?.allowHeaders == "X-Token,Content-Type"
                    && $0.options.cors?.exposeHeaders == "X-Id, *"
                    && $0.options.cors?.allowCredentials == false && $0.options.cors?.maxAgeSeconds == 600
            }
        ),
        (
            ["auth-type": "basic", "auth-secret": "users", "auth-realm": "Private area"],
            {
                $0.basicAuthReference
                    == BasicAuthReference(secretName: "users", format: .authFile, realm: "Private area")
            }
        ),
        (
            ["auth-type": "basic", "auth-secret": "default/users", "auth-secret-type": "auth-map"],
            { $0.basicAuthReference == BasicAuthReference(secretName: "users", format: .authMap, realm: "") }
        ),
        (
            ["whitelist-source-range": "10.0.0.0/8,fd00::/8"],
            { $0.options.allowedSourceRanges?.map(\.description) == ["10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8"] }
        ),
        (
            ["allowlist-source-range": "1.2.3.4", "whitelist-source-range": "5.6.7.8"],
            { $0.options.allowedSourceRanges?.map(\.description) == ["1.2.3.4/32"] }
        ),
        (
            ["denylist-source-range": "192.0.2.0/24"],
            { $0.options.deniedSourceRanges?.map(\.description) == ["192.0.2.0/24"] }
        ),
        (
            ["permanent-redirect": "https://example.com/new"],
            { $0.options.redirect == Redirect(url: "https://example.com/new", code: 301) }
        ),
        (
            ["permanent-redirect": "https://example.com", "permanent-redirect-code": "308"],
            { $0.options.redirect?.code == 308 }
        ),
        (
            ["temporal-redirect": "http://example.com/tmp?a=b&c=d"],
            { $0.options.redirect == Redirect(url: "http://example.com/tmp?a=b&c=d", code: 302) }
        ),
        (
            ["temporal-redirect": "https://t.example", "permanent-redirect": "https://p.example"],
            { $0.options.redirect?.url == "https://t.example" }
        ),
        (["upstream-vhost": "internal.example.svc"], { $0.options.upstreamVhost == "internal.example.svc" }),
        (["upstream-vhost": "backend:8080"], { $0.options.upstreamVhost == "backend:8080" }),
        (["app-root": "/app1"], { $0.options.appRoot == "/app1" }),
        (["canary": "true", "canary-weight": "20"], { $0.canary?.weight == 20 && $0.canary?.weightTotal == 100 }),
        (["canary": "false"], { $0.canary == nil }),
        (
            ["canary": "true", "canary-by-header": "X-Canary", "canary-by-header-pattern": "^(v2|v3)$"],
            { $0.canary?.headerPattern?.pattern == "^(v2|v3)$" }
        ),
        // Empty values count as unset.
        (["proxy-body-size": "", "ssl-redirect": " "], { $0.options == RouteOptions() }),
    ]

    @Test(arguments: valid)
    func validValues(short: [String: String], check: @Sendable (ParsedAnnotations) -> Bool) throws {
        #expect(check(try Self.parse(short)))
    }

    /// Invalid values: (annotations, the annotation named in the error).
    static let invalid: [([String: String], String)] = [
        (["ssl-redirect": "yes"], "ssl-redirect"),
        (["force-ssl-redirect": "on"], "force-ssl-redirect"),
        (["rewrite-target": "/$1?x=y"], "rewrite-target"),
        (["rewrite-target": "/a;b"], "rewrite-target"),
        (["rewrite-target": "/a\nproxy_pass x"], "rewrite-target"),
        (["use-regex": "maybe"], "use-regex"),
        (["proxy-body-size": "1x"], "proxy-body-size"),
        (["proxy-body-size": "m"], "proxy-body-size"),
        (["proxy-body-size": "-1m"], "proxy-body-size"),
        (["proxy-body-size": "1.5m"], "proxy-body-size"),
        (["proxy-body-size": "99999999999999999g"], "proxy-body-size"),
        (["proxy-connect-timeout": "5s"], "proxy-connect-timeout"),
        (["proxy-read-timeout": "0"], "proxy-read-timeout"),
        (["proxy-send-timeout": "-3"], "proxy-send-timeout"),
        (["backend-protocol": "FCGI"], "backend-protocol"),
        (["backend-protocol": "GRPCS"], "backend-protocol"),
        (["backend-protocol": "AUTO_HTTP"], "backend-protocol"),
        (["canary-weight": "10"], "canary"),
        (["canary": "false", "canary-by-header": "X-C"], "canary"),
        (["canary": "true", "canary-weight": "ten"], "canary-weight"),
        (["canary": "true", "canary-weight": "-1"], "canary-weight"),
        (["canary": "true", "canary-weight-total": "0"], "canary-weight-total"),
        (["canary": "true", "canary-by-header": "X Bad"], "canary-by-header"),
        (["canary": "true", "canary-by-cookie": "a;b"], "canary-by-cookie"),
        (["canary": "yes"], "canary"),
        (["affinity": "ip"], "affinity"),
        (["affinity": "cookie", "session-cookie-name": "a b"], "session-cookie-name"),
        (["affinity": "cookie", "session-cookie-max-age": "forever"], "session-cookie-max-age"),
        (["limit-rps": "fast"], "limit-rps"),
        (["limit-connections": "-1"], "limit-connections"),
        (["limit-rps": "1", "limit-burst-multiplier": "0"], "limit-burst-multiplier"),
        (["limit-rps": "1", "limit-whitelist": "10.0.0.0/33"], "limit-whitelist"),
        (["enable-cors": "sure"], "enable-cors"),
        (["enable-cors": "true", "cors-allow-origin": "example.com"], "cors-allow-origin"),
        (["enable-cors": "true", "cors-allow-origin": "https://a.com/path"], "cors-allow-origin"),
        (["enable-cors": "true", "cors-allow-methods": "GET;DROP"], "cors-allow-methods"),
        (["enable-cors": "true", "cors-allow-headers": "X-A\r\nX-B"], "cors-allow-headers"),
        (["enable-cors": "true", "cors-max-age": "1d"], "cors-max-age"),
        (["auth-type": "digest", "auth-secret": "s"], "auth-type"),
        (["auth-type": "ntlm", "auth-secret": "s"], "auth-type"),
        (["auth-type": "basic"], "auth-secret"),
        (["auth-secret": "s"], "auth-secret"),
        (["auth-type": "basic", "auth-secret": "other-ns/s"], "auth-secret"),
        (["auth-type": "basic", "auth-secret": "Bad_Name"], "auth-secret"),
        (["auth-type": "basic", "auth-secret": "s", "auth-secret-type": "ldap"], "auth-secret-type"),
        (["auth-type": "basic", "auth-secret": "s", "auth-realm": "a\"b"], "auth-realm"),
        (["whitelist-source-range": "10.0.0.0/8,not-an-ip"], "whitelist-source-range"),
        (["whitelist-source-range": "300.1.1.1"], "whitelist-source-range"),
        (["allowlist-source-range": "10.0.0.1/"], "allowlist-source-range"),
        (["denylist-source-range": "::1/129"], "denylist-source-range"),
        (["permanent-redirect": "ftp://example.com"], "permanent-redirect"),
        (["permanent-redirect": "https://example.com/$request_uri"], "permanent-redirect"),
        (["permanent-redirect": "/relative"], "permanent-redirect"),
        (["permanent-redirect": "https://x.test", "permanent-redirect-code": "200"], "permanent-redirect-code"),
        (["temporal-redirect": "https://x.test", "temporal-redirect-code": "308"], "temporal-redirect-code"),
        (["temporal-redirect": "https://x.test/a b"], "temporal-redirect"),
        (["upstream-vhost": "$host"], "upstream-vhost"),
        (["upstream-vhost": "a.b:99999"], "upstream-vhost"),
        (["upstream-vhost": "a b"], "upstream-vhost"),
        (["app-root": "app1"], "app-root"),
        (["app-root": "https://evil.example/"], "app-root"),
        (["app-root": "/$1"], "app-root"),
    ]

    @Test(arguments: invalid)
    func invalidValues(short: [String: String], name: String) {
        #expect {
            try Self.parse(short)
        } throws: { error in
            guard case .invalidAnnotation(let n, _, _) = error as? IngressCoreError else { return false }
            return n == Self.p + name
        }
    }

    @Test func invalidRegexInHeaderPattern() {
        #expect(throws: IngressCoreError.invalidRegex(pattern: "(v2")) {
            try Self.parse(["canary": "true", "canary-by-header": "X", "canary-by-header-pattern": "(v2"])
        }
    }

    @Test func errorMessageValueIsSanitizedAndTruncated() {
        let long = String(repeating: "x", count: 100) + "!"
        #expect(
            throws: IngressCoreError.invalidAnnotation(
                name: Self.p + "proxy-body-size", value: String(repeating: "x", count: 64) + "…",
                expected: "an nginx size: digits with an optional b, k, m or g suffix")
        ) {
            try Self.parse(["proxy-body-size": long])
        }
    }

    @Test func unsupportedAnnotationsAreListed() throws {
        let parsed = try IngressAnnotations.parse(
            [
                Self.p + "configuration-snippet": "more_set_headers \"X: y\";",
                Self.p + "server-snippet": "x",
                Self.p + "ssl-redirect": "false",
                "kubernetes.io/ingress.class": "nginx",
                "example.com/other": "z",
            ], namespace: "default")
        #expect(parsed.unsupported == [Self.p + "configuration-snippet", Self.p + "server-snippet"])
        #expect(parsed.options.sslRedirect == false)
    }

    @Test(arguments: ["auth-url", "auth-tls-secret", "auth-tls-verify-client"])
    func unsupportedSecurityAnnotationRefuses(short: String) {
        #expect(throws: IngressCoreError.unsupportedSecurityAnnotation(name: Self.p + short)) {
            try Self.parse([short: "https://auth.example/verify"])
        }
    }

    @Test func customPrefix() throws {
        let parsed = try IngressAnnotations.parse(
            ["ferry.dev/proxy-body-size": "2k", Self.p + "proxy-body-size": "9k"], namespace: "d", prefix: "ferry.dev")
        #expect(parsed.options.maxBodyBytes == 2048)
        #expect(parsed.unsupported.isEmpty)
    }

    static let sizes: [(String, Int64?)] = [
        ("0", 0), ("1", 1), ("1k", 1024), ("1K", 1024), ("1m", 1 << 20), ("3g", 3 << 30), ("7b", 7),
        ("", nil), ("k", nil), ("1kb", nil), ("1t", nil), (" 1", nil), ("0x10", nil), ("+1", nil),
    ]

    @Test(arguments: sizes)
    func sizeSyntax(text: String, bytes: Int64?) {
        #expect(IngressAnnotations.parseSize(text) == bytes)
    }

    static let bools: [(String, Bool?)] = [
        ("true", true), ("1", true), ("T", true), ("TRUE", true), ("True", true), ("t", true),
        ("false", false), ("0", false), ("F", false), ("FALSE", false), ("False", false), ("f", false),
        ("yes", nil), ("tRuE", nil), ("", nil), ("on", nil),
    ]

    @Test(arguments: bools)
    func boolSyntax(text: String, value: Bool?) {
        #expect(IngressAnnotations.parseBool(text) == value)
    }
}
