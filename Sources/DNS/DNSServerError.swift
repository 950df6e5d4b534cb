/// Why the DNS server could not start. Each description is one line, fit for a startup error.
public enum DNSServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another socket holds the address (`proto` is `udp` or `tcp`).
    case addressInUse(HostPort, proto: String)
    /// Binding failed for another reason (permission, address not on this host, ...).
    case cannotListen(HostPort, proto: String, reason: String)
    /// A listen or upstream address that is not `ip`, `ip:port` or `[ipv6]:port`.
    case invalidAddress(String)
    /// The configuration lists no listen address.
    case noListenAddresses

    public var description: String {
        switch self {
        case .addressInUse(let a, let p): return "cannot listen on \(a)/\(p): address already in use"
        case .cannotListen(let a, let p, let reason): return "cannot listen on \(a)/\(p): \(reason)"
        case .invalidAddress(let s): return "invalid address \"\(s)\": expected ip, ip:port or [ipv6]:port"
        case .noListenAddresses: return "no DNS listen address configured"
        }
    }
}

/// Why a forwarded query got no usable upstream answer; the client then gets SERVFAIL.
enum ForwardError: Error, Equatable, Sendable {
    /// Every upstream was dropped (none configured, or all were our own listeners).
    case noUpstreams
    /// `maxConcurrentForwards` queries are already in flight.
    case tooManyInFlight
    /// No valid reply within the per-query timeout.
    case timeout
    /// The upstream reply did not parse or did not match the query.
    case badReply
    /// The upstream TCP connection closed before a reply arrived.
    case connectionClosed
}
