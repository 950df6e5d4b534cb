import NIOCore

/// One TCP client connection (RFC 7766): frames arrive without their 2-byte length (the
/// `LengthFieldBasedFrameDecoder` in front strips it) and replies are written with one.
/// Forwarded queries may be answered out of order. With `maxPending` forwards in flight the
/// handler stops reading from the socket; more queries already buffered get SERVFAIL.
final class DNSTCPHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let engine: DNSEngine
    let maxPending: Int
    private var pending = 0
    private var readHeld = false
    private var inputClosed = false
    private var active = true

    init(engine: DNSEngine, maxPending: Int) {
        self.engine = engine
        self.maxPending = max(1, maxPending)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let outcome = engine.handle(
            frame, source: context.remoteAddress, transport: .tcp, on: context.eventLoop, canForward: pending < maxPending)
        switch outcome {
        case .drop:
            return
        case .reply(let bytes, _):
            write(bytes, context: context, flush: false)
        case .pending(let future):
            pending += 1
            future.assumeIsolated().whenSuccess { bytes in
                self.pending -= 1
                guard self.active else { return }
                self.write(bytes, context: context, flush: true)
                if self.pending == 0 && self.inputClosed {
                    context.close(promise: nil)
                } else if self.readHeld && self.pending < self.maxPending {
                    self.readHeld = false
                    context.read()
                }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    /// Backpressure: hold the read while the connection has its budget of forwards in flight.
    func read(context: ChannelHandlerContext) {
        if pending >= maxPending {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else if let e = event as? ChannelEvent, e == .inputClosed {
            // The client sent its last query (half-close): answer what is pending, then close.
            inputClosed = true
            if pending == 0 { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        active = false
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Framing errors (bytes left over at EOF) or resets: this connection is done.
        engine.logger.debug("tcp connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext, flush: Bool) {
        var buf = context.channel.allocator.buffer(capacity: bytes.count + 2)
        buf.writeInteger(UInt16(truncatingIfNeeded: bytes.count))
        buf.writeBytes(bytes)
        if flush {
            context.writeAndFlush(wrapOutboundOut(buf), promise: nil)
        } else {
            context.write(wrapOutboundOut(buf), promise: nil)
        }
    }
}
