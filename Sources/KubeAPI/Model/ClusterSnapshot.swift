/// Where controllers and data planes get cluster state: an immutable snapshot now, and newer ones
/// as they come. Implemented by the watch cache (`Informer`); tests use a fake.
public protocol ClusterSource: Sendable {
    /// The latest snapshot.
    var current: ClusterSnapshot { get }
    /// A stream of snapshots; only the newest undelivered one is kept (consumers coalesce).
    func updates() -> AsyncStream<ClusterSnapshot>
}

/// An immutable view of cluster state as a watch cache last saw it: raw objects per resource,
/// keyed `namespace/name` (or `name` for cluster-scoped kinds). Built by the informer and handed
/// to controllers and data planes, which derive their own indexes from it.
public struct ClusterSnapshot: Sendable {
    public var objects: [ResourceType: [String: JSON]]
    /// Resources whose initial list has completed.
    public var synced: Set<ResourceType>
    /// Increases by one with every published change.
    public var version: Int

    public init(objects: [ResourceType: [String: JSON]] = [:], synced: Set<ResourceType> = [], version: Int = 0) {
        self.objects = objects
        self.synced = synced
        self.version = version
    }

    public static func key(of object: JSON) -> String {
        let ns = object.at("metadata", "namespace")?.stringValue ?? ""
        let name = object.at("metadata", "name")?.stringValue ?? ""
        return ns.isEmpty ? name : "\(ns)/\(name)"
    }

    public func isSynced(_ resources: [ResourceType]) -> Bool { resources.allSatisfy { synced.contains($0) } }

    public subscript(_ r: ResourceType) -> [String: JSON] { objects[r] ?? [:] }

    public var services: [Service] { self[.service].values.map(Service.init) }
    public var endpointSlices: [EndpointSlice] { self[.endpointSlice].values.map(EndpointSlice.init) }
    public var pods: [Pod] { self[.pod].values.map(Pod.init) }
    public var ingresses: [Ingress] { self[.ingress].values.map(Ingress.init) }
    public var ingressClasses: [IngressClass] { self[.ingressClass].values.map(IngressClass.init) }
    public var secrets: [Secret] { self[.secret].values.map(Secret.init) }

    /// Keys whose resourceVersion differs between `old` and `self` (added, changed or removed).
    public func changedKeys(_ r: ResourceType, since old: ClusterSnapshot) -> Set<String> {
        let a = old[r], b = self[r]
        var out = Set<String>()
        for (k, v) in b where a[k]?.at("metadata", "resourceVersion") != v.at("metadata", "resourceVersion") { out.insert(k) }
        for k in a.keys where b[k] == nil { out.insert(k) }
        return out
    }
}
