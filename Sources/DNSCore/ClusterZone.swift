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

/// An immutable, query-ready snapshot of the cluster zone, built once per cluster change so that a
/// query is one hash lookup (by case-insensitive name) plus copying precomputed record data.
public struct ClusterZone: Sendable {
    public let config: ClusterDNSConfig
    /// False until the cluster caches first synced: names that would be NXDOMAIN get SERVFAIL
    /// then, so resolvers cache nothing negative during startup.
    public let isSynced: Bool
    /// SOA serial (CoreDNS uses the time of the last API change, in Unix seconds).
    public let serial: UInt32

    /// Every existing name in the zone, keyed by name (DNSName hashes case-insensitively).
    let nodes: [DNSName: ZoneNode]
    /// Reverse names (in-addr.arpa / ip6.arpa) of ClusterIPs and ready endpoints -> PTR targets.
    let reverse: [DNSName: [DNSName]]
    /// Namespaces that exist (lowercased), for pod records.
    let namespaces: Set<String>
    /// `pods verified`: (namespace, IP) of live pods.
    let podAddresses: Set<PodAddress>
    /// Autopath: pod IP -> namespace, only for IPs owned by pods of a single namespace.
    let namespaceByPodIP: [IPAddress: String]
    let zoneLabels: Int
    let soaData: SOAData

    /// The SERVFAIL-before-sync state: only the zone's fixed names exist.
    public static func notSynced(config: ClusterDNSConfig = ClusterDNSConfig()) -> ClusterZone {
        ClusterZone(config: config, services: [], endpointSlices: [], pods: [], namespaces: [], serial: 0, synced: false)
    }

    /// Builds the snapshot. `namespaces` lists existing namespaces; when nil they are inferred
    /// from the namespaces of the given objects. Inputs may come in any order; output order is
    /// deterministic (objects are sorted by namespace/name).
    public init(
        config: ClusterDNSConfig = ClusterDNSConfig(), services: [Service], endpointSlices: [EndpointSlice], pods: [Pod],
        namespaces: [String]? = nil, serial: UInt32 = 0
    ) {
        self.init(config: config, services: services, endpointSlices: endpointSlices, pods: pods, namespaces: namespaces, serial: serial, synced: true)
    }

    private init(
        config: ClusterDNSConfig, services: [Service], endpointSlices: [EndpointSlice], pods: [Pod], namespaces nsList: [String]?,
        serial: UInt32, synced: Bool
    ) {
        self.config = config
        self.isSynced = synced
        self.serial = serial
        let zone = config.zone
        zoneLabels = zone.labelCount
        soaData = SOAData(
            mname: (try? zone.prepending("dns").prepending("ns")) ?? zone, rname: (try? zone.prepending("hostmaster")) ?? zone,
            serial: serial, refresh: 7200, retry: 1800, expire: 86400, minimum: config.ttl)

        var b = ZoneBuilder(config: config)
        let services = services.sorted { ($0.metadata.namespace, $0.metadata.name) < ($1.metadata.namespace, $1.metadata.name) }
        let slices = endpointSlices.sorted { ($0.metadata.namespace, $0.metadata.name) < ($1.metadata.namespace, $1.metadata.name) }
        let pods = pods.sorted { ($0.metadata.namespace, $0.metadata.name) < ($1.metadata.namespace, $1.metadata.name) }

        var nsSet = Set((nsList ?? []).map { $0.lowercased() })
        if nsList == nil {
            for s in services { nsSet.insert(s.metadata.namespace.lowercased()) }
            for s in slices { nsSet.insert(s.metadata.namespace.lowercased()) }
            for p in pods { nsSet.insert(p.metadata.namespace.lowercased()) }
            nsSet.remove("")
        }
        namespaces = nsSet
        b.addFixedNames(namespaces: nsSet.sorted())

        // Ready endpoints grouped by (namespace, service), in slice order.
        var readyBySvc: [String: [EndpointEntry]] = [:]
        for slice in slices {
            guard let svc = slice.serviceName?.lowercased(), !svc.isEmpty, slice.addressType != "FQDN" else { continue }
            let ns = slice.metadata.namespace.lowercased()
            let ports: [EndpointPort?] = slice.ports.isEmpty ? [nil] : slice.ports.map { $0 }
            for ep in slice.endpoints where ep.isReady {
                for addr in ep.addresses {
                    guard let ip = IPAddress(addr) else { continue }
                    let host = (ep.hostname?.isEmpty == false ? ep.hostname! : dashedHostname(addr)).lowercased()
                    readyBySvc["\(ns)/\(svc)", default: []].append(EndpointEntry(ip: ip, hostname: host, ports: ports))
                }
            }
        }

        var reverse: [DNSName: [DNSName]] = [:]
        for s in services {
            let ns = s.metadata.namespace.lowercased(), name = s.metadata.name.lowercased()
            guard let svcName = try? zone.prepending("svc").prepending(ns).prepending(name) else { continue }
            let endpoints = readyBySvc["\(ns)/\(name)"] ?? []
            if s.type == "ExternalName" {
                // An IP or an invalid name as externalName serves nothing (CoreDNS only serves CNAMEs).
                guard IPAddress(s.externalName) == nil, !s.externalName.isEmpty, let target = try? DNSName(s.externalName),
                    !target.isRoot
                else { continue }
                b.setExternalName(svcName, target: target)
                continue
            }
            if s.isHeadless {
                b.addEndpoints(endpoints, service: svcName, asServiceName: true)
            } else {
                let ips = s.clusterIPs.compactMap(IPAddress.init)
                b.addClusterIP(svcName, ips: ips, ports: s.ports)
                b.addEndpoints(endpoints, service: svcName, asServiceName: false)
                for ip in ips where reverse[ip.reverseName] == nil { reverse[ip.reverseName] = [svcName] }
            }
        }
        // Endpoint PTRs: CoreDNS indexes every slice, with or without a Service; ClusterIPs win.
        let clusterIPNames = Set(reverse.keys)
        for (key, entries) in readyBySvc.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let svcName = try? zone.prepending("svc").prepending(parts[0]).prepending(parts[1]) else { continue }
            for e in entries {
                let rev = e.ip.reverseName
                guard !clusterIPNames.contains(rev), let target = try? svcName.prepending(e.hostname) else { continue }
                if !(reverse[rev] ?? []).contains(target) { reverse[rev, default: []].append(target) }
            }
        }
        self.reverse = reverse
        self.nodes = b.finish()

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

    /// The namespace of the pod that owns `ip`, if exactly one namespace's pods use it.
    public func podNamespace(for ip: IPAddress) -> String? { namespaceByPodIP[ip] }
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

    mutating func addFixedNames(namespaces: [String]) {
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
