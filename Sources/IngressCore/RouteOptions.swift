import Foundation

/// Per-route behaviour parsed from `nginx.ingress.kubernetes.io/*` annotations; defaults mirror ingress-nginx's
/// ConfigMap defaults. Every field is data: nothing here is ever spliced into a config language or a command.
public struct RouteOptions: Sendable, Hashable {
    /// `ssl-redirect` (default true): redirect HTTP to HTTPS when the host has a `spec.tls` entry.
    public var sslRedirect = true
    /// `force-ssl-redirect`: redirect HTTP to HTTPS even without a tls entry (TLS terminated in front of us).
    public var forceSSLRedirect = false
    /// `preserve-trailing-slash`: keep a trailing `/` in the HTTPS redirect (ingress-nginx strips it by default).
    public var preserveTrailingSlash = false
    /// `rewrite-target`: upstream path template with `$1`…`$9` from the route's regex.
    public var rewriteTarget: String?
    /// `use-regex`: this Ingress's Prefix/ImplementationSpecific paths are case-insensitive regexes anchored at `^`.
    public var useRegex = false
    /// `proxy-body-size` in bytes; nil means unlimited (`0`). Default 1m.
    public var maxBodyBytes: Int64? = 1 << 20
    /// `proxy-connect-timeout` / `proxy-read-timeout` / `proxy-send-timeout` (defaults 5 s / 60 s / 60 s).
    public var connectTimeout: Duration = .seconds(5)
    public var readTimeout: Duration = .seconds(60)
    public var sendTimeout: Duration = .seconds(60)
    /// `backend-protocol` (default HTTP).
    public var backendProtocol: BackendProtocol = .http
    /// `affinity: cookie` and its `session-cookie-*` settings.
    public var affinity: CookieAffinity?
    /// `limit-rps`, `limit-rpm`, `limit-connections`, `limit-burst-multiplier`, `limit-whitelist`.
    public var rateLimit: RateLimit?
    /// `enable-cors` and the `cors-*` settings.
    public var cors: CORSPolicy?
    /// `auth-type: basic` with users loaded from `auth-secret`.
    public var basicAuth: BasicAuth?
    /// `whitelist-source-range` / `allowlist-source-range`; nil allows every client.
    public var allowedSourceRanges: [CIDR]?
    /// `denylist-source-range`; nil denies none.
    public var deniedSourceRanges: [CIDR]?
    /// `permanent-redirect` / `temporal-redirect`: answer with a redirect instead of proxying.
    public var redirect: Redirect?
    /// `upstream-vhost`: Host header sent upstream instead of the client's.
    public var upstreamVhost: String?
    /// `app-root`: requests for `/` get a 302 to this path.
    public var appRoot: String?

    public init() {}
}

/// `backend-protocol` values Ferry supports.
public enum BackendProtocol: String, Sendable, Hashable, CaseIterable {
    case http = "HTTP"
    case https = "HTTPS"
    case grpc = "GRPC"
}

/// Cookie-based session affinity (`affinity: cookie`).
public struct CookieAffinity: Sendable, Hashable {
    public var cookieName = "INGRESSCOOKIE"
    /// `session-cookie-path`; nil means the route's path (ingress-nginx default).
    public var cookiePath: String?
    /// `session-cookie-max-age` in seconds; nil makes a session cookie.
    public var maxAgeSeconds: Int?
    public init() {}
}

/// Per-client-IP limits (`limit-*`); enforcement state lives in the shell.
public struct RateLimit: Sendable, Hashable {
    public var requestsPerSecond: Int?
    public var requestsPerMinute: Int?
    public var connections: Int?
    /// Burst = rate × multiplier (default 5).
    public var burstMultiplier = 5
    /// Clients in these ranges are never limited (`limit-whitelist` / `limit-allowlist`).
    public var exemptSourceRanges: [CIDR] = []
    public init() {}
}

/// A fixed redirect answered without contacting a backend.
public struct Redirect: Sendable, Hashable {
    public var url: String
    public var code: Int
    public init(url: String, code: Int) {
        self.url = url
        self.code = code
    }
}

/// HTTP basic authentication for a route: `users` maps user name to htpasswd hash (verification is the shell's).
public struct BasicAuth: Sendable, Hashable {
    public var realm: String
    public var users: [String: String]
    public init(realm: String, users: [String: String]) {
        self.realm = realm
        self.users = users
    }
}

/// Where `auth-secret` points and how to read it; resolved to `BasicAuth` against the Secrets snapshot.
public struct BasicAuthReference: Sendable, Hashable {
    public enum SecretFormat: String, Sendable, Hashable {
        /// htpasswd text in data key `auth`.
        case authFile = "auth-file"
        /// One data key per user, value = hash.
        case authMap = "auth-map"
    }
    public var secretName: String
    public var format: SecretFormat
    public var realm: String
}

/// CORS settings (`enable-cors` + `cors-*`), defaults as ingress-nginx.
public struct CORSPolicy: Sendable, Hashable {
    /// `*`, or origins like `https://a.example.com`, `https://*.example.com` (one label), `http://x:8080`.
    public var allowOrigins: [String] = ["*"]
    public var allowMethods = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
    public var allowHeaders =
        "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
    public var exposeHeaders = ""
    public var allowCredentials = true
    public var maxAgeSeconds = 1_728_000
    public init() {}

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`, or nil when the origin is not allowed.
    /// With `*` configured the answer is `*`, except that credentials require echoing the origin.
    public func allowedOrigin(for origin: String) -> String? {
        if allowOrigins.contains("*") { return allowCredentials ? origin : "*" }
        let o = origin.lowercased()
        for allowed in allowOrigins {
            let a = allowed.lowercased()
            if a == o { return origin }
            // https://*.example.com covers exactly one label, like wildcard hosts.
            if let star = a.range(of: "://*.") {
                let scheme = a[..<star.lowerBound]
                let suffix = a[star.upperBound...]
                guard o.hasPrefix(scheme + "://") else { continue }
                let rest = o.dropFirst(scheme.count + 3)
                guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex else { continue }
                if rest[rest.index(after: dot)...] == suffix && !rest[..<dot].contains(":") { return origin }
            }
        }
        return nil
    }
}

/// A compiled regular expression with value semantics keyed by its source text (NSRegularExpression is immutable
/// and thread-safe, so one instance is shared by all requests).
public struct CompiledRegex: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    let regex: NSRegularExpression

    /// Compiles `pattern`; `caseInsensitive` mirrors nginx `~*` locations.
    public init(_ pattern: String, caseInsensitive: Bool) throws(IngressCoreError) {
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw .invalidRegex(pattern: pattern)
        }
        self.pattern = pattern
    }

    /// Capture groups (index 0 = whole match) of the first match, searching from the start; nil when none.
    /// Groups that did not participate are "".
    public func firstMatch(in s: String, anchored: Bool = false) -> [String]? {
        let ns = NSRange(s.startIndex..<s.endIndex, in: s)
        guard let m = regex.firstMatch(in: s, options: anchored ? [.anchored] : [], range: ns) else { return nil }
        return (0..<m.numberOfRanges).map { i in
            let r = m.range(at: i)
            guard r.location != NSNotFound, let range = Range(r, in: s) else { return "" }
            return String(s[range])
        }
    }

    public var description: String { pattern }
    public static func == (a: CompiledRegex, b: CompiledRegex) -> Bool {
        a.pattern == b.pattern && a.regex.options == b.regex.options
    }
    public func hash(into h: inout Hasher) { h.combine(pattern) }
}

/// Errors from the pure helpers of this module.
public enum IngressCoreError: Error, Equatable, Sendable {
    case invalidRegex(pattern: String)
    /// `name` is the full annotation key; `value` is the offending text (truncated for Event messages).
    case invalidAnnotation(name: String, value: String, expected: String)
    /// A security annotation Ferry does not implement; serving without it would silently drop protection.
    case unsupportedSecurityAnnotation(name: String)
}
