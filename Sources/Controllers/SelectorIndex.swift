import KubeAPI

/// Incremental indexes for the EndpointSlice controller, so that one change costs O(what it
/// touches) instead of O(objects in the cluster): typed Pods and Services, both by
/// (namespace, label pair), and the controller's own slices by Service.
struct SelectorIndex {
    struct LabelKey: Hashable {
        var namespace: String
        var key: String
        var value: String
    }

    private(set) var pods: [String: Pod] = [:]
    private var podsByLabel: [LabelKey: Set<String>] = [:]
    private(set) var services: [String: Service] = [:]
    private var servicesBySelector: [LabelKey: Set<String>] = [:]
    /// Managed slice keys by `namespace/service`, and each slice's owner.
    private(set) var slicesByService: [String: Set<String>] = [:]
    private var sliceOwner: [String: String] = [:]

    /// Applies one snapshot: everything when `old` is nil, else only the changed keys. Returns
    /// the Services whose slices may need work (changed Services, Services selecting a changed
    /// Pod before or after the change, owners of changed managed slices).
    mutating func apply(_ snap: ClusterSnapshot, since old: ClusterSnapshot?) -> Set<String> {
        guard let old else {
            self = SelectorIndex()
            for (k, j) in snap[.service] { setService(k, Service(j)) }
            for (k, j) in snap[.pod] { setPod(k, Pod(j)) }
            for (k, j) in snap[.endpointSlice] { setSlice(k, j) }
            return Set(services.keys).union(slicesByService.keys)
        }
        var affected = Set<String>()
        for k in snap.changedKeys(.service, since: old) {
            affected.insert(k)
            setService(k, snap[.service][k].map(Service.init))
        }
        for k in snap.changedKeys(.pod, since: old) {
            if let before = pods[k] { affected.formUnion(servicesSelecting(before)) }
            let after = snap[.pod][k].map(Pod.init)
            setPod(k, after)
            if let after { affected.formUnion(servicesSelecting(after)) }
        }
        for k in snap.changedKeys(.endpointSlice, since: old) {
            if let owner = sliceOwner[k] { affected.insert(owner) }
            setSlice(k, snap[.endpointSlice][k])
            if let owner = sliceOwner[k] { affected.insert(owner) }
        }
        return affected
    }

    /// The Pods that may be selected by `svc`: those carrying its rarest selector label (callers
    /// still apply the whole selector). Empty for a Service without a selector.
    func candidatePods(for svc: Service) -> [Pod] {
        guard let sel = svc.selector, !sel.isEmpty else { return [] }
        let ns = svc.metadata.namespace
        var best: Set<String>? = nil
        for (k, v) in sel {
            let set = podsByLabel[LabelKey(namespace: ns, key: k, value: v)] ?? []
            if best == nil || set.count < best!.count { best = set }
            if set.isEmpty { break }
        }
        return (best ?? []).compactMap { pods[$0] }
    }

    /// Services (keys) in the Pod's namespace whose selector matches the Pod's labels.
    func servicesSelecting(_ pod: Pod) -> Set<String> {
        var out = Set<String>()
        let ns = pod.metadata.namespace
        for (k, v) in pod.metadata.labels {
            for key in servicesBySelector[LabelKey(namespace: ns, key: k, value: v)] ?? [] where !out.contains(key) {
                if let sel = services[key]?.selector, sel.allSatisfy({ pod.metadata.labels[$0.key] == $0.value }) { out.insert(key) }
            }
        }
        return out
    }

    private mutating func setService(_ key: String, _ svc: Service?) {
        if let old = services[key], let sel = old.selector {
            for (k, v) in sel { remove(key, LabelKey(namespace: old.metadata.namespace, key: k, value: v), from: &servicesBySelector) }
        }
        services[key] = svc
        if let svc, let sel = svc.selector {
            for (k, v) in sel { servicesBySelector[LabelKey(namespace: svc.metadata.namespace, key: k, value: v), default: []].insert(key) }
        }
    }

    private mutating func setPod(_ key: String, _ pod: Pod?) {
        if let old = pods[key] {
            for (k, v) in old.metadata.labels { remove(key, LabelKey(namespace: old.metadata.namespace, key: k, value: v), from: &podsByLabel) }
        }
        pods[key] = pod
        if let pod {
            for (k, v) in pod.metadata.labels { podsByLabel[LabelKey(namespace: pod.metadata.namespace, key: k, value: v), default: []].insert(key) }
        }
    }

    private mutating func setSlice(_ key: String, _ json: JSON?) {
        if let owner = sliceOwner.removeValue(forKey: key) {
            slicesByService[owner]?.remove(key)
            if slicesByService[owner]?.isEmpty == true { slicesByService[owner] = nil }
        }
        guard let json, let labels = json.at("metadata", "labels"),
            labels[EndpointSliceLogic.managedByLabel]?.stringValue == EndpointSliceLogic.managedByValue,
            let svc = labels[EndpointSliceLogic.serviceNameLabel]?.stringValue,
            let ns = json.at("metadata", "namespace")?.stringValue
        else { return }
        let owner = "\(ns)/\(svc)"
        sliceOwner[key] = owner
        slicesByService[owner, default: []].insert(key)
    }

    private func remove<K: Hashable>(_ key: String, _ label: K, from map: inout [K: Set<String>]) {
        map[label]?.remove(key)
        if map[label]?.isEmpty == true { map[label] = nil }
    }
}
