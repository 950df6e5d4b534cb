import KubeAPI
import Synchronization

/// ClusterIP and NodePort allocation for Services, the part of Service handling that belongs to
/// the API server. State is rebuilt from stored Services at start; callers mutate it only inside
/// store write closures, which the store serializes, so an allocation and its commit are atomic.
public final class ServiceAllocations: Sendable {
    struct State {
        var ips: [ClusterIPAllocator]
        var ports: NodePortAllocator
    }

    let cidrs: [ServiceCIDR]
    let nodePortRange: ClosedRange<Int>
    let state: Mutex<State>

    public init(cidrs: [String], nodePorts: ClosedRange<Int>) throws {
        let parsed = try cidrs.map { c throws -> ServiceCIDR in try ServiceCIDR(c) }
        self.cidrs = parsed
        self.nodePortRange = nodePorts
        state = Mutex(State(ips: parsed.map { ClusterIPAllocator(cidr: $0) }, ports: NodePortAllocator(range: nodePorts)))
    }

    public var primaryFamily: String { cidrs.first?.family ?? "IPv4" }

    /// The address at `offset` of the primary range (1: `kubernetes`, 10: `kube-dns`).
    public func reservedAddress(offset: Int) -> String? { cidrs.first?.address(offset: offset) }

    public func rebuild(from services: [JSON]) {
        state.withLock { st in
            for s in services {
                for ip in Self.clusterIPs(s) {
                    for i in st.ips.indices where st.ips[i].cidr.contains(ip) { try? st.ips[i].allocate(ip) }
                }
                for p in Self.nodePorts(s) { try? st.ports.allocate(p) }
            }
        }
    }

    static func clusterIPs(_ s: JSON) -> [String] {
        var ips = (s.at("spec", "clusterIPs")?.arrayValue ?? []).compactMap(\.stringValue)
        if ips.isEmpty, let ip = s.at("spec", "clusterIP")?.stringValue { ips = [ip] }
        return ips.filter { !$0.isEmpty && $0 != "None" }
    }

    static func nodePorts(_ s: JSON) -> [Int] {
        var out: [Int] = []
        for p in s.at("spec", "ports")?.arrayValue ?? [] {
            if let n = p["nodePort"]?.intValue, n > 0 { out.append(Int(n)) }
        }
        if let h = s.at("spec", "healthCheckNodePort")?.intValue, h > 0 { out.append(Int(h)) }
        return out
    }

    /// Releases everything `service` holds.
    public func release(_ service: JSON) {
        state.withLock { st in
            for ip in Self.clusterIPs(service) {
                for i in st.ips.indices where st.ips[i].cidr.contains(ip) { st.ips[i].release(ip) }
            }
            for p in Self.nodePorts(service) { st.ports.release(p) }
        }
    }

    /// Allocates what `service` needs (ClusterIPs, NodePorts, healthCheckNodePort), keeping what
    /// `old` already holds and releasing what it no longer needs. On failure nothing changes.
    public func allocate(_ service: inout JSON, old: JSON?) throws {
        let name = service.at("metadata", "name")?.stringValue ?? ""
        var svc = service
        try state.withLock { st in
            var work = st
            let type = svc.at("spec", "type")?.stringValue ?? "ClusterIP"
            var errors: [FieldError] = []

            // ClusterIPs.
            let oldIPs = old.map(Self.clusterIPs) ?? []
            var newIPs: [String] = []
            if type == "ExternalName" {
                svc.set(["spec", "clusterIP"], nil)
                svc.set(["spec", "clusterIPs"], nil)
            } else {
                let requested = (svc.at("spec", "clusterIPs")?.arrayValue ?? []).compactMap(\.stringValue)
                let single = svc.at("spec", "clusterIP")?.stringValue ?? ""
                let want = requested.isEmpty ? (single.isEmpty ? [] : [single]) : requested
                if want.first == "None" {
                    svc.set(["spec", "clusterIP"], "None")
                    svc.set(["spec", "clusterIPs"], ["None"])
                } else {
                    let families = (svc.at("spec", "ipFamilies")?.arrayValue ?? []).compactMap(\.stringValue)
                    let fams = families.isEmpty ? [self.primaryFamily] : families
                    for (i, fam) in fams.enumerated() {
                        guard let idx = self.cidrs.firstIndex(where: { $0.family == fam }) else {
                            errors.append(FieldError(.invalid, field: "spec.ipFamilies[\(i)]", badValue: "\"\(fam)\"", detail: "not configured on this cluster"))
                            continue
                        }
                        if i < want.count, !want[i].isEmpty {
                            let ip = want[i]
                            if oldIPs.contains(ip) { newIPs.append(ip); continue }
                            do {
                                try work.ips[idx].allocate(ip)
                                newIPs.append(ip)
                            } catch let error as AllocationError {
                                errors.append(Validation.clusterIPAllocationError(clusterIPs: want, ip: ip, error: error))
                            }
                        } else if i < oldIPs.count {
                            newIPs.append(oldIPs[i])
                        } else {
                            do { newIPs.append(try work.ips[idx].allocateNext()) } catch let error as AllocationError {
                                errors.append(FieldError(.internal, field: "spec.clusterIPs", badValue: nil, detail: "failed to allocate a serviceIP: \(error.message)"))
                            }
                        }
                    }
                    if !newIPs.isEmpty {
                        svc.set(["spec", "clusterIP"], .string(newIPs[0]))
                        svc.set(["spec", "clusterIPs"], .array(newIPs.map { .string($0) }))
                    }
                }
            }
            for ip in oldIPs where !newIPs.contains(ip) {
                for i in work.ips.indices where work.ips[i].cidr.contains(ip) { work.ips[i].release(ip) }
            }

            // NodePorts.
            let oldPorts = old.map(Self.nodePorts) ?? []
            var kept: [Int] = []
            let needsNodePorts = type == "NodePort"
                || (type == "LoadBalancer" && svc.at("spec", "allocateLoadBalancerNodePorts")?.boolValue != false)
            var ports = svc.at("spec", "ports")?.arrayValue ?? []
            for i in ports.indices {
                let requested = ports[i]["nodePort"]?.intValue.map(Int.init) ?? 0
                if !needsNodePorts && type != "LoadBalancer" {
                    ports[i]["nodePort"] = nil
                    continue
                }
                if requested > 0 {
                    if oldPorts.contains(requested) && !kept.contains(requested) { kept.append(requested); continue }
                    do {
                        try work.ports.allocate(requested)
                        kept.append(requested)
                    } catch let error as AllocationError {
                        errors.append(Validation.nodePortAllocationError(portIndex: i, nodePort: requested, error: error))
                    }
                } else if needsNodePorts {
                    do {
                        let p = try work.ports.allocateNext()
                        ports[i]["nodePort"] = .int(Int64(p))
                        kept.append(p)
                    } catch let error as AllocationError {
                        errors.append(FieldError(.internal, field: "spec.ports[\(i)].nodePort", badValue: nil, detail: "failed to allocate a nodePort: \(error.message)"))
                    }
                }
            }
            if !ports.isEmpty { svc.set(["spec", "ports"], .array(ports)) }

            // healthCheckNodePort for LoadBalancer + externalTrafficPolicy Local.
            if type == "LoadBalancer" && svc.at("spec", "externalTrafficPolicy")?.stringValue == "Local" {
                let requested = svc.at("spec", "healthCheckNodePort")?.intValue.map(Int.init) ?? 0
                if requested > 0 {
                    if !(oldPorts.contains(requested) && !kept.contains(requested)) {
                        do { try work.ports.allocate(requested) } catch let error as AllocationError {
                            errors.append(FieldError(.invalid, field: "spec.healthCheckNodePort", badValue: String(requested), detail: error.message))
                        }
                    }
                    kept.append(requested)
                } else {
                    do {
                        let p = try work.ports.allocateNext()
                        svc.set(["spec", "healthCheckNodePort"], .int(Int64(p)))
                        kept.append(p)
                    } catch let error as AllocationError {
                        errors.append(FieldError(.internal, field: "spec.healthCheckNodePort", badValue: nil, detail: "failed to allocate a nodePort: \(error.message)"))
                    }
                }
            } else {
                svc.set(["spec", "healthCheckNodePort"], nil)
            }
            for p in oldPorts where !kept.contains(p) { work.ports.release(p) }

            if !errors.isEmpty { throw APIError.invalid(.service, name, errors) }
            st = work
        }
        service = svc
    }
}
