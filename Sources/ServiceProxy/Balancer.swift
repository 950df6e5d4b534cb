import CoreMetrics
import Synchronization

/// Round-robin endpoint choice with optional ClientIP session affinity, for one pool. A value type with
/// the clock passed in, so it is tested without sockets or sleeps; `Pool` wraps it in a lock.
struct BalancerState: Sendable {
    private(set) var spec: PoolSpec {
        didSet { members = (Set(spec.cluster), Set(spec.local)) }
    }
    /// The endpoint lists as sets: UDP listeners check session validity on every datagram.
    private var members: (cluster: Set<BackendEndpoint>, local: Set<BackendEndpoint>)
    private var nextCluster = 0
    private var nextLocal = 0
    /// Client IP → sticky endpoint and when the stickiness lapses.
    private var affinity: [String: (endpoint: BackendEndpoint, expires: ContinuousClock.Instant)] = [:]
    let maxAffinityEntries: Int

    init(spec: PoolSpec, maxAffinityEntries: Int) {
        self.spec = spec
        self.members = (Set(spec.cluster), Set(spec.local))
        self.maxAffinityEntries = max(1, maxAffinityEntries)
    }

    var affinityCount: Int { affinity.count }

    /// Replaces the endpoint lists in place: round-robin positions carry over, sticky clients whose
    /// endpoint is gone (or all of them, when affinity was switched off or its timeout changed) are forgotten.
    mutating func update(_ new: PoolSpec) {
        if new.affinityTimeout != spec.affinityTimeout {
            affinity.removeAll()
        } else {
            let alive = Set(new.cluster + new.local)
            affinity = affinity.filter { alive.contains($0.value.endpoint) }
        }
        spec = new
        if !new.cluster.isEmpty { nextCluster %= new.cluster.count }
        if !new.local.isEmpty { nextLocal %= new.local.count }
    }

    func endpoints(localOnly: Bool) -> [BackendEndpoint] { localOnly ? spec.local : spec.cluster }

    func contains(_ endpoint: BackendEndpoint, localOnly: Bool) -> Bool {
        localOnly ? members.local.contains(endpoint) : members.cluster.contains(endpoint)
    }

    /// The endpoint for a new connection: the client's sticky endpoint when affinity is on and it is
    /// still valid and not excluded, otherwise the next one in round-robin order that is not excluded
    /// (`excluding` holds endpoints that already failed for this connection). Nil when none is left.
    mutating func pick(client: String?, localOnly: Bool, excluding: Set<BackendEndpoint> = [], now: ContinuousClock.Instant) -> BackendEndpoint? {
        let list = endpoints(localOnly: localOnly)
        guard !list.isEmpty else { return nil }
        if spec.affinityTimeout != nil, let client, let sticky = affinity[client] {
            if sticky.expires > now, !excluding.contains(sticky.endpoint), contains(sticky.endpoint, localOnly: localOnly) {
                return sticky.endpoint
            }
            affinity[client] = nil
        }
        var index = localOnly ? nextLocal : nextCluster
        for _ in 0..<list.count {
            let candidate = list[index % list.count]
            index = (index + 1) % list.count
            if !excluding.contains(candidate) {
                if localOnly { nextLocal = index } else { nextCluster = index }
                return candidate
            }
        }
        return nil
    }

    /// Records that `client` reached `endpoint`, starting or refreshing its affinity (as nftables'
    /// `update @affinity { ip saddr }` does on each new connection). The table is bounded: expired
    /// entries go first, then the one closest to expiry.
    mutating func connected(client: String?, endpoint: BackendEndpoint, now: ContinuousClock.Instant) {
        guard let timeout = spec.affinityTimeout, let client else { return }
        if affinity[client] == nil && affinity.count >= maxAffinityEntries {
            affinity = affinity.filter { $0.value.expires > now }
            if affinity.count >= maxAffinityEntries, let oldest = affinity.min(by: { $0.value.expires < $1.value.expires }) {
                affinity[oldest.key] = nil
            }
        }
        affinity[client] = (endpoint, now + timeout)
    }
}

/// One Service port's (per family) live load-balancing state, shared by every listener of that Service
/// port on every event loop; updated in place on each snapshot.
final class Pool: Sendable {
    let key: PoolKey
    let metrics: UserspaceMetrics
    private let state: Mutex<BalancerState>

    init(key: PoolKey, spec: PoolSpec, maxAffinityEntries: Int, metrics: UserspaceMetrics) {
        self.key = key
        self.metrics = metrics
        self.state = Mutex(BalancerState(spec: spec, maxAffinityEntries: maxAffinityEntries))
    }

    var spec: PoolSpec { state.withLock { $0.spec } }

    func update(_ spec: PoolSpec) { state.withLock { $0.update(spec) } }

    func pick(client: String?, localOnly: Bool, excluding: Set<BackendEndpoint>) -> BackendEndpoint? {
        let now = ContinuousClock.now
        return state.withLock { $0.pick(client: client, localOnly: localOnly, excluding: excluding, now: now) }
    }

    func connected(client: String?, endpoint: BackendEndpoint) {
        let now = ContinuousClock.now
        state.withLock { $0.connected(client: client, endpoint: endpoint, now: now) }
    }

    func contains(_ endpoint: BackendEndpoint, localOnly: Bool) -> Bool {
        state.withLock { $0.contains(endpoint, localOnly: localOnly) }
    }
}
