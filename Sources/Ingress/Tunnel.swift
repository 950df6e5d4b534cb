import Logging
import NIOCore
import NIOHTTP1

/// After a `101 Switching Protocols` (WebSocket), both channels stop speaking HTTP: their HTTP handlers are
/// removed and a pair of `TunnelHandler`s copies bytes each way with backpressure.
enum Tunnel {
    /// Swaps the handlers. Order matters: tunnel handlers first, then everything that types outbound writes as
    /// HTTP parts, and the decoders last so bytes they buffered after the upgrade flow into the tunnel.
    static func splice(downstream: Channel, upstream: Channel, logger: Logger) throws {
        let (down, up) = TunnelHandler.pair()
        let d = downstream.pipeline.syncOperations
        let u = upstream.pipeline.syncOperations
        try d.addHandler(down)
        try u.addHandler(up)
        func check(_ f: EventLoopFuture<Void>, _ what: String) {
            f.whenFailure { logger.debug("tunnel: removing \(what) failed", metadata: ["error": "\($0)"]) }
        }
        for name in ["http-encoder", "http-pipelining", "proxy"] { check(d.removeHandler(name: name), "down " + name) }
        for name in ["http-encoder", "upstream"] { check(u.removeHandler(name: name), "up " + name) }
        // The upstream response decoder observes (and would mistype) outbound writes, so it goes before any
        // client bytes buffered in the downstream decoder are released towards it.
        check(u.removeHandler(name: "http-decoder"), "up decoder")
        check(d.removeHandler(name: "http-decoder"), "down decoder")
        downstream.read()
        upstream.read()
    }
}

/// One end of a byte tunnel (the shape of swift-nio's connect-proxy `GlueHandler`): reads go to the partner's
/// channel, reads pause while the partner cannot write, and closes propagate.
final class TunnelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: TunnelHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func pair() -> (TunnelHandler, TunnelHandler) {
        let a = TunnelHandler()
        let b = TunnelHandler()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }
    private func partnerFlush() { context?.flush() }
    private func partnerWriteEOF() { context?.close(mode: .output, promise: nil) }
    private func partnerClose() { context?.close(promise: nil) }
    private var partnerWritable: Bool { context?.channel.isWritable ?? false }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.partnerWrite(data) }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.partnerFlush() }
    func channelInactive(context: ChannelHandlerContext) { partner?.partnerClose() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, case .inputClosed = e {
            partner?.partnerWriteEOF()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.partnerWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
