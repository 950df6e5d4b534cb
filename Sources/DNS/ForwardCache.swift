import DNSCore
import NIOConcurrencyHelpers
import NIOCore

/// What a cached forwarded answer is keyed by: the question (name lowercased) and the DO bit,
/// since a DNSSEC-aware client must not get an answer stripped of signatures for a plain one.
struct CacheKey: Hashable, Sendable {
    var name: DNSName
    var type: UInt16
    var qclass: UInt16
    var dnssecOK: Bool

    init(_ q: DNSQuestion, dnssecOK: Bool) {
        name = q.name.lowercased()
        type = q.type.rawValue
        qclass = q.qclass.rawValue
        self.dnssecOK = dnssecOK
    }
}

/// CoreDNS's cache types (the `type` label of `coredns_cache_*`).
enum CacheKind: String, Sendable {
    case success
    case denial
}

/// Forwarded answers only (cluster-zone data is never cached: it is answered live, see
/// dns-spec §4.3). Bounded LRU; entries expire after min RR TTL (positive) or the SOA's
/// min(TTL, minimum) (negative, RFC 2308 §5), both capped.
final class ForwardCache: Sendable {
    struct Entry: Sendable {
        var message: DNSMessage
        var kind: CacheKind
        var stored: NIODeadline
        var ttl: UInt32
    }

    let capacity: Int
    let maxSuccessTTL: UInt32
    let maxDenialTTL: UInt32
    let now: @Sendable () -> NIODeadline
    private let state: NIOLockedValueBox<State>

    struct State: Sendable {
        var lru: LRUStore<CacheKey, Entry>
        var counts: [CacheKind: Int] = [.success: 0, .denial: 0]
    }

    init(capacity: Int, maxSuccessTTL: UInt32, maxDenialTTL: UInt32, now: @escaping @Sendable () -> NIODeadline = { .now() }) {
        self.capacity = max(0, capacity)
        self.maxSuccessTTL = maxSuccessTTL
        self.maxDenialTTL = maxDenialTTL
        self.now = now
        state = NIOLockedValueBox(State(lru: LRUStore(capacity: max(0, capacity))))
    }

    /// Seconds to keep `response` and its kind, or nil when it must not be cached: truncated,
    /// SERVFAIL and other errors, negative answers without an SOA (RFC 2308 §5), or TTL 0.
    static func policy(for response: DNSMessage, maxSuccessTTL: UInt32, maxDenialTTL: UInt32) -> (ttl: UInt32, kind: CacheKind)? {
        guard !response.header.isTruncated else { return nil }
        let isNX = response.rcode == .nxDomain
        guard response.rcode == .noError || isNX else { return nil }
        let ttl: UInt32
        let kind: CacheKind
        if !isNX && !response.answers.isEmpty {
            kind = .success
            ttl = min((response.answers + response.authorities).map(\.ttl).min() ?? 0, maxSuccessTTL)
        } else {
            kind = .denial
            guard let soa = response.authorities.first(where: { $0.type == .soa }), case .soa(let data) = soa.data else { return nil }
            ttl = min(soa.ttl, data.minimum, maxDenialTTL)
        }
        return ttl == 0 ? nil : (ttl, kind)
    }

    /// The cached answer with every TTL aged, or nil (miss or expired).
    func lookup(_ key: CacheKey) -> (message: DNSMessage, kind: CacheKind)? {
        guard capacity > 0 else { return nil }
        let t = now()
        guard let e = state.withLockedValue({ s -> Entry? in
            guard let e = s.lru.get(key) else { return nil }
            if t - e.stored >= .seconds(Int64(e.ttl)) {
                _ = s.lru.remove(key)
                s.counts[e.kind, default: 1] -= 1
                return nil
            }
            return e
        }) else { return nil }
        let age = UInt32(clamping: (t - e.stored).nanoseconds / 1_000_000_000)
        var m = e.message
        func aged(_ rrs: inout [ResourceRecord]) {
            for i in rrs.indices { rrs[i].ttl = min(rrs[i].ttl, e.ttl) &- min(age, min(rrs[i].ttl, e.ttl)) }
        }
        aged(&m.answers)
        aged(&m.authorities)
        aged(&m.additionals)
        return (m, e.kind)
    }

    /// Stores `response` if the policy allows; returns the kind stored.
    @discardableResult
    func insert(_ key: CacheKey, response: DNSMessage) -> CacheKind? {
        guard capacity > 0, let (ttl, kind) = Self.policy(for: response, maxSuccessTTL: maxSuccessTTL, maxDenialTTL: maxDenialTTL) else {
            return nil
        }
        let entry = Entry(message: response, kind: kind, stored: now(), ttl: ttl)
        state.withLockedValue { s in
            if let old = s.lru.remove(key) { s.counts[old.kind, default: 1] -= 1 }
            if let evicted = s.lru.set(key, entry) { s.counts[evicted.kind, default: 1] -= 1 }
            s.counts[kind, default: 0] += 1
        }
        return kind
    }

    /// Entries per kind (for `coredns_cache_entries`).
    func count(_ kind: CacheKind) -> Int { state.withLockedValue { $0.counts[kind] ?? 0 } }
}

/// A fixed-capacity least-recently-used map: a dictionary into an array of nodes that form a
/// doubly linked list (indices, not references, so no per-entry allocation or ARC traffic).
struct LRUStore<Key: Hashable, Value> {
    struct Node {
        var key: Key
        var value: Value
        var prev: Int
        var next: Int
    }

    let capacity: Int
    private(set) var index: [Key: Int] = [:]
    private var nodes: [Node?] = []
    private var free: [Int] = []
    /// Most recently used.
    private var head = -1
    /// Least recently used: the next eviction.
    private var tail = -1

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { index.count }

    mutating func get(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        unlink(i)
        pushFront(i)
        return nodes[i]!.value
    }

    /// Inserts or replaces; returns the evicted value when the store was full.
    mutating func set(_ key: Key, _ value: Value) -> Value? {
        if let i = index[key] {
            nodes[i]!.value = value
            unlink(i)
            pushFront(i)
            return nil
        }
        guard capacity > 0 else { return nil }
        var evicted: Value?
        if index.count >= capacity, tail >= 0 {
            let victim = tail
            evicted = nodes[victim]!.value
            index[nodes[victim]!.key] = nil
            unlink(victim)
            nodes[victim] = nil
            free.append(victim)
        }
        let node = Node(key: key, value: value, prev: -1, next: -1)
        let i: Int
        if let f = free.popLast() {
            i = f
            nodes[i] = node
        } else {
            i = nodes.count
            nodes.append(node)
        }
        index[key] = i
        pushFront(i)
        return evicted
    }

    mutating func remove(_ key: Key) -> Value? {
        guard let i = index.removeValue(forKey: key) else { return nil }
        let v = nodes[i]!.value
        unlink(i)
        nodes[i] = nil
        free.append(i)
        return v
    }

    /// Keys from most to least recently used (for tests).
    var keysByRecency: [Key] {
        var out: [Key] = []
        var i = head
        while i >= 0 {
            out.append(nodes[i]!.key)
            i = nodes[i]!.next
        }
        return out
    }

    private mutating func unlink(_ i: Int) {
        let p = nodes[i]!.prev, n = nodes[i]!.next
        if p >= 0 { nodes[p]!.next = n } else { head = n }
        if n >= 0 { nodes[n]!.prev = p } else { tail = p }
        nodes[i]!.prev = -1
        nodes[i]!.next = -1
    }

    private mutating func pushFront(_ i: Int) {
        nodes[i]!.next = head
        nodes[i]!.prev = -1
        if head >= 0 { nodes[head]!.prev = i }
        head = i
        if tail < 0 { tail = i }
    }
}

extension LRUStore: Sendable where Key: Sendable, Value: Sendable {}
extension LRUStore.Node: Sendable where Key: Sendable, Value: Sendable {}
