import DNSCore

/// An IP literal and a port: a listen address or an upstream server. Host names are not
/// accepted, so nothing here ever needs a resolver.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// IP literal without brackets; IPv6 may carry a `%scope` suffix.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `1.2.3.4`, `1.2.3.4:53`, `::1`, `[::1]` or `[::1]:53`; `defaultPort` fills a
    /// missing port.
    public init(parsing text: String, defaultPort: Int = 53) throws(DNSServerError) {
        let t = text.trimmingSpaces
        var host = t
        var port = defaultPort
        if t.hasPrefix("[") {
            guard let close = t.firstIndex(of: "]") else { throw .invalidAddress(text) }
            host = String(t[t.index(after: t.startIndex)..<close])
            let rest = t[t.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { throw .invalidAddress(text) }
                port = p
            }
        } else if t.filter({ $0 == ":" }).count == 1, let colon = t.firstIndex(of: ":") {
            host = String(t[..<colon])
            guard let p = Int(t[t.index(after: colon)...]) else { throw .invalidAddress(text) }
            port = p
        }
        guard (0...65535).contains(port), HostPort.isIPLiteral(host) else { throw .invalidAddress(text) }
        self.host = host
        self.port = port
    }

    /// `1.2.3.4:53` or `[::1]:53`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The address without an IPv6 scope suffix.
    var ip: IPAddress? { IPAddress(host.split(separator: "%", maxSplits: 1).first ?? "") }

    static func isIPLiteral(_ s: String) -> Bool {
        let parts = s.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        guard let addr = parts.first, IPAddress(addr) != nil else { return false }
        // A scope only makes sense on IPv6 and must not be empty.
        return parts.count == 1 || (addr.contains(":") && !parts[1].isEmpty)
    }
}

/// Where upstream servers for names outside the cluster zone come from.
public enum UpstreamSource: Sendable, Hashable {
    /// Exactly these servers, in order.
    case servers([HostPort])
    /// The `nameserver` lines of a resolv.conf (CoreDNS `forward . /etc/resolv.conf`). A file that
    /// points at the systemd-resolved stub is replaced by `/run/systemd/resolve/resolv.conf`.
    case resolvConf(path: String)
}

/// Settings of `DNSServer`. Defaults follow the standard cluster Corefile (`ttl 30`, `cache 30`,
/// `forward . /etc/resolv.conf { max_concurrent 1000 }`).
public struct DNSServerConfig: Sendable {
    /// Each address gets a UDP and a TCP listener. Port 0 picks one ephemeral port for both.
    public var listen: [HostPort]
    /// The cluster zone (domain, TTL, pod records, NS glue).
    public var zone: ClusterDNSConfig
    public var upstreams: UpstreamSource
    /// Server-side search-path expansion for queries from pod IPs (CoreDNS `autopath @kubernetes`).
    public var autopath: Bool
    /// Entries in the forwarded-answer cache (0 disables it).
    public var cacheCapacity: Int
    /// Cap on the TTL of cached positive answers, in seconds.
    public var cacheMaxTTL: UInt32
    /// Cap on the TTL of cached NXDOMAIN/NODATA answers, in seconds.
    public var cacheMaxDenialTTL: UInt32
    /// Forwarded queries in flight at once; more get SERVFAIL (CoreDNS `max_concurrent`).
    public var maxConcurrentForwards: Int
    /// How long one upstream gets to answer before the next one is tried.
    public var forwardTimeout: Duration
    /// TCP connections without a complete query for this long are closed.
    public var tcpIdleTimeout: Duration
    /// Forwarded queries in flight per TCP connection before the server stops reading from it.
    public var maxPendingPerTCPConnection: Int
    /// Open TCP client connections at once; further connections are closed immediately.
    public var maxTCPConnections: Int
    /// The `server` label of every metric; nil means CoreDNS's form for `.:<port>`,
    /// `dns://:<port of the first listen address>`.
    public var metricsServerLabel: String?

    public init(
        listen: [HostPort], zone: ClusterDNSConfig = ClusterDNSConfig(), upstreams: UpstreamSource = .resolvConf(path: "/etc/resolv.conf"),
        autopath: Bool = false, cacheCapacity: Int = 9984, cacheMaxTTL: UInt32 = 30, cacheMaxDenialTTL: UInt32 = 30,
        maxConcurrentForwards: Int = 1000, forwardTimeout: Duration = .seconds(2), tcpIdleTimeout: Duration = .seconds(10),
        maxPendingPerTCPConnection: Int = 32, maxTCPConnections: Int = 1000, metricsServerLabel: String? = nil
    ) {
        self.listen = listen
        self.zone = zone
        self.upstreams = upstreams
        self.autopath = autopath
        self.cacheCapacity = cacheCapacity
        self.cacheMaxTTL = cacheMaxTTL
        self.cacheMaxDenialTTL = cacheMaxDenialTTL
        self.maxConcurrentForwards = maxConcurrentForwards
        self.forwardTimeout = forwardTimeout
        self.tcpIdleTimeout = tcpIdleTimeout
        self.maxPendingPerTCPConnection = maxPendingPerTCPConnection
        self.maxTCPConnections = maxTCPConnections
        self.metricsServerLabel = metricsServerLabel
    }

    var serverLabel: String { metricsServerLabel ?? "dns://:\(listen.first?.port ?? 53)" }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
