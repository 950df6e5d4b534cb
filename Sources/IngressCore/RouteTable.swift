import KubeAPI

/// The immutable routing snapshot for all Ingresses of our class: hosts → ordered path routes → backends, plus
/// TLS certificates by SNI name. Build it off to the side with `build(...)` and swap it in whole.
public struct RouteTable: Sendable {
    /// How a route's path compares with the request path.
    enum MatchKind: Sendable, Hashable {
        case exact
        case prefix
        /// `use-regex` / `rewrite-target`: case-insensitive regex anchored at the start (nginx `~* "^path"`).
        case regex(CompiledRegex)

        var conflictKey: Int {
            switch self {
            case .exact: return 0
            case .prefix: return 1
            case .regex: return 2
            }
        }
    }

    struct Route: Sendable {
        var ingress: IngressRef
        var path: String
        /// nil for a defaultBackend route.
        var pathType: PathType?
        var kind: MatchKind
        /// The regex whose captures feed `rewrite-target` (nil when the route has no rewrite).
        var rewrite: CompiledRegex?
        var backend: Backend
        var options: RouteOptions
        var canary: CanaryTarget?
        /// Insertion order, the last tie-break so sorting is deterministic.
        var order: Int
        /// `path` split into elements once at build time (Prefix routes only).
        var elements: [Substring] = []

        init(
            ingress: IngressRef, path: String, pathType: PathType?, kind: MatchKind, rewrite: CompiledRegex?,
            backend: Backend, options: RouteOptions, order: Int
        ) {
            self.ingress = ingress
            self.path = path
            self.pathType = pathType
            self.kind = kind
            self.rewrite = rewrite
            self.backend = backend
            self.options = options
            self.order = order
            if case .prefix = kind { elements = PathMatching.elements(of: path) }
        }

        /// `requestElements` is `PathMatching.elements(of: p)`, computed once per request by the caller.
        func matches(_ p: String, requestElements: [Substring]) -> Bool {
            switch kind {
            case .exact: return path == p
            case .prefix:
                return requestElements.count >= elements.count && zip(elements, requestElements).allSatisfy { $0 == $1 }
            case .regex(let r): return r.firstMatch(in: p, anchored: true) != nil
            }
        }
    }

    /// Everything configured for one host name (or the catch-all, key "").
    struct HostRoutes: Sendable {
        var key: String
        /// Exact (non-regex) routes by path: always consulted first, like nginx `location =`.
        var exact: [String: Route] = [:]
        /// Prefix and regex routes, longest path first (ties: path descending, then insertion order), first match
        /// wins — ingress-nginx's location order.
        var ordered: [Route] = []
        /// The defaultBackend of the first Ingress that created this host (catch-all: of the first rule-less one).
        var fallback: Route?
        var hasTLS = false

        func lookup(_ p: String) -> Route? {
            if let r = exact[p] { return r }
            let elements = PathMatching.elements(of: p)
            return ordered.first { $0.matches(p, requestElements: elements) } ?? fallback
        }

        mutating func sortRoutes() {
            ordered.sort { a, b in
                let la = a.path.utf8.count
                let lb = b.path.utf8.count
                if la != lb { return la > lb }
                if a.path != b.path { return a.path > b.path }
                return a.order < b.order
            }
        }
    }

    /// A host's TLS entry: the Ingress that declared it and the certificate (nil → the controller's default).
    struct TLSBinding: Sendable {
        var ingress: IngressRef
        var certificate: TLSCertificate?
    }

    var hosts: [String: HostRoutes] = [:]
    var catchAll = HostRoutes(key: "")
    var tls: [String: TLSBinding] = [:]

    /// An empty table: every request is unmatched (404) and every SNI name gets the default certificate.
    public init() {}

    /// Host names with rules, sorted (wildcards as `*.suffix`; the catch-all is not listed).
    public var hostNames: [String] { hosts.keys.sorted() }

    /// Routes a request. `host` is the Host header (or :authority) in any case, with or without `:port`; `path` is
    /// the request path (a `?query` is ignored), normalized by `PathMatching.normalizePath` first. Host selection:
    /// exact name, else the `*.` wildcard covering exactly its first label, else the catch-all (host-less rules and
    /// rule-less defaultBackend). Inside the host: Exact paths, then Prefix/regex routes longest first, then the
    /// host's defaultBackend. Nil means 404 (or 400 when the path does not normalize).
    public func match(host: String, path: String) -> RouteMatch? {
        guard let p = PathMatching.normalizePath(path) else { return nil }
        let entry = hostRoutes(for: PathMatching.normalizeHost(host))
        guard let route = entry.lookup(p) else { return nil }
        var rewritten: String?
        if let target = route.options.rewriteTarget, let rx = route.rewrite,
            let groups = rx.firstMatch(in: p, anchored: true)
        {
            rewritten = Rewrite.expand(target, captures: groups)
        }
        return RouteMatch(
            ingress: route.ingress, host: entry.key, path: route.path, pathType: route.pathType, backend: route.backend,
            canary: route.canary, options: route.options, hostHasTLS: entry.hasTLS, rewrittenPath: rewritten)
    }

    /// The certificate for a TLS ClientHello's SNI name: an exact `spec.tls` host first, then a `*.suffix` one.
    /// Nil means "use the default certificate" (unknown name, or a tls entry without `secretName`). SNI picks the
    /// certificate, Host picks the route; the two are not cross-checked (Ingress v1 semantics).
    public func certificate(forSNI name: String) -> TLSCertificate? {
        let h = PathMatching.normalizeHost(name)
        if let b = tls[h] { return b.certificate }
        if let w = PathMatching.wildcardKey(for: h), let b = tls[w] { return b.certificate }
        return nil
    }

    func hostRoutes(for h: String) -> HostRoutes {
        if let e = hosts[h] { return e }
        if let w = PathMatching.wildcardKey(for: h), let e = hosts[w] { return e }
        return catchAll
    }

    func tlsBinding(forHostKey key: String) -> TLSBinding? {
        if let b = tls[key] { return b }
        if !key.hasPrefix("*."), let w = PathMatching.wildcardKey(for: key) { return tls[w] }
        return nil
    }
}

/// Certificate and key PEM bytes from a `kubernetes.io/tls` Secret referenced by an Ingress's `spec.tls`.
public struct TLSCertificate: Sendable, Hashable {
    public var ingress: IngressRef
    public var secretNamespace: String
    public var secretName: String
    public var certificateChainPEM: [UInt8]
    public var privateKeyPEM: [UInt8]
}

/// The outcome of routing one request: which rule matched, the backend to use, and the per-route options.
public struct RouteMatch: Sendable, Hashable {
    public var ingress: IngressRef
    /// The rule host that matched: `foo.com`, `*.foo.com`, or "" for the catch-all.
    public var host: String
    /// The rule path; "" when a defaultBackend answered.
    public var path: String
    /// Nil when a defaultBackend answered.
    public var pathType: PathType?
    public var backend: Backend
    /// The canary attached to this rule, if any; choose with `backend(for:random:)`.
    public var canary: CanaryTarget?
    public var options: RouteOptions
    /// Whether the matched host has a `spec.tls` entry (drives `ssl-redirect`).
    public var hostHasTLS: Bool
    /// The upstream path after `rewrite-target`; nil when not rewritten (forward the raw request-target). The
    /// caller re-appends the original `?query`.
    public var rewrittenPath: String?

    public var isDefaultBackend: Bool { pathType == nil }

    /// Whether a plain-HTTP request must be redirected to HTTPS (`force-ssl-redirect`, or `ssl-redirect` on a TLS host).
    public var redirectsToHTTPS: Bool { options.forceSSLRedirect || (options.sslRedirect && hostHasTLS) }

    /// The backend and owning Ingress for this request, applying canary rules when a canary is attached.
    public func backend(for request: CanaryRequest, random: Double) -> (
        backend: Backend, ingress: IngressRef, isCanary: Bool
    ) {
        if let c = canary, c.policy.routesToCanary(request, random: random) { return (c.backend, c.ingress, true) }
        return (backend, ingress, false)
    }
}

/// `rewrite-target` expansion.
public enum Rewrite {
    /// Replaces `$0`…`$9` in `target` with regex captures (missing or non-participating groups become ""); any
    /// other `$` is literal. The result is only ever used as a request path, never evaluated.
    public static func expand(_ target: String, captures: [String]) -> String {
        var out = ""
        var it = target.makeIterator()
        var pending: Character?
        while let c = pending ?? it.next() {
            pending = nil
            guard c == "$" else {
                out.append(c)
                continue
            }
            guard let d = it.next() else {
                out.append("$")
                break
            }
            if let n = d.wholeNumberValue, d.isASCII {
                out += n < captures.count ? captures[n] : ""
            } else {
                out.append("$")
                pending = d
            }
        }
        return out
    }
}
