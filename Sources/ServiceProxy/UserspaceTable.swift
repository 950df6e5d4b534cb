import KubeAPI
import ProxyRules

/// Transport protocols the userspace proxy carries (SCTP Service ports are skipped).
public enum L4Protocol: String, Sendable, Hashable, Comparable {
    case tcp, udp

    public static func < (a: L4Protocol, b: L4Protocol) -> Bool { a.rawValue < b.rawValue }
}

/// A Service port, named as kube-proxy names it (`namespace/name:port`) plus the protocol.
public struct ServicePortID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    /// The Service port's name; empty for an unnamed single port.
    public var portName: String
    public var `protocol`: L4Protocol

    public init(namespace: String, name: String, portName: String, protocol: L4Protocol) {
        self.namespace = namespace
        self.name = name
        self.portName = portName
        self.protocol = `protocol`
    }

    public var description: String { "\(namespace)/\(name):\(portName)/\(`protocol`.rawValue)" }

    public static func < (a: ServicePortID, b: ServicePortID) -> Bool { a.description < b.description }
}

/// An address:port/protocol a Service is reachable at, i.e. one listener in userspace mode.
public struct FrontendKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Canonical text of the IP (`ParsedIP.text`).
    public var ip: String
    public var port: Int
    public var `protocol`: L4Protocol

    public init(ip: String, port: Int, protocol: L4Protocol) {
        self.ip = ip
        self.port = port
        self.protocol = `protocol`
    }

    public var description: String {
        (ip.contains(":") ? "[\(ip)]" : ip) + ":\(port)/\(`protocol`.rawValue)"
    }

    public static func < (a: FrontendKey, b: FrontendKey) -> Bool { a.description < b.description }
}

/// One way into a Service port: its ClusterIP, a NodePort on a node IP, an allowed external IP, or a
/// LoadBalancer ingress IP.
public struct Frontend: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case clusterIP, nodePort, externalIP, loadBalancer
    }

    public var key: FrontendKey
    public var kind: Kind
    public var service: ServicePortID
    public var family: IPFamily
    /// Traffic policy `Local` applies: only endpoints on this node are used.
    public var localOnly: Bool
}

/// A backend address.
public struct BackendEndpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ip: String
    public var port: Int

    public init(ip: String, port: Int) {
        self.ip = ip
        self.port = port
    }

    public var description: String { (ip.contains(":") ? "[\(ip)]" : ip) + ":\(port)" }

    public static func < (a: BackendEndpoint, b: BackendEndpoint) -> Bool { (a.ip, a.port) < (b.ip, b.port) }
}

/// Identifies a load-balancing pool: one Service port in one family (backends of the frontend's family).
struct PoolKey: Sendable, Hashable {
    var service: ServicePortID
    var family: IPFamily
}

/// The endpoints and affinity settings of a pool.
struct PoolSpec: Sendable, Equatable {
    /// Ready endpoints anywhere, or serving-terminating ones when none is ready (KEP-1669).
    var cluster: [BackendEndpoint] = []
    /// The same selection restricted to endpoints on this node (traffic policy `Local`).
    var local: [BackendEndpoint] = []
    /// ClientIP session affinity timeout; nil when affinity is off.
    var affinityTimeout: Duration?
}

/// The userspace data plane's view of the cluster: which listeners to open and which endpoints each
/// Service port balances over. Pure (no NIO), mirroring what `ProxyRules.render` programs in nftables:
/// headless and ExternalName Services are skipped, external IPs only inside `allowedExternalIPCIDRs`,
/// NodePorts on the node IPs, LoadBalancer ingress IPs for type LoadBalancer.
struct UserspaceTable: Sendable, Equatable {
    var frontends: [FrontendKey: Frontend] = [:]
    var pools: [PoolKey: PoolSpec] = [:]
    /// One line per skipped input (refused external IP, port conflict, bad address).
    var warnings: [String] = []

    init(services: [Service], endpointSlices: [EndpointSlice], node: NodeConfig) {
        var slicesByService: [String: [EndpointSlice]] = [:]
        for s in endpointSlices {
            guard let svc = s.serviceName else { continue }
            slicesByService["\(s.metadata.namespace)/\(svc)", default: []].append(s)
        }
        for k in slicesByService.keys { slicesByService[k]?.sort { $0.metadata.name < $1.metadata.name } }

        // Sorted so that conflicts resolve the same way every time (first Service wins, as in ProxyRules).
        let ordered = services.sorted { ($0.metadata.namespace, $0.metadata.name) < ($1.metadata.namespace, $1.metadata.name) }
        for svc in ordered {
            let ref = "\(svc.metadata.namespace)/\(svc.metadata.name)"
            guard !svc.isHeadless, svc.type != "ExternalName" else { continue }
            var clusterIPs: [IPFamily: ParsedIP] = [:]
            for text in svc.clusterIPs where !text.isEmpty && text != "None" {
                guard let ip = ParsedIP(text) else {
                    warnings.append("\(ref): invalid clusterIP \(text)")
                    continue
                }
                let fam: IPFamily = ip.isIPv4 ? .ipv4 : .ipv6
                if clusterIPs[fam] == nil { clusterIPs[fam] = ip }
            }
            let slices = slicesByService[ref] ?? []
            for port in svc.ports {
                guard let proto = L4Protocol(rawValue: port.protocol.lowercased()), (1...65535).contains(port.port) else { continue }
                let id = ServicePortID(namespace: svc.metadata.namespace, name: svc.metadata.name, portName: port.name, protocol: proto)
                for family in node.families {
                    guard let clusterIP = clusterIPs[family] else { continue }
                    let all = Self.endpoints(slices, portName: port.name, protocol: port.protocol, family: family, nodeName: node.nodeName)
                    var spec = PoolSpec()
                    spec.cluster = all.filter(\.ready).map(\.endpoint)
                    if spec.cluster.isEmpty { spec.cluster = all.filter(\.fallback).map(\.endpoint) }
                    spec.local = all.filter { $0.local && $0.ready }.map(\.endpoint)
                    if spec.local.isEmpty { spec.local = all.filter { $0.local && $0.fallback }.map(\.endpoint) }
                    if svc.sessionAffinity == "ClientIP" {
                        spec.affinityTimeout = .seconds(max(1, svc.sessionAffinityTimeoutSeconds))
                    }
                    pools[PoolKey(service: id, family: family)] = spec

                    func add(_ ip: ParsedIP, _ p: Int, _ kind: Frontend.Kind, localOnly: Bool) {
                        let key = FrontendKey(ip: ip.text, port: p, protocol: proto)
                        if let existing = frontends[key] {
                            warnings.append("\(id): \(key) already used by \(existing.service); skipped")
                            return
                        }
                        frontends[key] = Frontend(key: key, kind: kind, service: id, family: family, localOnly: localOnly)
                    }
                    add(clusterIP, port.port, .clusterIP, localOnly: svc.internalTrafficPolicy == "Local")
                    let externalLocal = svc.externalTrafficPolicy == "Local"
                    if (svc.type == "NodePort" || svc.type == "LoadBalancer") && (1...65535).contains(port.nodePort) {
                        for ip in node.nodeIPs where ip.isIPv4 == (family == .ipv4) {
                            add(ip, port.nodePort, .nodePort, localOnly: externalLocal)
                        }
                    }
                    for text in svc.externalIPs {
                        guard let ip = ParsedIP(text) else {
                            if family == .ipv4 { warnings.append("\(ref): invalid externalIP \(text)") }
                            continue
                        }
                        guard ip.isIPv4 == (family == .ipv4) else { continue }
                        // CVE-2020-8554: anyone who can create a Service could otherwise capture any address.
                        guard node.allowedExternalIPCIDRs.contains(where: { $0.contains(ip) }) else {
                            warnings.append("\(ref): externalIP \(ip.text) is not in an allowed CIDR; refused")
                            continue
                        }
                        add(ip, port.port, .externalIP, localOnly: externalLocal)
                    }
                    if svc.type == "LoadBalancer" {
                        for text in svc.loadBalancerIngressIPs {
                            guard let ip = ParsedIP(text), ip.isIPv4 == (family == .ipv4) else { continue }
                            add(ip, port.port, .loadBalancer, localOnly: externalLocal)
                        }
                    }
                }
            }
        }
    }

    private struct Candidate {
        var endpoint: BackendEndpoint
        var ready: Bool
        var fallback: Bool
        var local: Bool
    }

    /// Slice ports match by name and protocol; only an endpoint's first address counts and the first
    /// slice (by name) wins for a duplicate ip:port, as in kube-proxy.
    private static func endpoints(_ slices: [EndpointSlice], portName: String, protocol proto: String,
                                  family: IPFamily, nodeName: String) -> [Candidate] {
        var seen = Set<BackendEndpoint>()
        var out: [Candidate] = []
        for slice in slices where slice.addressType == family.rawValue {
            guard let sp = slice.ports.first(where: { ($0.name ?? "") == portName && $0.protocol == proto }),
                let port = sp.port, (1...65535).contains(port)
            else { continue }
            for ep in slice.endpoints {
                guard let first = ep.addresses.first, let ip = ParsedIP(first), ip.isIPv4 == (family == .ipv4) else { continue }
                let be = BackendEndpoint(ip: ip.text, port: port)
                guard seen.insert(be).inserted else { continue }
                out.append(Candidate(endpoint: be, ready: ep.isReady, fallback: ep.isServing && ep.isTerminating,
                                     local: !nodeName.isEmpty && ep.nodeName == nodeName))
            }
        }
        return out.sorted { $0.endpoint < $1.endpoint }
    }

    /// Total ready endpoints over all pools (for reports).
    var endpointCount: Int { pools.values.reduce(0) { $0 + $1.cluster.count } }
}
