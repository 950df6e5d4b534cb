import KubeAPI

/// Keeps a `ClusterZone` in step with a stream of cluster snapshots, rebuilding only the Services
/// whose object or EndpointSlices changed. Pure: the DNS shell feeds it snapshots in order.
public struct ZoneMaintainer: Sendable {
    public let config: ClusterDNSConfig
    /// Whether pod records feed the zone (autopath, `pods verified`). Pods also count when
    /// Namespaces are not watched: namespaces are then inferred from objects.
    public let podsMatter: Bool
    /// The zone to serve: `notSynced` until Services and EndpointSlices have synced.
    public private(set) var zone: ClusterZone
    /// The snapshot `zone` reflects.
    public private(set) var applied: ClusterSnapshot?
    /// EndpointSlice key -> the Service it is labelled with, and the reverse.
    var ownership = SliceOwnership()

    public init(config: ClusterDNSConfig, podsMatter: Bool) {
        self.config = config
        self.podsMatter = podsMatter
        zone = .notSynced(config: config)
    }

    static let needed: [ResourceType] = [.service, .endpointSlice]

    /// Brings the zone up to `snapshot`; returns whether it changed. Until Services and
    /// EndpointSlices first sync the zone stays `notSynced` (SERVFAIL, never a cacheable NXDOMAIN);
    /// once synced, a snapshot that lost its sync flag (a relist) keeps the last good zone: stale
    /// beats SERVFAIL (dns-spec §4.9).
    @discardableResult
    public mutating func apply(_ snapshot: ClusterSnapshot, serial: UInt32) -> Bool {
        guard snapshot.isSynced(Self.needed) else { return false }
        let namespacesWatched = snapshot.synced.contains(.namespace)
        guard let previous = applied, previous.synced == snapshot.synced else {
            rebuild(snapshot, serial: serial, namespacesWatched: namespacesWatched)
            return true
        }
        let services = snapshot.changedKeys(.service, since: previous)
        let slices = snapshot.changedKeys(.endpointSlice, since: previous)
        let namespaces = snapshot.changedKeys(.namespace, since: previous)
        let pods = podsMatter || !namespacesWatched ? snapshot.changedKeys(.pod, since: previous) : []
        applied = snapshot
        if services.isEmpty && slices.isEmpty && namespaces.isEmpty && pods.isEmpty { return false }

        let owners = Set(services.union(ownership.update(slices, in: snapshot)).compactMap(Self.serviceKey))
        var z = zone
        if !owners.isEmpty { z = z.updatingServices(owners.map { entry(for: $0, in: snapshot) }, serial: serial) }
        if namespacesWatched ? !namespaces.isEmpty : !(services.isEmpty && slices.isEmpty && pods.isEmpty) {
            z = z.updatingNamespaces(Self.namespaces(snapshot, watched: namespacesWatched))
        }
        if podsMatter && !pods.isEmpty { z = z.updatingPods(snapshot.pods) }
        zone = z
        return true
    }

    mutating func rebuild(_ snapshot: ClusterSnapshot, serial: UInt32, namespacesWatched: Bool) {
        let owners = Set(ownership.rebuild(snapshot).union(snapshot[.service].keys).compactMap(Self.serviceKey))
        var z = ClusterZone(config: config, namespaces: [], serial: serial, synced: true)
            .updatingNamespaces(Self.namespaces(snapshot, watched: namespacesWatched))
        z.updateServices(owners.map { entry(for: $0, in: snapshot) })
        if podsMatter { z.setPods(snapshot.pods) }
        zone = z
        applied = snapshot
    }

    func entry(for key: ServiceKey, in snapshot: ClusterSnapshot) -> (key: ServiceKey, service: Service?, slices: [EndpointSlice]) {
        let service = snapshot[.service]["\(key.namespace)/\(key.name)"].map(Service.init)
        let slices = (ownership.slices["\(key.namespace)/\(key.name)"] ?? []).compactMap { snapshot[.endpointSlice][$0].map(EndpointSlice.init) }
        return (key, service, slices)
    }

    static func serviceKey(_ snapshotKey: String) -> ServiceKey? {
        guard let slash = snapshotKey.firstIndex(of: "/") else { return nil }
        return ServiceKey(namespace: String(snapshotKey[..<slash]), name: String(snapshotKey[snapshotKey.index(after: slash)...]))
    }

    /// Existing namespaces: the Namespace objects when watched, else inferred from the objects.
    static func namespaces(_ snapshot: ClusterSnapshot, watched: Bool) -> Set<String> {
        if watched { return Set(snapshot[.namespace].keys.map { $0.lowercased() }) }
        var out = Set<String>()
        for r in [ResourceType.service, .endpointSlice, .pod] {
            for k in snapshot[r].keys {
                if let slash = k.firstIndex(of: "/") { out.insert(k[..<slash].lowercased()) }
            }
        }
        out.remove("")
        return out
    }
}
