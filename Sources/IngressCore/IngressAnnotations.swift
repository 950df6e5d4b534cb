/// Result of parsing one Ingress's annotations.
public struct ParsedAnnotations: Sendable, Hashable {
    /// Route options (with `basicAuth` still unresolved: see `basicAuthReference`).
    public var options = RouteOptions()
    /// Set when `auth-type: basic`; the builder loads users from this Secret.
    public var basicAuthReference: BasicAuthReference?
    /// Non-nil exactly when `canary: "true"`.
    public var canary: CanaryPolicy?
    /// Full names of prefixed annotations Ferry ignores, sorted; one Event per Ingress lists them.
    public var unsupported: [String] = []
    public init() {}
}

/// Parses ingress-nginx annotations into typed options with validation. Values are only ever parsed into numbers,
/// enums, CIDRs, compiled regexes or strings checked against narrow character sets; none is interpolated into
/// anything executable.
public enum IngressAnnotations {
    public static let defaultPrefix = "nginx.ingress.kubernetes.io"

    /// Short names (after `prefix/`) that Ferry implements.
    public static let supported: Set<String> = [
        "ssl-redirect", "force-ssl-redirect", "preserve-trailing-slash", "rewrite-target", "use-regex",
        "proxy-body-size",
        "proxy-connect-timeout", "proxy-read-timeout", "proxy-send-timeout", "backend-protocol",
        "canary", "canary-by-header", "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie",
        "canary-weight", "canary-weight-total",
        "affinity", "session-cookie-name", "session-cookie-path", "session-cookie-max-age",
        "limit-rps", "limit-rpm", "limit-connections", "limit-burst-multiplier", "limit-whitelist", "limit-allowlist",
        "enable-cors", "cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers",
        "cors-allow-credentials", "cors-max-age",
        "auth-type", "auth-secret", "auth-secret-type", "auth-realm",
        "whitelist-source-range", "allowlist-source-range", "denylist-source-range",
        "permanent-redirect", "permanent-redirect-code", "temporal-redirect", "temporal-redirect-code",
        "upstream-vhost", "app-root",
    ]

    /// Unsupported annotations that add access control: ignoring them would expose what the user meant to protect,
    /// so the Ingress is refused instead of served unprotected.
    public static let securitySensitiveUnsupported: Set<String> = [
        "auth-url", "auth-tls-secret", "auth-tls-verify-client",
    ]

    /// Parses the annotations of an Ingress in `namespace`. Throws on the first invalid value, in this order:
    /// ssl/rewrite/regex, body size, timeouts, backend protocol, canary, affinity, limits, CORS, auth, source
    /// ranges, redirects, upstream-vhost, app-root. Empty values count as unset (as in ingress-nginx).
    public static func parse(
        _ annotations: [String: String], namespace: String, prefix: String = defaultPrefix
    ) throws(IngressCoreError) -> ParsedAnnotations {
        let a = Reader(annotations: annotations, prefix: prefix + "/")
        var out = ParsedAnnotations()
        var o = RouteOptions()

        let keyPrefix = prefix + "/"
        for key in annotations.keys where key.hasPrefix(keyPrefix) {
            let short = String(key.dropFirst(keyPrefix.count))
            if securitySensitiveUnsupported.contains(short) { throw .unsupportedSecurityAnnotation(name: key) }
            if !supported.contains(short) { out.unsupported.append(key) }
        }
        out.unsupported.sort()

        // 1. TLS redirects, rewrite, regex.
        if let v = try a.bool("ssl-redirect") { o.sslRedirect = v }
        if let v = try a.bool("force-ssl-redirect") { o.forceSSLRedirect = v }
        if let v = try a.bool("preserve-trailing-slash") { o.preserveTrailingSlash = v }
        o.rewriteTarget = try a.string(
            "rewrite-target", expected: "a path of letters, digits, -._~/:$ (captures $1..$9)", valid: isRewritePath)
        if let v = try a.bool("use-regex") { o.useRegex = v }

        // 2. Body size: nginx size syntax.
        if let raw = a.value("proxy-body-size") {
            guard let n = parseSize(raw) else {
                throw a.invalid("proxy-body-size", raw, "an nginx size: digits with an optional b, k, m or g suffix")
            }
            o.maxBodyBytes = n == 0 ? nil : n
        }

        // 3. Timeouts, whole seconds.
        for (name, kp) in [
            ("proxy-connect-timeout", \RouteOptions.connectTimeout), ("proxy-read-timeout", \.readTimeout),
            ("proxy-send-timeout", \.sendTimeout),
        ] {
            if let n = try a.int(name, range: 1...Int(Int32.max), expected: "a positive number of seconds") {
                o[keyPath: kp] = .seconds(n)
            }
        }

        // 4. Backend protocol.
        if let raw = a.value("backend-protocol") {
            guard let p = BackendProtocol(rawValue: raw.uppercased()) else {
                throw a.invalid("backend-protocol", raw, "one of HTTP, HTTPS, GRPC")
            }
            o.backendProtocol = p
        }

        // 5. Canary.
        out.canary = try parseCanary(a)

        // 6. Cookie affinity.
        if let raw = a.value("affinity") {
            guard raw == "cookie" else { throw a.invalid("affinity", raw, "cookie") }
            var c = CookieAffinity()
            if let n = try a.string("session-cookie-name", expected: "a cookie name token", valid: isToken) {
                c.cookieName = n
            }
            c.cookiePath = try a.string(
                "session-cookie-path", expected: "a path starting with /",
                valid: { $0.hasPrefix("/") && isURLChars($0) })
            c.maxAgeSeconds = try a.int(
                "session-cookie-max-age", range: 0...Int(Int32.max), expected: "a non-negative number of seconds")
            o.affinity = c
        }

        // 7. Rate limits (0 = off, as in ingress-nginx).
        var rl = RateLimit()
        rl.requestsPerSecond = try a.int("limit-rps", range: 0...Int(Int32.max), expected: "a non-negative integer")
            .flatMap { $0 > 0 ? $0 : nil }
        rl.requestsPerMinute = try a.int("limit-rpm", range: 0...Int(Int32.max), expected: "a non-negative integer")
            .flatMap { $0 > 0 ? $0 : nil }
        rl.connections = try a.int("limit-connections", range: 0...Int(Int32.max), expected: "a non-negative integer")
            .flatMap { $0 > 0 ? $0 : nil }
        if let m = try a.int("limit-burst-multiplier", range: 1...1_000_000, expected: "a positive integer") {
            rl.burstMultiplier = m
        }
        if let list = try a.cidrs("limit-allowlist") {
            rl.exemptSourceRanges = list
        } else if let list = try a.cidrs("limit-whitelist") {
            rl.exemptSourceRanges = list
        }
        if rl.requestsPerSecond != nil || rl.requestsPerMinute != nil || rl.connections != nil { o.rateLimit = rl }

        // 8. CORS.
        if try a.bool("enable-cors") == true { o.cors = try parseCORS(a) }

        // 9. Basic auth.
        out.basicAuthReference = try parseAuth(a, namespace: namespace)

        // 10. Source ranges: the allowlist name wins over its legacy alias.
        o.allowedSourceRanges = try a.cidrs("allowlist-source-range")
        if o.allowedSourceRanges == nil { o.allowedSourceRanges = try a.cidrs("whitelist-source-range") }
        o.deniedSourceRanges = try a.cidrs("denylist-source-range")

        // 11. Redirects: temporal is checked first, as in ingress-nginx.
        let tCode = try a.int("temporal-redirect-code", range: 300...307, expected: "an HTTP status 300-307")
        let pCode = try a.int("permanent-redirect-code", range: 300...308, expected: "an HTTP status 300-308")
        if let url = try a.string(
            "temporal-redirect", expected: "an http(s) URL of letters, digits, -._~/:,?&=", valid: isRedirectURL)
        {
            o.redirect = Redirect(url: url, code: tCode ?? 302)
        } else if let url = try a.string(
            "permanent-redirect", expected: "an http(s) URL of letters, digits, -._~/:,?&=", valid: isRedirectURL)
        {
            o.redirect = Redirect(url: url, code: pCode ?? 301)
        }

        // 12. Upstream Host and app root.
        o.upstreamVhost = try a.string(
            "upstream-vhost", expected: "a host name with an optional :port", valid: isHostPort)
        o.appRoot = try a.string(
            "app-root", expected: "a path starting with / of letters, digits, -._~/:",
            valid: { $0.hasPrefix("/") && isRewritePath($0) && !$0.contains("$") })

        out.options = o
        return out
    }

    private static func parseCanary(_ a: Reader) throws(IngressCoreError) -> CanaryPolicy? {
        let enabled = try a.bool("canary") ?? false
        var c = CanaryPolicy()
        c.header = try a.string("canary-by-header", expected: "an HTTP header name", valid: isToken)
        c.headerValue = try a.string("canary-by-header-value", expected: "letters, digits, -._~/:", valid: isBasicChars)
        if let p = a.value("canary-by-header-pattern") {
            guard !hasControlChars(p) else { throw a.invalid("canary-by-header-pattern", p, "a regular expression") }
            c.headerPattern = try CompiledRegex(p, caseInsensitive: false)
        }
        c.cookie = try a.string("canary-by-cookie", expected: "a cookie name token", valid: isToken)
        if let w = try a.int("canary-weight", range: 0...Int(Int32.max), expected: "a non-negative integer") {
            c.weight = w
        }
        if let t = try a.int("canary-weight-total", range: 1...Int(Int32.max), expected: "a positive integer") {
            c.weightTotal = t
        }
        let configured =
            c.header != nil || c.headerValue != nil || c.headerPattern != nil || c.cookie != nil || c.weight > 0
        if !enabled {
            // ingress-nginx: "configured but not enabled" is an error, not a silent no-op.
            if configured {
                throw .invalidAnnotation(
                    name: a.prefix + "canary", value: a.value("canary") ?? "",
                    expected: "\"true\" when canary-* annotations are set")
            }
            return nil
        }
        return c
    }

    private static func parseCORS(_ a: Reader) throws(IngressCoreError) -> CORSPolicy {
        var c = CORSPolicy()
        if let raw = a.value("cors-allow-origin") {
            var origins: [String] = []
            for item in raw.split(separator: ",") {
                let t = String(item.trimmingASCIISpaces())
                if t.isEmpty { continue }
                guard isCORSOrigin(t) else {
                    throw a.invalid("cors-allow-origin", raw, "*, null, or origins like https://*.example.com:8443")
                }
                if t == "*" {
                    origins = ["*"]
                    break
                }
                origins.append(t)
            }
            if !origins.isEmpty { c.allowOrigins = origins }
        }
        if let m = try a.string(
            "cors-allow-methods", expected: "comma-separated method names",
            valid: { isList($0, item: { $0.allSatisfy { $0.isASCII && $0.isLetter } }) })
        {
            c.allowMethods = m
        }
        if let h = try a.string(
            "cors-allow-headers", expected: "comma-separated header names", valid: { isList($0, item: isToken) })
        {
            c.allowHeaders = h
        }
        if let e = try a.string(
            "cors-expose-headers", expected: "comma-separated header names or *",
            valid: { isList($0, item: { $0 == "*" || isToken($0) }) })
        {
            c.exposeHeaders = e
        }
        if let b = try a.bool("cors-allow-credentials") { c.allowCredentials = b }
        if let n = try a.int("cors-max-age", range: 0...Int(Int32.max), expected: "a non-negative number of seconds") {
            c.maxAgeSeconds = n
        }
        return c
    }

    private static func parseAuth(_ a: Reader, namespace: String) throws(IngressCoreError) -> BasicAuthReference? {
        let secretRaw = a.value("auth-secret")
        guard let type = a.value("auth-type") else {
            // Fail closed: a Secret without a type means the user expects protection we would not apply.
            if let s = secretRaw { throw a.invalid("auth-secret", s, "to be used together with auth-type: basic") }
            return nil
        }
        guard type == "basic" else { throw a.invalid("auth-type", type, "basic (digest is not supported)") }
        guard let secret = secretRaw else {
            throw .invalidAnnotation(
                name: a.prefix + "auth-secret", value: "", expected: "a Secret name (required by auth-type: basic)")
        }
        let parts = secret.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ isDNSSubdomain(String($0)) }) else {
            throw a.invalid("auth-secret", secret, "name or namespace/name")
        }
        if parts.count == 2 && parts[0] != namespace {
            throw a.invalid("auth-secret", secret, "a Secret in the Ingress's own namespace")
        }
        var format = BasicAuthReference.SecretFormat.authFile
        if let f = a.value("auth-secret-type") {
            guard let parsed = BasicAuthReference.SecretFormat(rawValue: f) else {
                throw a.invalid("auth-secret-type", f, "auth-file or auth-map")
            }
            format = parsed
        }
        let realm =
            try a.string(
                "auth-realm", expected: "letters, digits, spaces, -._~/:", valid: { isBasicChars($0.replacingSpaces()) }
            ) ?? ""
        return BasicAuthReference(secretName: String(parts[parts.count - 1]), format: format, realm: realm)
    }

    // MARK: - Value syntaxes

    /// Go `strconv.ParseBool` spellings.
    public static func parseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// nginx size syntax (`^\d+[bkmg]?$`, case-insensitive) in bytes; nil on bad syntax or overflow.
    public static func parseSize(_ s: String) -> Int64? {
        var digits = Substring(s)
        var unit: Int64 = 1
        if let last = digits.last, !last.isASCIIDigit {
            switch last.lowercased() {
            case "b": unit = 1
            case "k": unit = 1 << 10
            case "m": unit = 1 << 20
            case "g": unit = 1 << 30
            default: return nil
            }
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(\.isASCIIDigit), let n = Int64(digits) else {
            return nil
        }
        let (r, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : r
    }

    static func hasControlChars(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
    }
    static func isBasicChars(_ s: String) -> Bool { s.utf8.allSatisfy { isAlnum($0) || "-._~/:".utf8.contains($0) } }
    static func isRewritePath(_ s: String) -> Bool { s.utf8.allSatisfy { isAlnum($0) || "-._~/:$".utf8.contains($0) } }
    static func isURLChars(_ s: String) -> Bool { s.utf8.allSatisfy { isAlnum($0) || "-._~/:,?&=".utf8.contains($0) } }
    static func isRedirectURL(_ s: String) -> Bool {
        guard let sep = s.range(of: "://"), s[..<sep.lowerBound] == "http" || s[..<sep.lowerBound] == "https" else {
            return false
        }
        return !s[sep.upperBound...].isEmpty && isURLChars(s)
    }
    /// RFC 9110 token (header names, cookie names).
    static func isToken(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { isAlnum($0) || "!#$%&'*+-.^_`|~".utf8.contains($0) }
    }
    static func isHostPort(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
            parts[0].utf8.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else { return false }
        if parts.count == 2 {
            return parts[1].allSatisfy(\.isASCIIDigit) && (Int(parts[1]).map { (1...65535).contains($0) } ?? false)
        }
        return true
    }
    static func isDNSSubdomain(_ s: String) -> Bool { !s.hasPrefix("*") && PathMatching.isValidRuleHost(s) }
    static func isCORSOrigin(_ s: String) -> Bool {
        if s == "*" || s == "null" { return true }
        guard let sep = s.range(of: "://") else { return false }
        let scheme = s[..<sep.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isASCII && $0.isLowercase }) else { return false }
        var rest = s[sep.upperBound...]
        if rest.hasPrefix("*.") { rest = rest.dropFirst(2) }
        var hostPart = rest
        if let colon = rest.firstIndex(of: ":") {
            let port = rest[rest.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isASCIIDigit) else { return false }
            hostPart = rest[..<colon]
        }
        return !hostPart.isEmpty
            && hostPart.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }
    static func isList(_ s: String, item: (String) -> Bool) -> Bool {
        let items = s.split(separator: ",").map { String($0.trimmingASCIISpaces()) }
        return !items.isEmpty && items.allSatisfy { !$0.isEmpty && item($0) }
    }
    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    }

    /// Looks up prefixed annotations and produces uniform errors.
    struct Reader {
        let annotations: [String: String]
        let prefix: String

        /// Trimmed value, nil when absent or empty.
        func value(_ name: String) -> String? {
            guard let raw = annotations[prefix + name] else { return nil }
            let t = String(Substring(raw).trimmingASCIISpaces())
            return t.isEmpty ? nil : t
        }

        func invalid(_ name: String, _ value: String, _ expected: String) -> IngressCoreError {
            // Values end up in Event messages: keep them short and printable.
            var shown = String(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
            if shown.count > 64 { shown = String(shown.prefix(64)) + "…" }
            return .invalidAnnotation(name: prefix + name, value: shown, expected: expected)
        }

        func bool(_ name: String) throws(IngressCoreError) -> Bool? {
            guard let v = value(name) else { return nil }
            guard let b = IngressAnnotations.parseBool(v) else { throw invalid(name, v, "true or false") }
            return b
        }

        func int(_ name: String, range: ClosedRange<Int>, expected: String) throws(IngressCoreError) -> Int? {
            guard let v = value(name) else { return nil }
            guard v.count <= 12, let n = Int(v), range.contains(n) else { throw invalid(name, v, expected) }
            return n
        }

        func string(_ name: String, expected: String, valid: (String) -> Bool) throws(IngressCoreError) -> String? {
            guard let v = value(name) else { return nil }
            guard !IngressAnnotations.hasControlChars(v), valid(v) else { throw invalid(name, v, expected) }
            return v
        }

        func cidrs(_ name: String) throws(IngressCoreError) -> [CIDR]? {
            guard let v = value(name) else { return nil }
            guard let list = CIDR.parseList(v) else { throw invalid(name, v, "comma-separated IPs or CIDRs") }
            // "," alone lists nothing: treat as unset rather than "deny everyone".
            return list.isEmpty ? nil : list
        }
    }
}

extension String {
    fileprivate func replacingSpaces() -> String { String(unicodeScalars.filter { $0 != " " }.map(Character.init)) }
}
