import KubeAPI

/// The EndpointSlice controller's pure logic, as Kubernetes' own controller computes it: which
/// Pods back a Service, each endpoint's conditions and ports, and the create/update/delete actions
/// that turn the existing slices into the desired ones.
public enum EndpointSliceLogic {
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    public static let managedByValue = "endpointslice-controller.k8s.io"
    public static let serviceNameLabel = "kubernetes.io/service-name"
    public static let maxEndpointsPerSlice = 100

    /// One slice the controller wants, before it has a name.
    public struct DesiredSlice: Sendable, Equatable {
        public var addressType: String
        public var ports: [EndpointPort]
        public var endpoints: [Endpoint]
    }

    public enum Action: Sendable, Equatable {
        case create(JSON)
        case update(name: String, JSON)
        case delete(name: String)
    }

    /// Whether the Service gets controller-managed slices at all.
    public static func manages(_ svc: Service) -> Bool {
        guard svc.type != "ExternalName", let sel = svc.selector, !sel.isEmpty else { return false }
        return true
    }

    /// Pods of the Service's namespace that it selects and that belong in endpoints.
    public static func selectedPods(_ svc: Service, pods: [Pod]) -> [Pod] {
        guard let sel = svc.selector, !sel.isEmpty else { return [] }
        return pods.filter { p in
            p.metadata.namespace == svc.metadata.namespace
                && sel.allSatisfy { p.metadata.labels[$0.key] == $0.value }
                && !p.podIPs.isEmpty
                && p.phase != "Succeeded" && p.phase != "Failed"
        }
    }

    /// Resolves a Service port's targetPort for a Pod (named ports by container port name and protocol).
    public static func targetPort(_ sp: ServicePort, pod: Pod) -> Int? {
        switch sp.targetPort {
        case .int(let n): return n
        case .string(let name):
            if let n = Int(name) { return n }
            return pod.containerPorts.first { $0.name == name && $0.protocol == sp.protocol }?.containerPort
        }
    }

    static func family(of ip: String) -> String { ip.contains(":") ? "IPv6" : "IPv4" }

    /// The slices a Service should have: endpoints grouped by their resolved port set, at most
    /// 100 per slice, sorted for stable output. A Service selecting nothing gets one empty slice.
    public static func desiredSlices(_ svc: Service, pods: [Pod]) -> [DesiredSlice] {
        let families = svc.ipFamilies.isEmpty ? ["IPv4"] : svc.ipFamilies
        var groups: [String: (family: String, ports: [EndpointPort], endpoints: [Endpoint])] = [:]
        for pod in selectedPods(svc, pods: pods) {
            let podReady = pod.ready
            let terminating = pod.metadata.deletionTimestamp != nil
            let ready = svc.publishNotReadyAddresses || (podReady && !terminating)
            let ports: [EndpointPort] = svc.ports.compactMap { sp in
                guard let n = targetPort(sp, pod: pod) else { return nil }
                return EndpointPort(name: sp.name, protocol: sp.protocol, port: n, appProtocol: sp.appProtocol)
            }
            for fam in families {
                guard let ip = pod.podIPs.first(where: { family(of: $0) == fam }) else { continue }
                let setHostname = !pod.hostname.isEmpty && pod.subdomain == svc.metadata.name
                let ep = Endpoint(
                    addresses: [ip], ready: ready, serving: podReady, terminating: terminating,
                    hostname: setHostname ? pod.hostname : nil, nodeName: pod.nodeName.isEmpty ? nil : pod.nodeName,
                    targetRef: [
                        "kind": "Pod", "namespace": .string(pod.metadata.namespace), "name": .string(pod.metadata.name),
                        "uid": .string(pod.metadata.uid),
                    ])
                let key = fam + "|" + ports.map { "\($0.name ?? "")/\($0.protocol)/\($0.port ?? 0)" }.joined(separator: ",")
                groups[key, default: (fam, ports, [])].endpoints.append(ep)
            }
        }
        var out: [DesiredSlice] = []
        for key in groups.keys.sorted() {
            let g = groups[key]!
            let eps = g.endpoints.sorted { $0.addresses.first ?? "" < $1.addresses.first ?? "" }
            var i = 0
            while i < eps.count {
                out.append(DesiredSlice(addressType: g.family, ports: g.ports, endpoints: Array(eps[i..<min(i + maxEndpointsPerSlice, eps.count)])))
                i += maxEndpointsPerSlice
            }
        }
        if out.isEmpty {
            out.append(DesiredSlice(addressType: families[0], ports: [], endpoints: []))
        }
        return out
    }

    /// Labels every managed slice of `svc` carries (the Service's own labels are copied).
    public static func labels(for svc: Service) -> [String: String] {
        var l = svc.metadata.labels
        l[serviceNameLabel] = svc.metadata.name
        l[managedByLabel] = managedByValue
        if svc.isHeadless { l["service.kubernetes.io/headless"] = "" }
        return l
    }

    static func sliceJSON(_ d: DesiredSlice, svc: Service, name: String?) -> JSON {
        var meta = ObjectMeta(name: name ?? "", namespace: svc.metadata.namespace, labels: labels(for: svc))
        meta.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Service", name: svc.metadata.name, uid: svc.metadata.uid, controller: true)]
        var j = EndpointSlice(metadata: meta, addressType: d.addressType, endpoints: d.endpoints, ports: d.ports).json
        if name == nil {
            j.set(["metadata", "name"], nil)
            j.set(["metadata", "generateName"], .string(svc.metadata.name + "-"))
        }
        return j
    }

    /// Matches desired slices to existing ones (same address type and ports first, then any
    /// leftover slice) so names stay stable, and returns the writes needed.
    public static func reconcile(_ svc: Service, desired: [DesiredSlice], existing: [EndpointSlice]) -> [Action] {
        var remaining = existing.sorted { $0.metadata.name < $1.metadata.name }
        var actions: [Action] = []
        var unmatched: [DesiredSlice] = []
        for d in desired {
            if let i = remaining.firstIndex(where: { $0.addressType == d.addressType && $0.ports == d.ports }) {
                let e = remaining.remove(at: i)
                if e.endpoints != d.endpoints || e.metadata.labels != labels(for: svc) || e.ports != d.ports {
                    actions.append(.update(name: e.metadata.name, sliceJSON(d, svc: svc, name: e.metadata.name)))
                }
            } else {
                unmatched.append(d)
            }
        }
        for d in unmatched {
            if let i = remaining.firstIndex(where: { $0.addressType == d.addressType }) {
                let e = remaining.remove(at: i)
                actions.append(.update(name: e.metadata.name, sliceJSON(d, svc: svc, name: e.metadata.name)))
            } else {
                actions.append(.create(sliceJSON(d, svc: svc, name: nil)))
            }
        }
        for e in remaining { actions.append(.delete(name: e.metadata.name)) }
        return actions
    }

    /// The legacy core/v1 Endpoints object for `svc` (ready addresses, not-ready addresses; terminating
    /// Pods left out unless publishNotReadyAddresses), grouped into subsets by port set.
    public static func endpoints(_ svc: Service, pods: [Pod]) -> JSON {
        var subsets: [String: (ports: [JSON], ready: [JSON], notReady: [JSON])] = [:]
        for pod in selectedPods(svc, pods: pods) {
            let terminating = pod.metadata.deletionTimestamp != nil
            if terminating && !svc.publishNotReadyAddresses { continue }
            guard let ip = pod.podIPs.first(where: { family(of: $0) == (svc.ipFamilies.first ?? "IPv4") }) else { continue }
            let ports: [JSON] = svc.ports.compactMap { sp in
                guard let n = targetPort(sp, pod: pod) else { return nil }
                var p: JSON = ["port": .int(Int64(n)), "protocol": .string(sp.protocol)]
                if !sp.name.isEmpty { p["name"] = .string(sp.name) }
                if let a = sp.appProtocol { p["appProtocol"] = .string(a) }
                return p
            }
            if ports.isEmpty && !svc.ports.isEmpty { continue }
            var addr: JSON = [
                "ip": .string(ip),
                "targetRef": ["kind": "Pod", "namespace": .string(pod.metadata.namespace), "name": .string(pod.metadata.name), "uid": .string(pod.metadata.uid)],
            ]
            if !pod.nodeName.isEmpty { addr["nodeName"] = .string(pod.nodeName) }
            if !pod.hostname.isEmpty && pod.subdomain == svc.metadata.name { addr["hostname"] = .string(pod.hostname) }
            let key = JSON.array(ports).serialized()
            if subsets[key] == nil { subsets[key] = (ports, [], []) }
            if svc.publishNotReadyAddresses || pod.ready { subsets[key]!.ready.append(addr) } else { subsets[key]!.notReady.append(addr) }
        }
        var out: [JSON] = []
        for k in subsets.keys.sorted() {
            let s = subsets[k]!
            var o: JSON = ["ports": .array(s.ports)]
            let byIP: (JSON, JSON) -> Bool = { ($0["ip"]?.stringValue ?? "") < ($1["ip"]?.stringValue ?? "") }
            if !s.ready.isEmpty { o["addresses"] = .array(s.ready.sorted(by: byIP)) }
            if !s.notReady.isEmpty { o["notReadyAddresses"] = .array(s.notReady.sorted(by: byIP)) }
            out.append(o)
        }
        var labels = svc.metadata.labels
        if svc.isHeadless { labels["service.kubernetes.io/headless"] = "" }
        var meta: JSON = ["name": .string(svc.metadata.name), "namespace": .string(svc.metadata.namespace)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        var ep: JSON = ["apiVersion": "v1", "kind": "Endpoints", "metadata": meta]
        if !out.isEmpty { ep["subsets"] = .array(out) }
        return ep
    }
}
