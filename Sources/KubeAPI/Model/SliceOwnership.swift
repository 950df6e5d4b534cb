/// Which Service (`namespace/name`) each EndpointSlice belongs to (its `kubernetes.io/service-name`
/// label), kept in step with snapshot changes, so a data plane can tell which Services a batch of
/// changed slices touches without looking at the others.
public struct SliceOwnership: Sendable {
    /// Slice key -> Service key.
    public private(set) var owner: [String: String] = [:]
    /// Service key -> its slice keys.
    public private(set) var slices: [String: Set<String>] = [:]

    public init() {}

    /// Indexes every slice of `snapshot`; returns the Services that own one.
    @discardableResult
    public mutating func rebuild(_ snapshot: ClusterSnapshot) -> Set<String> {
        owner = [:]
        slices = [:]
        for (k, obj) in snapshot[.endpointSlice] {
            guard let o = Self.owner(ofSlice: obj) else { continue }
            owner[k] = o
            slices[o, default: []].insert(k)
        }
        return Set(slices.keys)
    }

    /// Re-indexes the slices `changed` (added, modified or removed in `snapshot`); returns the
    /// Services they belonged to before or belong to now.
    public mutating func update(_ changed: Set<String>, in snapshot: ClusterSnapshot) -> Set<String> {
        var touched = Set<String>()
        for k in changed {
            if let old = owner.removeValue(forKey: k) {
                touched.insert(old)
                slices[old]?.remove(k)
                if slices[old]?.isEmpty == true { slices[old] = nil }
            }
            if let obj = snapshot[.endpointSlice][k], let o = Self.owner(ofSlice: obj) {
                touched.insert(o)
                owner[k] = o
                slices[o, default: []].insert(k)
            }
        }
        return touched
    }

    /// `namespace/service` from the slice's namespace and `kubernetes.io/service-name` label.
    public static func owner(ofSlice obj: JSON) -> String? {
        guard let ns = obj.at("metadata", "namespace")?.stringValue,
            let svc = obj.at("metadata", "labels", "kubernetes.io/service-name")?.stringValue, !svc.isEmpty
        else { return nil }
        return "\(ns)/\(svc)"
    }
}
