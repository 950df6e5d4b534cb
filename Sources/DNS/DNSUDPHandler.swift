import DNSCore
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One UDP listener channel: each datagram goes through `DNSEngine`; immediate replies are
/// collected over a read burst and written from one buffer when it ends, forwarded ones when their
/// upstream answer arrives. Zone answers are remembered per channel (`ZoneAnswerCache`), so a
/// repeated query skips parsing, resolving and serializing.
final class DNSUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// A reply of the current read burst; `id`, when set, replaces the first two bytes.
    struct Reply {
        var client: SocketAddress
        var bytes: ArraySlice<UInt8>
        var id: UInt16?
    }

    let engine: DNSEngine
    private var cache = ZoneAnswerCache()
    private var replies: [Reply] = []
    private var replyBytes = 0
    /// A burst is at most `vectorReadCount` x `maxMessagesPerRead` datagrams; written early past this.
    static let maxRepliesPerWrite = 256

    init(engine: DNSEngine) { self.engine = engine }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let client = envelope.remoteAddress
        let generation = engine.generation
        let started = NIODeadline.now()
        if let hit = cache.answer(envelope.data, generation: generation) {
            engine.metrics.request(proto: .udp, family: DNSEngine.family(client), type: hit.type)
            engine.metrics.response(rcode: hit.rcode, plugin: "kubernetes", type: hit.type, nanoseconds: (NIODeadline.now() - started).nanoseconds)
            queue(Reply(client: client, bytes: hit.answer, id: hit.id), context: context)
            return
        }
        switch engine.handle(envelope.data, source: client, transport: .udp, on: context.eventLoop) {
        case .drop:
            return
        case .reply(let bytes, let cacheable):
            if cacheable { cache.store(query: envelope.data, answer: bytes, generation: generation) }
            queue(Reply(client: client, bytes: bytes[...], id: nil), context: context)
        case .pending(let future):
            let channel = context.channel
            future.whenSuccess { bytes in
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
            }
        }
    }

    private func queue(_ reply: Reply, context: ChannelHandlerContext) {
        replies.append(reply)
        replyBytes += reply.bytes.count
        if replies.count >= Self.maxRepliesPerWrite { writeReplies(context: context) }
    }

    /// Writes the burst's replies as slices of one buffer (one allocation per burst) and flushes.
    private func writeReplies(context: ChannelHandlerContext) {
        guard !replies.isEmpty else { return }
        var buffer = context.channel.allocator.buffer(capacity: replyBytes)
        for r in replies {
            let at = buffer.writerIndex
            buffer.writeBytes(r.bytes)
            if let id = r.id { buffer.setInteger(id, at: at) }
        }
        // Slicing only after all writes: a write to a buffer with live slices would copy it.
        for r in replies {
            let out = AddressedEnvelope(remoteAddress: r.client, data: buffer.readSlice(length: r.bytes.count)!)
            context.write(wrapOutboundOut(out), promise: nil)
        }
        replies.removeAll(keepingCapacity: true)
        replyBytes = 0
        context.flush()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        writeReplies(context: context)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP listener must survive per-datagram errors (e.g. a send to a vanished client).
        engine.logger.debug("udp listener error", metadata: ["error": "\(error)"])
    }
}

/// Zone answers by query bytes (without the ID) for one zone generation. A zone answer depends only
/// on the query's bytes and the zone, so the same bytes get the same answer with the ID patched.
/// Entries are keyed by a hash of those bytes and hold the bytes themselves (query and answer in one
/// array), so a lookup allocates nothing and a hash collision is a miss. Bounded (a full cache drops
/// one arbitrary entry per insert) and emptied when the zone changes. One per channel, so no locking.
struct ZoneAnswerCache {
    struct Entry {
        /// The query after its 2-byte ID, then the answer (whose ID is replaced per reply).
        var bytes: [UInt8]
        var queryCount: Int
        var type: RRType
        var rcode: DNSRCode
    }
    struct Hit {
        /// The cached answer; its first two bytes are to be replaced by `id`.
        var answer: ArraySlice<UInt8>
        /// The query's ID.
        var id: UInt16
        var type: RRType
        var rcode: DNSRCode
    }

    /// About 150 bytes of query and answer per entry: ~10 MiB per channel when full.
    static let capacity = 65536
    private var entries: [Int: Entry] = [:]
    private var generation = -1

    /// The query's bytes after the ID, if it is a size we keep.
    private static func withBody<R>(_ query: ByteBuffer, _ body: (UnsafeRawBufferPointer) -> R?) -> R? {
        query.withUnsafeReadableBytes { raw in
            guard raw.count >= 17, raw.count <= 512 else { return nil }
            return body(UnsafeRawBufferPointer(rebasing: raw[2...]))
        }
    }

    private static func key(_ body: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: body)
        return h.finalize()
    }

    /// The cached answer to `query`, if any.
    mutating func answer(_ query: ByteBuffer, generation: Int) -> Hit? {
        if generation != self.generation {
            entries.removeAll(keepingCapacity: true)
            self.generation = generation
            return nil
        }
        guard !entries.isEmpty else { return nil }
        let entry: Entry? = Self.withBody(query) { body in
            guard let e = entries[Self.key(body)], e.queryCount == body.count,
                  e.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, body.baseAddress!, body.count) }) == 0
            else { return nil }
            return e
        }
        guard let entry, let id = query.getInteger(at: query.readerIndex, as: UInt16.self) else { return nil }
        return Hit(answer: entry.bytes[entry.queryCount...], id: id, type: entry.type, rcode: entry.rcode)
    }

    mutating func store(query: ByteBuffer, answer: [UInt8], generation: Int) {
        guard generation == self.generation, answer.count >= 12 else { return }
        Self.withBody(query) { (body: UnsafeRawBufferPointer) -> Void? in
            // The question's type follows its name (at offset 10 of the body): find the name's end.
            var i = 10
            while i < body.count, body[i] != 0 {
                guard body[i] & 0xC0 == 0 else { return nil }
                i += Int(body[i]) + 1
            }
            guard i + 2 < body.count else { return nil }
            let type = RRType(UInt16(body[i + 1]) << 8 | UInt16(body[i + 2]))
            if entries.count >= Self.capacity { entries.remove(at: entries.startIndex) }
            entries[Self.key(body)] = Entry(
                bytes: Array(body) + answer, queryCount: body.count, type: type, rcode: DNSRCode(rawValue: UInt16(answer[3] & 0x0F)))
            return ()
        }
    }
}
