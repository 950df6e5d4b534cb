/// The request facts the pre-proxy decisions need.
public struct RequestContext: Sendable, Hashable {
    public var isHTTPS: Bool
    public var method: String
    /// The Host header (or :authority) as sent, port included.
    public var hostHeader: String
    /// The raw request-target (`/path?query`), used verbatim in redirects.
    public var requestURI: String
    /// The client's IP address (text form) for source-range checks.
    public var clientAddress: String

    public init(isHTTPS: Bool, method: String, hostHeader: String, requestURI: String, clientAddress: String) {
        self.isHTTPS = isHTTPS
        self.method = method
        self.hostHeader = hostHeader
        self.requestURI = requestURI
        self.clientAddress = clientAddress
    }
}

/// What to do with a matched request before (or instead of) proxying.
public enum RequestDecision: Sendable, Hashable {
    case redirect(status: Int, location: String)
    /// Answer a CORS preflight with 204 and the route's `CORSPolicy` headers.
    case corsPreflight
    /// 403: the client address is outside `allowedSourceRanges` or inside `deniedSourceRanges`.
    case forbidden
    /// Go on: basic auth, rate limits, canary choice and proxying are the shell's next steps.
    case proxy
}

extension RouteMatch {
    /// ingress-nginx's status code for HTTP→HTTPS redirects (ConfigMap `http-redirect-code`, default 308).
    public static let httpsRedirectStatus = 308

    /// Applies this route's pre-proxy options in ingress-nginx's order (nginx.tmpl location block, then
    /// lua_ingress.rewrite, then the access phase): `app-root` for `/`, CORS preflight, `permanent-`/
    /// `temporal-redirect`, HTTP→HTTPS redirect, then deny/allow source ranges.
    public func decide(_ r: RequestContext) -> RequestDecision {
        let scheme = r.isHTTPS ? "https" : "http"
        if let root = options.appRoot, PathMatching.normalizePath(r.requestURI) == "/" {
            return .redirect(status: 302, location: "\(scheme)://\(r.hostHeader)\(root)")
        }
        if options.cors != nil && r.method == "OPTIONS" { return .corsPreflight }
        if let red = options.redirect { return .redirect(status: red.code, location: red.url) }
        if !r.isHTTPS && redirectsToHTTPS {
            var uri = Substring(r.requestURI)
            // lua_ingress.lua drops one trailing "/" of the whole request URI unless preserve-trailing-slash.
            if !options.preserveTrailingSlash && uri.hasSuffix("/") { uri = uri.dropLast() }
            return .redirect(
                status: Self.httpsRedirectStatus, location: "https://\(Self.hostWithoutPort(r.hostHeader))\(uri)")
        }
        if let deny = options.deniedSourceRanges, deny.contains(where: { $0.contains(r.clientAddress) }) {
            return .forbidden
        }
        if let allow = options.allowedSourceRanges, !allow.contains(where: { $0.contains(r.clientAddress) }) {
            return .forbidden
        }
        return .proxy
    }

    /// The Host header without `:port` (IPv6 brackets kept), as lua_ingress's `redirect_host`.
    static func hostWithoutPort(_ h: String) -> String {
        if h.hasPrefix("[") {
            if let close = h.firstIndex(of: "]") { return String(h[...close]) }
            return h
        }
        if let colon = h.firstIndex(of: ":") { return String(h[..<colon]) }
        return h
    }
}
