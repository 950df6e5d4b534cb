import KubeAPI

/// How `<a-b-c-d>.<ns>.pod.<zone>` names are answered (CoreDNS `pods` option).
public enum PodRecordsMode: Sendable, Hashable {
    /// Always NXDOMAIN.
    case disabled
    /// Answer with the IP spelled in the name if the namespace exists (kube-dns compatible; the
    /// standard cluster Corefile uses this).
    case insecure
    /// Answer only if a pod in that namespace has that IP.
    case verified
}

/// Static settings of the cluster DNS zone (what the CoreDNS `kubernetes` stanza configures).
public struct ClusterDNSConfig: Sendable, Hashable {
    /// The cluster domain, e.g. `cluster.local.`.
    public var zone: DNSName
    /// TTL of every answer from cluster data and the SOA minimum (negative-caching time).
    public var ttl: UInt32
    public var podRecords: PodRecordsMode
    /// ClusterIP(s) of the DNS Service itself: the glue of `ns.dns.<zone>` for NS queries.
    public var nameserverIPs: [IPAddress]
    /// UDP payload size advertised in our OPT record.
    public var ednsUDPPayloadSize: UInt16

    public init(
        zone: DNSName = "cluster.local.", ttl: UInt32 = 30, podRecords: PodRecordsMode = .insecure,
        nameserverIPs: [IPAddress] = [], ednsUDPPayloadSize: UInt16 = 1232
    ) {
        self.zone = zone.lowercased()
        self.ttl = min(ttl, 3600)
        self.podRecords = podRecords
        self.nameserverIPs = nameserverIPs
        self.ednsUDPPayloadSize = ednsUDPPayloadSize
    }
}

/// An immutable, query-ready snapshot of the cluster zone, so that a query is one or two hash
/// lookups (by case-insensitive name) plus copying precomputed record data.
///
/// Every name below `<ns>.svc.<zone>` belongs to exactly one Service name, so the records are kept
/// per Service (`ServiceFragment`) and a change to one Service or its EndpointSlices rebuilds only
/// that fragment (`updatingServices`), not the whole zone.
public struct ClusterZone: Sendable {
    public let config: ClusterDNSConfig
    /// False until the cluster caches first synced: names that would be NXDOMAIN get SERVFAIL
    /// then, so resolvers cache nothing negative during startup.
    public let isSynced: Bool
    /// SOA serial (CoreDNS uses the time of the last API change, in Unix seconds).
    public internal(set) var serial: UInt32

    /// The zone's own names (apex, `svc`, `pod`, `dns-version`, `ns.dns`, namespaces).
    var fixed: [DNSName: ZoneNode]
    /// Per Service name (`<svc>.<ns>.svc.<zone>`): the names and PTRs that Service and the
    /// EndpointSlices labelled with it produce.
    var fragments: [DNSName: ServiceFragment] = [:]
    /// Reverse name -> owners of a ClusterIP there, ordered by `namespace/name` (the first wins).
    var clusterIPOwners: [DNSName: [ReverseOwner]] = [:]
    /// Reverse name -> ready endpoints there, ordered by `namespace/service`.
    var endpointOwners: [DNSName: [ReverseOwner]] = [:]
    /// Namespaces that exist (lowercased), for pod records.
    public internal(set) var namespaces: Set<String>
    /// `pods verified`: (namespace, IP) of live pods.
    var podAddresses: Set<PodAddress> = []
    /// Autopath: pod IP -> namespace, only for IPs owned by pods of a single namespace.
    var namespaceByPodIP: [IPAddress: String] = [:]
    let zoneLabels: Int
    var soaData: SOAData

    /// The SERVFAIL-before-sync state: only the zone's fixed names exist.
    public static func notSynced(config: ClusterDNSConfig = ClusterDNSConfig()) -> ClusterZone {
        ClusterZone(config: config, namespaces: [], serial: 0, synced: false)
    }

    /// Builds the snapshot. `namespaces` lists existing namespaces; when nil they are inferred
    /// from the namespaces of the given objects. Inputs may come in any order; the result does not
    /// depend on it.
    public init(
        config: ClusterDNSConfig = ClusterDNSConfig(), services: [Service], endpointSlices: [EndpointSlice], pods: [Pod],
        namespaces nsList: [String]? = nil, serial: UInt32 = 0
    ) {
        var nsSet = Set((nsList ?? []).map { $0.lowercased() })
        if nsList == nil {
            for s in services { nsSet.insert(s.metadata.namespace.lowercased()) }
            for s in endpointSlices { nsSet.insert(s.metadata.namespace.lowercased()) }
            for p in pods { nsSet.insert(p.metadata.namespace.lowercased()) }
            nsSet.remove("")
        }
        self.init(config: config, namespaces: nsSet, serial: serial, synced: true)
        var byOwner: [ServiceKey: (service: Service?, slices: [EndpointSlice])] = [:]
        for s in services { byOwner[ServiceKey(namespace: s.metadata.namespace, name: s.metadata.name), default: (nil, [])].service = s }
        for slice in endpointSlices {
            guard let svc = slice.serviceName, !svc.isEmpty else { continue }
            byOwner[ServiceKey(namespace: slice.metadata.namespace, name: svc), default: (nil, [])].slices.append(slice)
        }
        updateServices(byOwner.map { ($0.key, $0.value.service, $0.value.slices) })
        setPods(pods)
    }

    init(config: ClusterDNSConfig, namespaces: Set<String>, serial: UInt32, synced: Bool) {
        self.config = config
        self.isSynced = synced
        self.serial = serial
        let zone = config.zone
        zoneLabels = zone.labelCount
        soaData = SOAData(
            mname: (try? zone.prepending("dns").prepending("ns")) ?? zone, rname: (try? zone.prepending("hostmaster")) ?? zone,
            serial: serial, refresh: 7200, retry: 1800, expire: 86400, minimum: config.ttl)
        self.namespaces = namespaces
        fixed = ZoneBuilder.fixedNames(config: config, namespaces: namespaces)
    }

    /// The node for a name in the zone (fixed names and Service records; not pod records).
    func storedNode(_ name: DNSName, labelsBelowZone below: Int) -> ZoneNode? {
        if below >= 3, let f = fragments[below == 3 ? name : name.dropping(labels: below - 3)] { return f.nodes[name] }
        return fixed[name]
    }

    /// PTR targets for a reverse name: the ClusterIP's Service if one owns it, else the ready
    /// endpoints' names (CoreDNS indexes every slice, with or without a Service).
    func reverseTargets(_ name: DNSName) -> [DNSName]? {
        if let owner = clusterIPOwners[name]?.first { return [owner.target] }
        guard let owners = endpointOwners[name], !owners.isEmpty else { return nil }
        var out: [DNSName] = []
        for o in owners where !out.contains(o.target) { out.append(o.target) }
        return out
    }

    /// The namespace of the pod that owns `ip`, if exactly one namespace's pods use it.
    public func podNamespace(for ip: IPAddress) -> String? { namespaceByPodIP[ip] }

    // MARK: - Updates

    /// A copy with the records of the given Services rebuilt from their current Service object
    /// (nil: deleted) and all EndpointSlices labelled with them; every other Service is untouched.
    public func updatingServices(_ changes: [(key: ServiceKey, service: Service?, slices: [EndpointSlice])], serial: UInt32) -> ClusterZone {
        var z = self
        z.updateServices(changes)
        z.serial = serial
        z.soaData.serial = serial
        return z
    }

    /// A copy with a new namespace set (only the fixed names change).
    public func updatingNamespaces(_ namespaces: Set<String>) -> ClusterZone {
        var z = self
        z.namespaces = Set(namespaces.map { $0.lowercased() })
        z.fixed = ZoneBuilder.fixedNames(config: config, namespaces: z.namespaces)
        return z
    }

    /// A copy with the pod-derived indexes (`pods verified`, autopath) rebuilt from `pods`.
    public func updatingPods(_ pods: [Pod]) -> ClusterZone {
        var z = self
        z.setPods(pods)
        return z
    }

    mutating func updateServices(_ changes: [(key: ServiceKey, service: Service?, slices: [EndpointSlice])]) {
        for (key, service, slices) in changes {
            guard let svcName = key.dnsName(in: config.zone) else { continue }
            if let old = fragments.removeValue(forKey: svcName) {
                for rev in old.clusterIPReverse { Self.remove(key, at: rev, from: &clusterIPOwners) }
                for e in old.endpointReverse { Self.remove(key, at: e.reverse, from: &endpointOwners) }
            }
            guard service != nil || !slices.isEmpty else { continue }
            let f = ServiceFragment(config: config, key: key, name: svcName, service: service, slices: slices)
            fragments[svcName] = f
            for rev in f.clusterIPReverse { Self.insert(ReverseOwner(key: key, target: svcName), at: rev, into: &clusterIPOwners) }
            for e in f.endpointReverse { Self.insert(ReverseOwner(key: key, target: e.target), at: e.reverse, into: &endpointOwners) }
        }
    }

    static func insert(_ owner: ReverseOwner, at rev: DNSName, into map: inout [DNSName: [ReverseOwner]]) {
        var list = map[rev] ?? []
        let i = list.firstIndex { $0.key > owner.key } ?? list.count
        list.insert(owner, at: i)
        map[rev] = list
    }

    static func remove(_ key: ServiceKey, at rev: DNSName, from map: inout [DNSName: [ReverseOwner]]) {
        guard var list = map[rev] else { return }
        list.removeAll { $0.key == key }
        map[rev] = list.isEmpty ? nil : list
    }

    mutating func setPods(_ pods: [Pod]) {
        var podAddresses = Set<PodAddress>()
        var ipNamespaces: [IPAddress: Set<String>] = [:]
        for p in pods where p.phase != "Succeeded" && p.phase != "Failed" && p.metadata.deletionTimestamp == nil {
            let ns = p.metadata.namespace.lowercased()
            for s in p.podIPs {
                guard let ip = IPAddress(s) else { continue }
                podAddresses.insert(PodAddress(namespace: ns, ip: ip))
                if p.dnsPolicy == "ClusterFirst" || p.dnsPolicy == "ClusterFirstWithHostNet" {
                    ipNamespaces[ip, default: []].insert(ns)
                } else {
                    ipNamespaces[ip, default: []].insert("")  // another resolv.conf shape: never autopath this IP
                }
            }
        }
        self.podAddresses = podAddresses
        var byIP: [IPAddress: String] = [:]
        for (ip, set) in ipNamespaces where set.count == 1 {
            if let ns = set.first, !ns.isEmpty { byIP[ip] = ns }
        }
        self.namespaceByPodIP = byIP
    }
}

/// A Service's identity: its namespace and name (as spelled in the API; DNS lowercases them).
public struct ServiceKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
    public static func < (a: ServiceKey, b: ServiceKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
    public var description: String { "\(namespace)/\(name)" }
    /// `<name>.<namespace>.svc.<zone>`, or nil when that is not a valid DNS name.
    func dnsName(in zone: DNSName) -> DNSName? {
        try? zone.prepending("svc").prepending(namespace.lowercased()).prepending(name.lowercased())
    }
}

/// One owner of a reverse name, kept sorted by `key`.
struct ReverseOwner: Sendable {
    var key: ServiceKey
    var target: DNSName
}

/// Everything one Service name contributes: its nodes (the Service name, `_port._proto` names and
/// endpoint hostnames) and its PTRs.
final class ServiceFragment: Sendable {
    let nodes: [DNSName: ZoneNode]
    /// Reverse names of its ClusterIPs (PTR target: the Service name).
    let clusterIPReverse: [DNSName]
    /// Ready endpoints: reverse name -> endpoint name.
    let endpointReverse: [(reverse: DNSName, target: DNSName)]

    init(config: ClusterDNSConfig, key: ServiceKey, name svcName: DNSName, service s: Service?, slices: [EndpointSlice]) {
        // Ready endpoints in slice-name order.
        var endpoints: [EndpointEntry] = []
        for slice in slices.sorted(by: { $0.metadata.name < $1.metadata.name }) where slice.addressType != "FQDN" {
            let ports: [EndpointPort?] = slice.ports.isEmpty ? [nil] : slice.ports.map { $0 }
            for ep in slice.endpoints where ep.isReady {
                for addr in ep.addresses {
                    guard let ip = IPAddress(addr) else { continue }
                    let host = (ep.hostname?.isEmpty == false ? ep.hostname! : dashedHostname(addr)).lowercased()
                    endpoints.append(EndpointEntry(ip: ip, hostname: host, ports: ports))
                }
            }
        }
        var b = ZoneBuilder(config: config)
        var clusterIPReverse: [DNSName] = []
        if let s {
            if s.type == "ExternalName" {
                // An IP or an invalid name as externalName serves nothing (CoreDNS only serves CNAMEs).
                if IPAddress(s.externalName) == nil, !s.externalName.isEmpty, let target = try? DNSName(s.externalName), !target.isRoot {
                    b.setExternalName(svcName, target: target)
                }
            } else if s.isHeadless {
                b.addEndpoints(endpoints, service: svcName, asServiceName: true)
            } else {
                let ips = s.clusterIPs.compactMap(IPAddress.init)
                b.addClusterIP(svcName, ips: ips, ports: s.ports)
                b.addEndpoints(endpoints, service: svcName, asServiceName: false)
                for ip in ips where !clusterIPReverse.contains(ip.reverseName) { clusterIPReverse.append(ip.reverseName) }
            }
        }
        var endpointReverse: [(reverse: DNSName, target: DNSName)] = []
        for e in endpoints {
            guard let target = try? svcName.prepending(e.hostname) else { continue }
            let rev = e.ip.reverseName
            if !endpointReverse.contains(where: { $0.reverse == rev && $0.target == target }) { endpointReverse.append((rev, target)) }
        }
        self.nodes = b.finish()
        self.clusterIPReverse = clusterIPReverse
        self.endpointReverse = endpointReverse
    }
}

struct PodAddress: Hashable, Sendable {
    var namespace: String
    var ip: IPAddress
}

/// One ready endpoint address, as CoreDNS's `EndpointAddress` plus its slice's ports
/// (`nil` = the slice has no ports: CoreDNS's port -1 sentinel).
struct EndpointEntry {
    var ip: IPAddress
    var hostname: String
    var ports: [EndpointPort?]
}

/// CoreDNS `endpointHostname`: dots or colons become dashes; a trailing dash gets a `0`.
func dashedHostname(_ addr: String) -> String {
    if addr.contains(".") { return addr.replacingOccurrences(of: ".", with: "-") }
    let s = addr.replacingOccurrences(of: ":", with: "-")
    return s.hasSuffix("-") ? s + "0" : s
}

/// One name's data, precomputed. `exists` nodes with no data answer NODATA.
struct ZoneNode: Sendable {
    var a: [RData] = []
    var aaaa: [RData] = []
    var srv: [RData] = []
    /// Address records for SRV targets, for the additional section.
    var srvExtra: [ResourceRecord] = []
    var txt: [RData] = []
    var txtTTL: UInt32 = 0
    var externalName: DNSName?
    var isApex = false
}

/// A msg.Service-like record candidate, the unit CoreDNS's `findServices` produces per name.
struct Candidate {
    var ip: IPAddress?
    /// nil = no declared port (skipped for SRV, counted for weights, as CoreDNS does).
    var port: Int?
    var target: DNSName
}

struct ZoneBuilder {
    let config: ClusterDNSConfig
    var candidates: [DNSName: [Candidate]] = [:]
    var order: [DNSName] = []
    var fixed: [DNSName: ZoneNode] = [:]

    init(config: ClusterDNSConfig) { self.config = config }

    mutating func touch(_ name: DNSName) {
        if candidates[name] == nil {
            candidates[name] = []
            order.append(name)
        }
    }

    mutating func add(_ name: DNSName, _ c: Candidate) {
        touch(name)
        candidates[name]!.append(c)
    }

    /// The zone's own names: apex, `svc`, `pod`, `dns-version`, `ns.dns` and each namespace's
    /// `<ns>.svc` / `<ns>.pod` (empty non-terminals: NODATA, not NXDOMAIN).
    static func fixedNames(config: ClusterDNSConfig, namespaces: Set<String>) -> [DNSName: ZoneNode] {
        var fixed: [DNSName: ZoneNode] = [:]
        let zone = config.zone
        var apex = ZoneNode()
        apex.isApex = true
        fixed[zone] = apex
        for label in ["svc", "pod"] {
            if let n = try? zone.prepending(label) { fixed[n] = ZoneNode() }
        }
        if let n = try? zone.prepending("dns-version") {
            var node = ZoneNode()
            node.txt = [.txt([Array("1.1.0".utf8)])]
            node.txtTTL = 28800
            fixed[n] = node
        }
        if let dns = try? zone.prepending("dns"), let nsName = try? dns.prepending("ns") {
            // `dns.<zone>` is an empty non-terminal above `ns.dns.<zone>`.
            fixed[dns] = ZoneNode()
            var node = ZoneNode()
            for ip in config.nameserverIPs {
                switch ip {
                case .v4(let a): node.a.append(.a(a))
                case .v6(let a): node.aaaa.append(.aaaa(a))
                }
            }
            fixed[nsName] = node
        }
        for ns in namespaces {
            if let n = try? zone.prepending("svc").prepending(ns) { fixed[n] = ZoneNode() }
            if config.podRecords != .disabled, let n = try? zone.prepending("pod").prepending(ns) { fixed[n] = ZoneNode() }
        }
        return fixed
    }

    mutating func setExternalName(_ name: DNSName, target: DNSName) {
        var node = ZoneNode()
        node.externalName = target
        fixed[name] = node
    }

    mutating func addClusterIP(_ svcName: DNSName, ips: [IPAddress], ports: [ServicePort]) {
        // CoreDNS: one candidate per (port, ClusterIP); a service without ports has no name.
        for p in ports {
            if ips.isEmpty { touch(svcName) }
            for ip in ips { add(svcName, Candidate(ip: ip, port: p.port, target: svcName)) }
            guard !p.name.isEmpty, let portName = try? svcName.prepending("_" + p.protocol.lowercased()).prepending("_" + p.name.lowercased())
            else { continue }
            if ips.isEmpty { touch(portName) }
            for ip in ips { add(portName, Candidate(ip: ip, port: p.port, target: svcName)) }
        }
    }

    mutating func addEndpoints(_ endpoints: [EndpointEntry], service svcName: DNSName, asServiceName: Bool) {
        for e in endpoints {
            guard let epName = try? svcName.prepending(e.hostname) else { continue }
            for p in e.ports {
                let c = Candidate(ip: e.ip, port: p?.port, target: epName)
                if asServiceName {
                    add(svcName, c)
                    if let p, let name = p.name, !name.isEmpty,
                        let portName = try? svcName.prepending("_" + p.protocol.lowercased()).prepending("_" + name.lowercased())
                    {
                        add(portName, c)
                    }
                }
                add(epName, c)
            }
        }
    }

    func finish() -> [DNSName: ZoneNode] {
        var nodes = fixed
        let ttl = config.ttl
        for name in order {
            let cs = candidates[name] ?? []
            var node = nodes[name] ?? ZoneNode()
            var seenIP = Set<IPAddress>()
            for c in cs {
                guard let ip = c.ip, seenIP.insert(ip).inserted else { continue }
                switch ip {
                case .v4(let a): node.a.append(.a(a))
                case .v6(let a): node.aaaa.append(.aaaa(a))
                }
            }
            // CoreDNS backend_lookup SRV: priority 0, weight floor(100 / candidates), at least 1.
            let weight = UInt16(max(1, cs.isEmpty ? 100 : 100 / cs.count))
            var seenSRV = Set<SRVKey>()
            var seenExtra = Set<ExtraKey>()
            for c in cs {
                guard let port = c.port, let ip = c.ip else { continue }
                if seenSRV.insert(SRVKey(target: c.target, port: port)).inserted {
                    node.srv.append(.srv(priority: 0, weight: weight, port: UInt16(truncatingIfNeeded: port), target: c.target))
                }
                if seenExtra.insert(ExtraKey(target: c.target, ip: ip)).inserted {
                    switch ip {
                    case .v4(let a): node.srvExtra.append(ResourceRecord(name: c.target, ttl: ttl, data: .a(a)))
                    case .v6(let a): node.srvExtra.append(ResourceRecord(name: c.target, ttl: ttl, data: .aaaa(a)))
                    }
                }
            }
            nodes[name] = node
        }
        return nodes
    }

    struct SRVKey: Hashable {
        var target: DNSName
        var port: Int
    }

    struct ExtraKey: Hashable {
        var target: DNSName
        var ip: IPAddress
    }
}
