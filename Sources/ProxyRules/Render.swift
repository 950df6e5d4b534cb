import Foundation
import KubeAPI

/// Renders the full nftables ruleset for `snapshot`, shaped like kube-proxy's nftables mode: verdict maps
/// keyed on destination dispatch to per-Service-port chains, which pick an endpoint chain at random and
/// DNAT. Output ordering depends only on the snapshot's content, so equal snapshots give equal text.
public func render(_ snapshot: ProxySnapshot) -> Ruleset {
    var warnings = Warnings()
    let index = EndpointIndex(snapshot.endpointSlices)
    let services = snapshot.services.sorted {
        ($0.metadata.namespace, $0.metadata.name) < ($1.metadata.namespace, $1.metadata.name)
    }
    let tables = snapshot.node.families.map { family in
        var builder = TableBuilder(family: family, node: snapshot.node)
        for svc in services { builder.add(svc, index: index, warnings: &warnings) }
        return builder.table
    }
    return Ruleset(tableName: snapshot.node.tableName, tables: tables, warnings: warnings.list)
}

/// Warnings in first-seen order without repeats (a multi-port Service would otherwise warn per port).
struct Warnings {
    private(set) var list: [RenderWarning] = []
    private var seen = Set<RenderWarning>()
    mutating func add(_ w: RenderWarning) { if seen.insert(w).inserted { list.append(w) } }
}

/// Map keys already taken in one table: a key is only added once per map (a second, different value
/// for the same key would make the kernel reject the whole transaction); the first Service keeps it.
struct ElementClaims {
    /// `set|key` -> element body.
    private var claimed: [String: String] = [:]

    /// Whether `e` is the first for its key; warns when an earlier one has a different value.
    mutating func claim(_ e: Element, for service: String, warnings: inout Warnings) -> Bool {
        let id = "\(e.set)|\(e.key)"
        if let previous = claimed[id] {
            if previous != e.body { warnings.add(.conflictingElement(service: service, map: e.set, key: e.key)) }
            return false
        }
        claimed[id] = e.body
        return true
    }
}

/// The well-known object names shared by the base section and the per-service rules.
enum Names {
    static let clusterIPs = "cluster-ips"
    static let nodePortIPs = "nodeport-ips"
    static let firewallIPs = "firewall-ips"
    static let noEndpointNodePorts = "no-endpoint-nodeports"
    static let noEndpointServices = "no-endpoint-services"
    static let serviceIPs = "service-ips"
    static let serviceNodePorts = "service-nodeports"
    static let markForMasquerade = "mark-for-masquerade"
    static let rejectChain = "reject-chain"
}

struct TableBuilder {
    let family: IPFamily
    let node: NodeConfig
    private(set) var table: Table
    private var claims = ElementClaims()

    /// `withBase: false` renders Service sections only (`RulesetMaintainer` renders one Service at a time).
    init(family: IPFamily, node: NodeConfig, withBase: Bool = true) {
        self.family = family
        self.node = node
        table = Table(family: family, name: node.tableName, comment: "rules for ferry service proxy", sections: [])
        if withBase { table.sections.append(baseSection()) }
    }

    private var ipX: String { family.nft }
    private var podCIDRs: [ParsedCIDR] { node.podCIDRs.filter { IPFamily(of: $0.network) == family } }
    /// Node IPs of this family. Loopback is left out: NodePorts on 127.0.0.1 need `route_localnet`
    /// (CVE-2020-8558), which kube-proxy's nftables mode refuses too.
    private var nodeIPs: [ParsedIP] {
        node.nodeIPs.filter { ip in
            let loopback = ip.isIPv4 ? ip.bytes[0] == 127 : ip.bytes == [UInt8](repeating: 0, count: 15) + [1]
            return IPFamily(of: ip) == family && !loopback
        }
    }

    /// `10.0.0.0/8` or `{ 10.0.0.0/8, 10.1.0.0/16 }`.
    private func addressMatch(_ items: [String]) -> String {
        items.count == 1 ? items[0] : "{ " + items.joined(separator: ", ") + " }"
    }

    /// Up to this many endpoints are picked by a cascade of rules rather than a `numgen vmap`.
    static let cascadeLimit = 32

    /// Rules that jump to one of `chains` uniformly at random. Small sets use kube-proxy iptables
    /// mode's cascade (rule i of n matches with probability 1/(n-i), the last one always): no
    /// anonymous map, because the kernel binds each anonymous set by walking the whole transaction,
    /// which made a full sync quadratic in the number of Services (2,000 Services x 10 endpoints:
    /// 10.4 s with vmaps, 2.5 s with cascades). Larger sets keep the O(1) `numgen random mod n vmap`.
    private func endpointPick(_ chains: [String]) -> [String] {
        if chains.count > Self.cascadeLimit {
            let vmap = chains.enumerated().map { "\($0.offset) : goto \($0.element)" }
            return ["numgen random mod \(chains.count) vmap { \(vmap.joined(separator: " , ")) }"]
        }
        return chains.enumerated().map { i, chain in
            let left = chains.count - i
            return left > 1 ? "numgen random mod \(left) 0 goto \(chain)" : "goto \(chain)"
        }
    }

    // MARK: - Base section

    func baseSection() -> Section {
        let a = family.addrType
        let mark = "0x" + String(node.masqueradeMark, radix: 16)
        var s = Section(title: nil)
        s.sets = [
            NFTSet(name: Names.clusterIPs, isMap: false, spec: "type \(a) ; comment \"active ClusterIPs\" ;"),
            NFTSet(name: Names.nodePortIPs, isMap: false, spec: "type \(a) ; comment \"addresses that accept NodePorts\" ;"),
            NFTSet(name: Names.firewallIPs, isMap: true,
                   spec: "type \(a) . inet_proto . inet_service : verdict ; comment \"LoadBalancer IPs with loadBalancerSourceRanges\" ;"),
            NFTSet(name: Names.noEndpointNodePorts, isMap: true,
                   spec: "type inet_proto . inet_service : verdict ; comment \"NodePorts without usable endpoints\" ;"),
            NFTSet(name: Names.noEndpointServices, isMap: true,
                   spec: "type \(a) . inet_proto . inet_service : verdict ; comment \"service IPs without usable endpoints\" ;"),
            NFTSet(name: Names.serviceIPs, isMap: true,
                   spec: "type \(a) . inet_proto . inet_service : verdict ; comment \"ClusterIPs, external IPs and LoadBalancer IPs\" ;"),
            NFTSet(name: Names.serviceNodePorts, isMap: true,
                   spec: "type inet_proto . inet_service : verdict ; comment \"NodePorts\" ;"),
        ]
        func base(_ name: String, _ type: String, _ hook: String, _ prio: Int, _ rules: [String]) -> Chain {
            Chain(name: name, spec: "type \(type) hook \(hook) priority \(prio) ;", rules: rules)
        }
        let newJump = "ct state new jump"
        var clusterCheck = ["\(ipX) daddr @\(Names.clusterIPs) goto \(Names.rejectChain)"]
        let svcCIDRs = node.serviceCIDRs.filter { IPFamily(of: $0.network) == family }.map(\.text)
        if !svcCIDRs.isEmpty { clusterCheck.append("\(ipX) daddr { \(svcCIDRs.joined(separator: ", ")) } drop") }
        s.chains = [
            // Source-range firewall must run before DNAT rewrites the LB IP.
            base("filter-prerouting-pre-dnat", "filter", "prerouting", -110, ["\(newJump) firewall-check"]),
            base("filter-output-pre-dnat", "filter", "output", -110, ["\(newJump) firewall-check"]),
            // Reject/drop for endpoint-less services lives in input/forward/output: `reject` is not
            // allowed in prerouting on kernels before 5.9.
            base("filter-input", "filter", "input", 0,
                 ["\(newJump) nodeport-endpoints-check", "\(newJump) service-endpoints-check"]),
            base("filter-forward", "filter", "forward", 0,
                 ["\(newJump) service-endpoints-check", "\(newJump) cluster-ips-check"]),
            base("filter-output", "filter", "output", 0,
                 ["\(newJump) service-endpoints-check", "\(newJump) cluster-ips-check"]),
            base("nat-prerouting", "nat", "prerouting", -100, ["jump services"]),
            base("nat-output", "nat", "output", -100, ["jump services"]),
            base("nat-postrouting", "nat", "postrouting", 100, ["jump masquerading"]),
            Chain(name: "cluster-ips-check", spec: nil, rules: clusterCheck),
            Chain(name: "firewall-check", spec: nil,
                  rules: ["\(ipX) daddr . meta l4proto . th dport vmap @\(Names.firewallIPs)"]),
            Chain(name: Names.markForMasquerade, spec: nil, rules: ["mark set mark or \(mark)"]),
            Chain(name: "masquerading", spec: nil, rules: [
                "mark and \(mark) == 0 return", "mark set mark xor \(mark)", "masquerade fully-random",
            ]),
            Chain(name: "nodeport-endpoints-check", spec: nil,
                  rules: ["\(ipX) daddr @\(Names.nodePortIPs) meta l4proto . th dport vmap @\(Names.noEndpointNodePorts)"]),
            Chain(name: Names.rejectChain, spec: nil, rules: family.rejectRules),
            Chain(name: "service-endpoints-check", spec: nil,
                  rules: ["\(ipX) daddr . meta l4proto . th dport vmap @\(Names.noEndpointServices)"]),
            Chain(name: "services", spec: nil, rules: [
                "\(ipX) daddr . meta l4proto . th dport vmap @\(Names.serviceIPs)",
                "\(ipX) daddr @\(Names.nodePortIPs) meta l4proto . th dport vmap @\(Names.serviceNodePorts)",
            ]),
        ]
        var seen = Set<String>()
        for ip in nodeIPs where seen.insert(ip.text).inserted {
            s.elements.append(Element(set: Names.nodePortIPs, key: ip.text, value: nil, comment: nil))
        }
        return s
    }

    // MARK: - Services

    mutating func add(_ svc: Service, index: EndpointIndex, warnings: inout Warnings) {
        let ns = svc.metadata.namespace
        let name = svc.metadata.name
        let svcName = "\(ns)/\(name)"
        guard svc.type != "ExternalName", !svc.isHeadless,
            let clusterIP = svc.clusterIPs.lazy.compactMap(ParsedIP.init).first(where: { IPFamily(of: $0) == family })
        else { return }

        func addresses(_ list: [String]) -> [ParsedIP] {
            var out: [ParsedIP] = []
            for text in list {
                guard let ip = ParsedIP(text.trimmingCharacters(in: .whitespaces)) else {
                    warnings.add(.invalidAddress(service: svcName, value: text))
                    continue
                }
                if IPFamily(of: ip) == family && !out.contains(ip) { out.append(ip) }
            }
            return out
        }
        let externalIPs = addresses(svc.externalIPs).filter { ip in
            if node.allowedExternalIPCIDRs.contains(where: { $0.contains(ip) }) { return true }
            warnings.add(.externalIPRefused(service: svcName, ip: ip.text))
            return false
        }
        let lbIPs = svc.type == "LoadBalancer" ? addresses(svc.loadBalancerIngressIPs) : []
        var ranges: [ParsedCIDR] = []
        for text in svc.loadBalancerSourceRanges {
            guard let c = ParsedCIDR(text.trimmingCharacters(in: .whitespaces)) else {
                warnings.add(.invalidAddress(service: svcName, value: text))
                continue
            }
            if IPFamily(of: c.network) == family && !ranges.contains(c) { ranges.append(c) }
        }

        for port in svc.ports {
            let proto = port.protocol.lowercased()
            guard ["tcp", "udp", "sctp"].contains(proto), (1...65535).contains(port.port) else { continue }
            let nodePort = (svc.type == "NodePort" || svc.type == "LoadBalancer") && (1...65535).contains(port.nodePort)
                ? port.nodePort : 0
            let plan = PortPlan(
                namespace: ns, name: name, portName: port.name, proto: proto,
                port: port.port, nodePort: nodePort, clusterIP: clusterIP.text, externalIPs: externalIPs.map(\.text),
                lbIPs: lbIPs.map(\.text), sourceRanges: ranges, restrictsSources: !svc.loadBalancerSourceRanges.isEmpty,
                affinityTimeout: svc.sessionAffinity == "ClientIP"
                    ? (svc.sessionAffinityTimeoutSeconds > 0 ? svc.sessionAffinityTimeoutSeconds : 10800) : nil,
                externalLocal: svc.externalTrafficPolicy == "Local",
                internalLocal: svc.internalTrafficPolicy == "Local")
            let eps = index.endpoints(namespace: ns, name: name, portName: port.name, protocol: port.protocol,
                                      family: family, nodeName: node.nodeName)
            addSection(plan, endpoints: eps, warnings: &warnings)
        }
    }

    private mutating func addSection(_ p: PortPlan, endpoints all: [ProxyEndpoint], warnings: inout Warnings) {
        let names = ChainNames(namespace: p.namespace, name: p.name, protocol: p.proto, portName: p.portName)
        let usesCluster = !p.internalLocal || p.externallyAccessible
        let usesLocal = p.internalLocal || p.externalPolicyLocal
        let eps = CategorizedEndpoints(all, usesCluster: usesCluster, usesLocal: usesLocal)

        let usesClusterChain = usesCluster && !eps.cluster.isEmpty
        let usesLocalChain = usesLocal && !eps.local.isEmpty
        let internalChain = p.internalLocal ? names.local : names.service
        let hasInternal = eps.hasAny && (!p.internalLocal || !eps.local.isEmpty)
        let externalPolicyChain = p.externalPolicyLocal ? names.local : names.service
        let hasExternal = eps.hasAny && (!p.externalPolicyLocal || !eps.local.isEmpty)
        // Needed even without externally usable endpoints: it holds the short-circuit rules.
        let usesExternalChain = eps.hasAny && p.externallyAccessible
        let usesFirewall = !p.lbIPs.isEmpty && p.restrictsSources
        let internalVerdict = eps.hasAny ? "drop" : "goto \(Names.rejectChain)"
        let externalVerdict = internalVerdict

        var section = Section(title: p.title)
        let mark = Names.markForMasquerade

        if let timeout = p.affinityTimeout {
            section.sets = eps.reachable.map { ep in
                NFTSet(name: names.affinity(ip: ep.address, port: ep.port), isMap: false,
                       spec: "type \(family.addrType) ; flags dynamic,timeout ; timeout \(timeout)s ;")
            }
        }

        func policyChain(_ chainName: String, _ members: [ProxyEndpoint]) -> Chain {
            var rules: [String] = []
            if hasInternal && chainName == internalChain {
                if node.masqueradeAll {
                    rules.append("\(ipX) daddr \(p.clusterIP) jump \(mark)")
                } else if !podCIDRs.isEmpty {
                    // Off-cluster clients (including this host) reaching a ClusterIP may be sent to another
                    // node, whose reply must come back through us to be un-DNATed.
                    rules.append("\(ipX) daddr \(p.clusterIP) \(ipX) saddr != \(addressMatch(podCIDRs.map(\.text))) jump \(mark)")
                }
            }
            if p.affinityTimeout != nil {
                for ep in members {
                    rules.append("\(ipX) saddr @\(names.affinity(ip: ep.address, port: ep.port)) goto \(names.endpoint(ip: ep.address, port: ep.port))")
                }
            }
            rules += endpointPick(members.map { names.endpoint(ip: $0.address, port: $0.port) })
            return Chain(name: chainName, spec: nil, rules: rules)
        }

        if usesClusterChain { section.chains.append(policyChain(names.service, eps.cluster)) }
        if usesLocalChain { section.chains.append(policyChain(names.local, eps.local)) }
        if usesExternalChain {
            var rules: [String] = []
            if !p.externalPolicyLocal {
                // Cluster policy may forward to another node: masquerade so replies return here.
                rules.append("jump \(mark)")
            } else {
                if !podCIDRs.isEmpty {
                    rules.append("\(ipX) saddr \(addressMatch(podCIDRs.map(\.text))) goto \(names.service) comment \"short-circuit pod traffic\"")
                }
                rules.append("fib saddr type local jump \(mark) comment \"masquerade local traffic\"")
                rules.append("fib saddr type local goto \(names.service) comment \"short-circuit local traffic\"")
            }
            if hasExternal { rules.append("goto \(externalPolicyChain)") }
            section.chains.append(Chain(name: names.external, spec: nil, rules: rules))
        }
        if usesFirewall {
            var sources = p.sourceRanges.map(\.text)
            // Hairpin through a VIP-style LB arrives from the node with the LB IP as source.
            let nodeInRanges = nodeIPs.contains { ip in p.sourceRanges.contains { $0.contains(ip) } }
            if nodeInRanges { sources += p.lbIPs }
            // A Service restricted only to the other family admits nobody in this one (fail closed).
            let rule = sources.isEmpty ? "drop" : "\(ipX) saddr != { \(sources.joined(separator: ", ")) } drop"
            section.chains.append(Chain(name: names.firewall, spec: nil, rules: [rule]))
        }
        for ep in eps.reachable {
            var rules = ["\(ipX) saddr \(ep.address) jump \(mark)"]  // hairpin: pod reaching itself via the VIP
            if p.affinityTimeout != nil {
                rules.append("update @\(names.affinity(ip: ep.address, port: ep.port)) { \(ipX) saddr }")
            }
            rules.append("meta l4proto \(p.proto) dnat to \(ep.dnatTarget)")
            section.chains.append(Chain(name: names.endpoint(ip: ep.address, port: ep.port), spec: nil, rules: rules))
            section.dnatTargets.append(EndpointAddress(ip: ep.address, port: ep.port, protocol: p.proto))
        }

        // Map elements, grouped by map.
        var elements: [Element] = []
        func element(_ set: String, _ key: String, _ value: String?, comment: String? = nil) {
            let e = Element(set: set, key: key, value: value, comment: comment)
            if claims.claim(e, for: p.serviceName, warnings: &warnings) { elements.append(e) }
        }
        let portKey = "\(p.proto) . \(p.port)"
        element(Names.clusterIPs, p.clusterIP, nil)
        if hasInternal { element(Names.serviceIPs, "\(p.clusterIP) . \(portKey)", "goto \(internalChain)") }
        if eps.hasAny {
            for ip in p.externalIPs + p.lbIPs { element(Names.serviceIPs, "\(ip) . \(portKey)", "goto \(names.external)") }
            if p.nodePort != 0 { element(Names.serviceNodePorts, "\(p.proto) . \(p.nodePort)", "goto \(names.external)") }
        }
        if usesFirewall {
            for ip in p.lbIPs { element(Names.firewallIPs, "\(ip) . \(portKey)", "goto \(names.firewall)") }
        }
        if !hasInternal {
            element(Names.noEndpointServices, "\(p.clusterIP) . \(portKey)", internalVerdict, comment: p.portString)
        }
        if !hasExternal {
            for ip in p.externalIPs + p.lbIPs {
                element(Names.noEndpointServices, "\(ip) . \(portKey)", externalVerdict, comment: p.portString)
            }
            if p.nodePort != 0 {
                element(Names.noEndpointNodePorts, "\(p.proto) . \(p.nodePort)", externalVerdict, comment: p.portString)
            }
        }
        section.elements = elements
        table.sections.append(section)
    }
}

/// The facts about one Service port that rule generation needs, already filtered to one family.
struct PortPlan {
    var namespace: String
    var name: String
    var portName: String
    var proto: String
    var port: Int
    var nodePort: Int
    var clusterIP: String
    var externalIPs: [String]
    var lbIPs: [String]
    var sourceRanges: [ParsedCIDR]
    /// Whether the Service lists any source range at all (in any family).
    var restrictsSources: Bool
    var affinityTimeout: Int?
    var externalLocal: Bool
    var internalLocal: Bool

    var serviceName: String { "\(namespace)/\(name)" }
    /// kube-proxy's ServicePortName string: `ns/name:port` (`ns/name` for an unnamed port).
    var portString: String { portName.isEmpty ? serviceName : "\(serviceName):\(portName)" }
    var title: String { "\(portString)/\(proto)" }
    var externallyAccessible: Bool { nodePort != 0 || !externalIPs.isEmpty || !lbIPs.isEmpty }
    /// `externalTrafficPolicy: Local` only matters when something external reaches the Service.
    var externalPolicyLocal: Bool { externalLocal && externallyAccessible }
}
