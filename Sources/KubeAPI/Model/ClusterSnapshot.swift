import HashTreeCollections
import Synchronization
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
    /// Objects of one resource by key. A persistent hash trie: the informer changes one object of
    /// a snapshot that consumers still hold in O(log n) instead of copying all n entries.
    public typealias Objects = TreeDictionary<String, JSON>
    public var objects: [ResourceType: Objects]
    /// Resources whose initial list has completed.
    public var synced: Set<ResourceType>
    /// Increases by one with every published change.
    public var version: Int
    /// Recent changes, newest first, as recorded by `record(_:key:)`; lets `changedKeys` cost
    /// O(changes) instead of O(objects). Snapshots of one lineage share it.
    public private(set) var changes: ChangeLog? = nil
    /// Identifies snapshots that descend from each other through `record`; 0: no log kept.
    public var lineage: UInt64 = 0

    public init(objects: [ResourceType: Objects] = [:], synced: Set<ResourceType> = [], version: Int = 0) {
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

    public subscript(_ r: ResourceType) -> Objects { objects[r] ?? [:] }

    public var services: [Service] { self[.service].values.map(Service.init) }
    public var endpointSlices: [EndpointSlice] { self[.endpointSlice].values.map(EndpointSlice.init) }
    public var pods: [Pod] { self[.pod].values.map(Pod.init) }
    public var ingresses: [Ingress] { self[.ingress].values.map(Ingress.init) }
    public var ingressClasses: [IngressClass] { self[.ingressClass].values.map(IngressClass.init) }
    public var secrets: [Secret] { self[.secret].values.map(Secret.init) }

    /// Notes that `key` of `r` changed (nil: the whole resource was replaced, e.g. relisted) in the
    /// version about to be published (`version + 1`). The log is capped at `ChangeLog.limit`
    /// entries; older snapshots then fall back to a full comparison.
    public mutating func record(_ r: ResourceType, key: String?) {
        let v = version + 1
        if let head = changes, head.depth < ChangeLog.limit {
            changes = ChangeLog(version: v, resource: r, key: key, next: head, depth: head.depth + 1, floor: head.floor)
        } else {
            changes = ChangeLog(version: v, resource: r, key: key, next: nil, depth: 1, floor: v - 1)
        }
    }

    /// Keys whose resourceVersion differs between `old` and `self` (added, changed or removed);
    /// from the change log when `old` is an ancestor it covers (then a superset: keys touched
    /// and reverted are included), else by comparing every object.
    public func changedKeys(_ r: ResourceType, since old: ClusterSnapshot) -> Set<String> {
        if lineage != 0, old.lineage == lineage, old.version <= version, let head = changes, old.version >= head.floor {
            var out = Set<String>()
            var node: ChangeLog? = head
            while let n = node, n.version > old.version {
                if n.resource == r {
                    guard let k = n.key else { return fullChangedKeys(r, since: old) }
                    out.insert(k)
                }
                node = n.next
            }
            return out
        }
        return fullChangedKeys(r, since: old)
    }

    /// Counts full comparisons (`changedKeys` without a usable change log) made by the current
    /// task and its children; tests use it to check that a consumer stays on the O(changes) path.
    @TaskLocal public static var fullComparisons: FullComparisonCounter?

    func fullChangedKeys(_ r: ResourceType, since old: ClusterSnapshot) -> Set<String> {
        Self.fullComparisons?.add()
        let a = old[r], b = self[r]
        var out = Set<String>()
        for (k, v) in b where a[k]?.at("metadata", "resourceVersion") != v.at("metadata", "resourceVersion") { out.insert(k) }
        for k in a.keys where b[k] == nil { out.insert(k) }
        return out
    }
}

/// See `ClusterSnapshot.fullComparisons`.
public final class FullComparisonCounter: Sendable {
    private let n = Mutex(0)
    public init() {}
    public var count: Int { n.withLock { $0 } }
    func add() { n.withLock { $0 += 1 } }
}

/// One recorded change, linked to the ones before it (immutable, shared between snapshots).
public final class ChangeLog: Sendable {
    /// Entries kept per chain before a new chain starts.
    public static let limit = 4096
    public let version: Int
    public let resource: ResourceType
    public let key: String?
    public let next: ChangeLog?
    let depth: Int
    /// Snapshots at this version or newer can be diffed through this chain.
    let floor: Int

    init(version: Int, resource: ResourceType, key: String?, next: ChangeLog?, depth: Int, floor: Int) {
        self.version = version
        self.resource = resource
        self.key = key
        self.next = next
        self.depth = depth
        self.floor = floor
    }
}
