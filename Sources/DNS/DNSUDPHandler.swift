import DNSCore
import NIOCore

/// One UDP listener channel: each datagram goes through `DNSEngine`; immediate replies are
/// flushed once per read burst, forwarded ones when their upstream answer arrives. Zone answers are
/// remembered per channel (`ZoneAnswerCache`), so a repeated query skips parsing, resolving and
/// serializing.
final class DNSUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let engine: DNSEngine
    private var needsFlush = false
    private var cache = ZoneAnswerCache()

    init(engine: DNSEngine) { self.engine = engine }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let client = envelope.remoteAddress
        let generation = engine.generation
        let started = NIODeadline.now()
        if let hit = cache.answer(envelope.data, generation: generation) {
            engine.metrics.request(proto: .udp, family: DNSEngine.family(client), type: hit.type)
            engine.metrics.response(rcode: hit.rcode, plugin: "kubernetes", type: hit.type, nanoseconds: (NIODeadline.now() - started).nanoseconds)
            send(hit.bytes, to: client, context: context)
            return
        }
        switch engine.handle(envelope.data, source: client, transport: .udp, on: context.eventLoop) {
        case .drop:
            return
        case .reply(let bytes, let cacheable):
            if cacheable { cache.store(query: envelope.data, answer: bytes, generation: generation) }
            send(bytes, to: client, context: context)
        case .pending(let future):
            let channel = context.channel
            future.whenSuccess { bytes in
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
            }
        }
    }

    private func send(_ bytes: [UInt8], to client: SocketAddress, context: ChannelHandlerContext) {
        let out = AddressedEnvelope(remoteAddress: client, data: context.channel.allocator.buffer(bytes: bytes))
        context.write(wrapOutboundOut(out), promise: nil)
        needsFlush = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP listener must survive per-datagram errors (e.g. a send to a vanished client).
        engine.logger.debug("udp listener error", metadata: ["error": "\(error)"])
    }
}

/// Zone answers by query bytes (ID zeroed) for one zone generation. A zone answer depends only on
/// the query's bytes and the zone, so the same bytes get the same answer with the ID patched.
/// Bounded (a full cache drops one arbitrary entry per insert) and emptied when the zone changes.
/// One per channel, so no locking.
struct ZoneAnswerCache {
    struct Key: Hashable {
        var bytes: [UInt8]
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }
    struct Entry {
        var bytes: [UInt8]
        var type: RRType
        var rcode: DNSRCode
    }

    /// About 150 bytes of query and answer per entry: ~10 MiB per channel when full.
    static let capacity = 65536
    private var entries: [Key: Entry] = [:]
    private var generation = -1

    static func key(_ query: ByteBuffer) -> Key? {
        guard query.readableBytes >= 17, query.readableBytes <= 512, var bytes = query.getBytes(at: query.readerIndex, length: query.readableBytes)
        else { return nil }
        bytes[0] = 0
        bytes[1] = 0
        return Key(bytes: bytes)
    }

    mutating func answer(_ query: ByteBuffer, generation: Int) -> Entry? {
        if generation != self.generation {
            entries.removeAll(keepingCapacity: true)
            self.generation = generation
            return nil
        }
        guard !entries.isEmpty, let key = Self.key(query), var hit = entries[key] else { return nil }
        hit.bytes[0] = query.getInteger(at: query.readerIndex, as: UInt8.self) ?? 0
        hit.bytes[1] = query.getInteger(at: query.readerIndex + 1, as: UInt8.self) ?? 0
        return hit
    }

    mutating func store(query: ByteBuffer, answer: [UInt8], generation: Int) {
        guard generation == self.generation, answer.count >= 12, let key = Self.key(query) else { return }
        // The question's type follows its name: find the name's end in the key bytes.
        var i = 12
        while i < key.bytes.count, key.bytes[i] != 0 {
            guard key.bytes[i] & 0xC0 == 0 else { return }
            i += Int(key.bytes[i]) + 1
        }
        guard i + 2 < key.bytes.count else { return }
        let type = RRType(UInt16(key.bytes[i + 1]) << 8 | UInt16(key.bytes[i + 2]))
        if entries.count >= Self.capacity { entries.remove(at: entries.startIndex) }
        entries[key] = Entry(bytes: answer, type: type, rcode: DNSRCode(rawValue: UInt16(answer[3] & 0x0F)))
    }
}
