import DNSCore

/// The upstream servers a `DNSServer` forwards to, and why some were left out. Built by
/// `select(_:listen:localAddresses:readFile:)`, a pure function so every rule is unit-tested.
public struct UpstreamSelection: Sendable, Equatable {
    /// The servers to use, in order, without duplicates.
    public var servers: [HostPort]
    /// Where they came from: `explicit` or a file path.
    public var origin: String
    /// Candidates removed because they are one of our own listeners (forwarding there would loop).
    public var droppedAsSelf: [HostPort]

    public init(servers: [HostPort], origin: String, droppedAsSelf: [HostPort] = []) {
        self.servers = servers
        self.origin = origin
        self.droppedAsSelf = droppedAsSelf
    }

    /// The resolv.conf systemd-resolved writes for other resolvers: the real upstreams.
    public static let systemdResolvedUpstreamPath = "/run/systemd/resolve/resolv.conf"
    /// systemd-resolved's stub listeners (`127.0.0.53` stub, `127.0.0.54` proxy stub).
    public static let systemdStubAddresses: Set<String> = ["127.0.0.53", "127.0.0.54"]

    /// Applies the upstream rules: explicit servers as given, or a resolv.conf's nameservers (a
    /// stub-only file is swapped for systemd-resolved's upstream file when that one has servers,
    /// which is the kubelet `--resolv-conf` fix for coredns#2087); then every server that is one of
    /// our `listen` addresses is dropped. A wildcard listener (`0.0.0.0`, `::`) owns every address
    /// in `localAddresses` and all of 127.0.0.0/8 and ::1 on its port.
    public static func select(
        _ source: UpstreamSource, listen: [HostPort], localAddresses: [String], readFile: (String) -> String?
    ) -> UpstreamSelection {
        var servers: [HostPort]
        var origin: String
        switch source {
        case .servers(let list):
            servers = list
            origin = "explicit"
        case .resolvConf(let path):
            servers = parseResolvConf(readFile(path) ?? "")
            origin = path
            if servers.contains(where: { systemdStubAddresses.contains($0.host) }) && path != systemdResolvedUpstreamPath,
                let text = readFile(systemdResolvedUpstreamPath)
            {
                let real = parseResolvConf(text)
                if !real.isEmpty {
                    servers = real
                    origin = systemdResolvedUpstreamPath
                }
            }
        }
        var seen = Set<HostPort>()
        servers = servers.filter { seen.insert($0).inserted }
        let own = servers.filter { isOwnListener($0, listen: listen, localAddresses: localAddresses) }
        return UpstreamSelection(servers: servers.filter { !own.contains($0) }, origin: origin, droppedAsSelf: own)
    }

    /// The `nameserver` entries of resolv.conf text, port 53. Comments (`#`, `;`) and entries that
    /// are not IP literals are skipped, as glibc does.
    public static func parseResolvConf(_ text: String) -> [HostPort] {
        var out: [HostPort] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: { $0 == "#" || $0 == ";" }).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            let host = String(fields[1])
            if HostPort.isIPLiteral(host) { out.append(HostPort(host: host, port: 53)) }
        }
        return out
    }

    /// Whether `upstream` is served by one of `listen`.
    public static func isOwnListener(_ upstream: HostPort, listen: [HostPort], localAddresses: [String]) -> Bool {
        guard let ip = upstream.ip else { return false }
        let locals = Set(localAddresses.compactMap { HostPort(host: $0, port: 0).ip })
        for l in listen where l.port == upstream.port {
            guard let lip = l.ip else { continue }
            if lip == ip { return true }
            switch lip {
            case .v4(let a) where a.value == 0:
                if case .v4 = ip, ip.isLoopback || locals.contains(ip) { return true }
            case .v6(let a) where a.high == 0 && a.low == 0:
                // `::` normally accepts IPv4 too (IPV6_V6ONLY off).
                if ip.isLoopback || locals.contains(ip) { return true }
            default:
                break
            }
        }
        return false
    }
}

extension IPAddress {
    var isLoopback: Bool {
        switch self {
        case .v4(let a): return a.value >> 24 == 127
        case .v6(let a): return a.high == 0 && a.low == 1
        }
    }
}
