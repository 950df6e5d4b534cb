/// Traffic-shaping rules of a canary Ingress (`canary: "true"` + `canary-by-*` / `canary-weight*`).
public struct CanaryPolicy: Sendable, Hashable {
    /// `canary-by-header`: header name consulted first.
    public var header: String?
    /// `canary-by-header-value`: exact value that selects the canary (instead of `always`).
    public var headerValue: String?
    /// `canary-by-header-pattern`: regex on the header value (ignored when `headerValue` is set).
    public var headerPattern: CompiledRegex?
    /// `canary-by-cookie`: cookie consulted second (`always` / `never`).
    public var cookie: String?
    /// `canary-weight` out of `canary-weight-total` (default 100).
    public var weight = 0
    public var weightTotal = 100

    public init() {}

    /// Whether this request goes to the canary. Precedence as ingress-nginx's balancer.lua: header, then cookie,
    /// then weight. A header with a value other than the configured one (or other than `always`/`never`) falls
    /// through to the cookie; so does a cookie other than `always`/`never`. `random` is uniform in [0, 1) and
    /// selects the canary when it falls in the first `weight/weightTotal` of the range.
    public func routesToCanary(_ request: CanaryRequest, random: Double) -> Bool {
        if let name = header, let value = request.header(name) {
            if let want = headerValue, !want.isEmpty {
                if value == want { return true }
            } else if let pattern = headerPattern {
                if pattern.firstMatch(in: value) != nil { return true }
            } else if value == "always" {
                return true
            } else if value == "never" {
                return false
            }
        }
        if let name = cookie, let value = request.cookies[name] {
            if value == "always" { return true }
            if value == "never" { return false }
        }
        guard weight > 0, weightTotal > 0 else { return false }
        // lua: math.random(total) <= weight, with math.random(n) uniform on 1...n.
        let draw = min(Int(max(0, random) * Double(weightTotal)), weightTotal - 1) + 1
        return draw <= weight
    }
}

/// The request facts canary selection looks at: headers (first value per name, case-insensitive, like nginx
/// `$http_*`) and cookies (first value per name, like nginx `$cookie_*`).
public struct CanaryRequest: Sendable, Hashable {
    public var headers: [String: String]
    public var cookies: [String: String]

    /// Builds from raw header fields; `Cookie` headers are parsed into `cookies`.
    public init(headers fields: [(name: String, value: String)]) {
        var h: [String: String] = [:]
        var c: [String: String] = [:]
        for f in fields {
            let n = f.name.lowercased()
            if h[n] == nil { h[n] = f.value }
            if n == "cookie" {
                for pair in f.value.split(separator: ";") {
                    let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    let k = String(kv[0].trimmingASCIISpaces())
                    guard !k.isEmpty, kv.count == 2 else { continue }
                    if c[k] == nil { c[k] = String(kv[1].trimmingASCIISpaces()) }
                }
            }
        }
        headers = h
        cookies = c
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The canary attached to a primary route: its Ingress, resolved backend, and policy.
public struct CanaryTarget: Sendable, Hashable {
    public var ingress: IngressRef
    public var backend: Backend
    public var policy: CanaryPolicy
}
