import KubeAPI

/// One endpoint of one Service port, in one IP family.
struct ProxyEndpoint: Sendable, Hashable {
    var ip: ParsedIP
    var port: Int
    var ready: Bool
    var serving: Bool
    var terminating: Bool
    var isLocal: Bool

    var address: String { ip.text }
    /// `ip:port`, bracketed for IPv6, as `dnat to` wants it.
    var dnatTarget: String { ip.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)" }
    var usableAsFallback: Bool { serving && terminating }
}

/// EndpointSlices grouped by owning Service (`namespace/name`), in slice-name order so results are stable.
struct EndpointIndex {
    private var byService: [String: [EndpointSlice]] = [:]

    init(_ slices: [EndpointSlice]) {
        for s in slices {
            guard let svc = s.serviceName else { continue }
            byService["\(s.metadata.namespace)/\(svc)", default: []].append(s)
        }
        for k in byService.keys { byService[k]?.sort { $0.metadata.name < $1.metadata.name } }
    }

    /// The endpoints serving `port` of `namespace/name` in `family`: slice ports are matched by name and
    /// protocol, only the first address of an endpoint counts (as in kube-proxy), and an `ip:port` seen in
    /// an earlier slice wins over later duplicates. Sorted by address then port.
    func endpoints(namespace: String, name: String, portName: String, protocol proto: String,
                   family: IPFamily, nodeName: String) -> [ProxyEndpoint] {
        var seen = Set<String>()
        var out: [ProxyEndpoint] = []
        for slice in byService["\(namespace)/\(name)"] ?? [] where slice.addressType == family.rawValue {
            guard let sp = slice.ports.first(where: { ($0.name ?? "") == portName && $0.protocol == proto }),
                let port = sp.port, (1...65535).contains(port)
            else { continue }
            for ep in slice.endpoints {
                guard let first = ep.addresses.first, let ip = ParsedIP(first), IPFamily(of: ip) == family else { continue }
                let key = "\(ip.text)|\(port)"
                guard seen.insert(key).inserted else { continue }
                out.append(ProxyEndpoint(
                    ip: ip, port: port, ready: ep.isReady, serving: ep.isServing, terminating: ep.isTerminating,
                    isLocal: !nodeName.isEmpty && ep.nodeName == nodeName))
            }
        }
        return out.sorted { ($0.ip.bytes.lexicographicallyPrecedes($1.ip.bytes)) || ($0.ip == $1.ip && $0.port < $1.port) }
    }
}

/// kube-proxy's `CategorizeEndpoints` without topology hints: which endpoints "Cluster" and "Local"
/// traffic policy use, and whether the Service has any usable endpoint anywhere. Ready endpoints are
/// preferred; serving-and-terminating ones are used only when no ready one exists (KEP-1669).
struct CategorizedEndpoints: Equatable {
    var cluster: [ProxyEndpoint] = []
    var local: [ProxyEndpoint] = []
    /// Union of `cluster` and `local`: every endpoint that gets a chain.
    var reachable: [ProxyEndpoint] = []
    var hasAny = false

    init(_ all: [ProxyEndpoint], usesCluster: Bool, usesLocal: Bool) {
        if usesCluster {
            cluster = all.filter(\.ready)
            if cluster.isEmpty { cluster = all.filter(\.usableAsFallback) }
            hasAny = !cluster.isEmpty
        }
        guard usesLocal else {
            reachable = cluster
            return
        }
        hasAny = hasAny || all.contains { $0.ready || $0.usableAsFallback }
        local = all.filter { $0.isLocal && $0.ready }
        if local.isEmpty { local = all.filter { $0.isLocal && $0.usableAsFallback } }
        let localSet = Set(local)
        let clusterSet = Set(cluster)
        // Keep the sorted order of `all` for the union.
        reachable = all.filter { clusterSet.contains($0) || localSet.contains($0) }
    }
}
