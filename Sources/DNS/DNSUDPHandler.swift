import NIOCore

/// One UDP listener channel: each datagram goes through `DNSEngine`; immediate replies are
/// flushed once per read burst, forwarded ones when their upstream answer arrives.
final class DNSUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let engine: DNSEngine
    private var needsFlush = false

    init(engine: DNSEngine) { self.engine = engine }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let client = envelope.remoteAddress
        switch engine.handle(envelope.data, source: client, transport: .udp, on: context.eventLoop) {
        case .drop:
            return
        case .reply(let bytes):
            let out = AddressedEnvelope(remoteAddress: client, data: context.channel.allocator.buffer(bytes: bytes))
            context.write(wrapOutboundOut(out), promise: nil)
            needsFlush = true
        case .pending(let future):
            let channel = context.channel
            future.whenSuccess { bytes in
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: channel.allocator.buffer(bytes: bytes)), promise: nil)
            }
        }
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
