import DNSCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The per-query logic shared by the UDP and TCP handlers: parse, answer from the current cluster
/// zone (or autopath), forward what is not ours through the cache, serialize. Handlers only move
/// bytes in and out of it.
final class DNSEngine: Sendable {
    /// What a handler does with one inbound message.
    enum Outcome {
        /// Send these bytes now. `cacheable`: an answer from the cluster zone that depends only on
        /// the query's bytes (other than its ID) and the zone generation, so a handler may keep it
        /// and answer the same query again with just the ID patched (`ZoneAnswerCache`).
        case reply([UInt8], cacheable: Bool = false)
        /// Send nothing (unparseable header, or a response packet).
        case drop
        /// Send the bytes when the future (on the handler's event loop) completes; it never fails.
        case pending(EventLoopFuture<[UInt8]>)
    }

    /// The zone lives in a class so reading it under the lock costs one retain.
    final class ZoneBox: Sendable {
        let zone: ClusterZone
        init(_ zone: ClusterZone) { self.zone = zone }
    }

    let zoneConfig: ClusterDNSConfig
    let autopathEnabled: Bool
    let forwarder: Forwarder
    let cache: ForwardCache
    let metrics: DNSMetrics
    let logger: Logger
    private let current: NIOLockedValueBox<ZoneBox>
    /// Bumped after every `setZone`; answers cached under an older generation are stale.
    private let generationCounter = Atomic<Int>(0)
    var generation: Int { generationCounter.load(ordering: .acquiring) }

    init(zoneConfig: ClusterDNSConfig, autopath: Bool, forwarder: Forwarder, cache: ForwardCache, metrics: DNSMetrics, logger: Logger) {
        self.zoneConfig = zoneConfig
        self.autopathEnabled = autopath
        self.forwarder = forwarder
        self.cache = cache
        self.metrics = metrics
        self.logger = logger
        current = NIOLockedValueBox(ZoneBox(.notSynced(config: zoneConfig)))
    }

    var zone: ClusterZone { current.withLockedValue { $0 }.zone }

    /// Swaps in a new zone snapshot; queries already running keep the one they started with.
    func setZone(_ zone: ClusterZone) {
        let box = ZoneBox(zone)
        current.withLockedValue { $0 = box }
        // After the swap: a handler that saw this generation also sees this zone (or a newer one).
        generationCounter.wrappingAdd(1, ordering: .releasing)
    }

    /// Handles one DNS message. `source` is the client (its IP drives autopath); `canForward`
    /// false answers SERVFAIL instead of going upstream (a TCP connection over its budget).
    func handle(_ packet: ByteBuffer, source: SocketAddress?, transport: DNSTransport, on loop: any EventLoop, canForward: Bool = true) -> Outcome {
        let started = NIODeadline.now()
        let query: DNSMessage
        do {
            query = try packet.withUnsafeReadableBytes { raw throws(DNSWireError) in try DNSMessage(wire: raw) }
        } catch {
            // Only the 12 header bytes matter for FORMERR; nil means drop (short, or a response).
            guard let formErr = DNSMessage.formatErrorResponse(to: packet.getBytes(at: packet.readerIndex, length: min(12, packet.readableBytes)) ?? [])
            else { return .drop }
            metrics.request(proto: transport, family: Self.family(source), type: RRType(0))
            metrics.response(rcode: .formErr, plugin: "", type: RRType(0), nanoseconds: (NIODeadline.now() - started).nanoseconds)
            return .reply(formErr)
        }
        // Never answer responses: two servers answering each other's answers would loop.
        if query.header.isResponse { return .drop }
        let qtype = query.questions.first?.type ?? RRType(0)
        metrics.request(proto: transport, family: Self.family(source), type: qtype)
        let limit = transport == .udp ? DNSMessage.udpResponseLimit(for: query) : 65535
        let zone = self.zone

        @Sendable func finish(_ m: DNSMessage, plugin: String) -> [UInt8] {
            metrics.response(rcode: m.rcode, plugin: plugin, type: qtype, nanoseconds: (NIODeadline.now() - started).nanoseconds)
            return m.serialize(maxSize: limit)
        }
        func later(_ f: EventLoopFuture<(DNSMessage, String)>) -> Outcome {
            .pending(f.map { m, plugin in finish(m, plugin: plugin) })
        }

        if autopathEnabled, let ip = source.flatMap(Self.ipAddress) {
            switch autopath(query, sourceIP: ip, in: zone) {
            case .answer(let m):
                return .reply(finish(m, plugin: "autopath"))
            case .forward(let cname, let then):
                guard canForward else { return .reply(finish(Self.failure(to: query, rcode: .servFail), plugin: "autopath")) }
                return later(
                    lookup(then, like: query, on: loop).map { upstream in
                        (completeAutopath(query: query, cname: cname, upstream: upstream, in: zone), "autopath")
                    })
            case .notApplicable:
                break
            }
        }
        switch resolve(query, in: zone) {
        case .answer(let m):
            // With autopath the answer also depends on the client's address: not cacheable.
            return .reply(finish(m, plugin: "kubernetes"), cacheable: !autopathEnabled)
        case .forward:
            guard canForward else { return .reply(finish(Self.failure(to: query, rcode: .servFail), plugin: "forward")) }
            return later(forwardClientQuery(query, on: loop))
        case .externalName(let cnames, let then):
            guard canForward else { return .reply(finish(Self.failure(to: query, rcode: .servFail), plugin: "kubernetes")) }
            return later(
                lookup(then, like: query, on: loop).map { upstream in
                    (completeExternalName(query: query, cnames: cnames, upstream: upstream, in: zone), "kubernetes")
                })
        }
    }

    /// A name outside the zone asked by a client: cache, else upstream; SERVFAIL on failure.
    /// The reply carries the client's ID, question spelling and EDNS state.
    func forwardClientQuery(_ query: DNSMessage, on loop: any EventLoop) -> EventLoopFuture<(DNSMessage, String)> {
        let q = query.questions[0]
        let dnssecOK = query.edns?.dnssecOK ?? false
        return cachedOrUpstream(q, dnssecOK: dnssecOK, rd: query.header.recursionDesired, on: loop).map { result in
            switch result {
            case .success(let (m, fromCache)): return (Self.reply(to: query, from: m), fromCache ? "cache" : "forward")
            case .failure: return (Self.failure(to: query, rcode: .servFail), "forward")
            }
        }
    }

    /// An upstream lookup on behalf of the zone (ExternalName target, autopath bare name): the
    /// query's type and DO bit for `name`; nil when it failed.
    func lookup(_ name: DNSName, like query: DNSMessage, on loop: any EventLoop) -> EventLoopFuture<DNSMessage?> {
        var q = query.questions[0]
        q.name = name
        return cachedOrUpstream(q, dnssecOK: query.edns?.dnssecOK ?? false, rd: true, on: loop).map { try? $0.get().0 }
    }

    private func cachedOrUpstream(
        _ q: DNSQuestion, dnssecOK: Bool, rd: Bool, on loop: any EventLoop
    ) -> EventLoopFuture<Result<(DNSMessage, Bool), any Error>> {
        let key = CacheKey(q, dnssecOK: dnssecOK)
        if cache.capacity > 0 {
            metrics.cacheRequests.increment()
            if let (m, kind) = cache.lookup(key) {
                metrics.cacheHits[kind]?.increment()
                return loop.makeSucceededFuture(.success((Self.respelled(m, as: q.name), true)))
            }
            metrics.cacheMisses.increment()
        }
        var query = DNSMessage(header: DNSHeader(recursionDesired: rd), questions: [q])
        if dnssecOK { query.edns = EDNS(dnssecOK: true) }
        return forwarder.forward(query, on: loop).map { reply in
            if self.cache.insert(key, response: reply) != nil { self.updateCacheGauges() }
            return .success((reply, false))
        }.recover { error in
            self.logger.debug("forward failed", metadata: ["name": "\(q.name)", "type": "\(q.type)", "error": "\(error)"])
            return .failure(error)
        }
    }

    func updateCacheGauges() {
        for kind in [CacheKind.success, .denial] { metrics.cacheEntries[kind]?.record(cache.count(kind)) }
    }

    /// The cache is keyed case-insensitively, so a hit still carries the first asker's spelling:
    /// records owned by the question name get this asker's spelling back (0x20-style resolvers
    /// and ExternalName chains then read naturally).
    static func respelled(_ m: DNSMessage, as name: DNSName) -> DNSMessage {
        var m = m
        for i in m.answers.indices where m.answers[i].name == name { m.answers[i].name = name }
        for i in m.authorities.indices where m.authorities[i].name == name { m.authorities[i].name = name }
        return m
    }

    /// The upstream answer re-addressed to the client: its ID, question and RD; our OPT only if
    /// it sent one (an extended rcode then cannot be expressed without OPT, so it becomes SERVFAIL).
    static func reply(to query: DNSMessage, from upstream: DNSMessage) -> DNSMessage {
        var m = upstream
        m.header.id = query.header.id
        m.header.isResponse = true
        m.header.opcode = query.header.opcode
        m.header.recursionDesired = query.header.recursionDesired
        m.questions = query.questions
        m.edns = query.edns.map { EDNS(udpPayloadSize: 1232, dnssecOK: $0.dnssecOK) }
        if m.edns == nil && m.rcode.rawValue > 15 { m.rcode = .servFail }
        return m
    }

    /// An error reply with the question echoed (RA set: we do recurse for clients).
    static func failure(to query: DNSMessage, rcode: DNSRCode) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(
                id: query.header.id, isResponse: true, opcode: query.header.opcode, recursionDesired: query.header.recursionDesired,
                recursionAvailable: true, checkingDisabled: query.header.checkingDisabled, rcode: rcode),
            questions: query.questions, edns: query.edns.map { EDNS(udpPayloadSize: 1232, dnssecOK: $0.dnssecOK) })
    }

    /// CoreDNS `family` label: 1 = IPv4, 2 = IPv6.
    static func family(_ a: SocketAddress?) -> Int { a?.protocol == .inet6 ? 2 : 1 }

    static func ipAddress(_ a: SocketAddress) -> IPAddress? {
        switch a {
        case .v4(let v4):
            return .v4(IPv4Address(UInt32(bigEndian: v4.address.sin_addr.s_addr)))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            let addr = IPv6Address(bytes: bytes)
            // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
            if addr.high == 0 && addr.low >> 32 == 0xFFFF { return .v4(IPv4Address(UInt32(truncatingIfNeeded: addr.low))) }
            return .v6(addr)
        default:
            return nil
        }
    }
}
