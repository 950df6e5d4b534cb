import CoreMetrics
import Logging
import NIOCore
import NIOPosix

/// The largest UDP payload; receive buffers are this big so datagrams are never truncated.
private let maxDatagram = 65_507

/// One client's UDP "connection": its own socket towards the chosen endpoint, so replies can be mapped
/// back to the client. Lives on the listener's event loop.
final class UDPSession {
    let client: SocketAddress
    let endpoint: BackendEndpoint
    let endpointAddress: SocketAddress
    var channel: (any Channel)?
    /// Datagrams that arrived while the backend socket was being opened (bounded).
    var pending: [ByteBuffer] = []
    var lastActivity: NIODeadline
    var closed = false

    init(client: SocketAddress, endpoint: BackendEndpoint, endpointAddress: SocketAddress, now: NIODeadline) {
        self.client = client
        self.endpoint = endpoint
        self.endpointAddress = endpointAddress
        self.lastActivity = now
    }
}

/// The listener side of the UDP proxy: a session table keyed by client address (bounded; least
/// recently active evicted first), idle sessions swept after `udpIdleTimeout`, a session whose endpoint
/// left the pool is dropped so the client's next datagram is balanced again. Replies are dropped (not
/// queued) when the listener socket is not writable.
final class UDPListenerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let pool: Pool
    private let frontend: Frontend
    private let settings: ListenerSettings
    private let registry: ConnectionRegistry
    private let logger: Logger
    private var sessions: [SocketAddress: UDPSession] = [:]
    private var context: ChannelHandlerContext?
    private var sweep: Scheduled<Void>?

    init(pool: Pool, frontend: Frontend, settings: ListenerSettings, registry: ConnectionRegistry, logger: Logger) {
        self.pool = pool
        self.frontend = frontend
        self.settings = settings
        self.registry = registry
        self.logger = logger
    }

    var sessionCount: Int { sessions.count }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        scheduleSweep(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweep?.cancel()
        closeAll()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        sweep?.cancel()
        closeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        pool.metrics.bytesIn.increment(by: envelope.data.readableBytes)
        if let session = sessions[envelope.remoteAddress] {
            if pool.contains(session.endpoint, localOnly: frontend.localOnly) {
                send(envelope.data, on: session)
                return
            }
            close(session)
        }
        guard let session = open(client: envelope.remoteAddress, context: context) else {
            pool.metrics.dropped.increment()
            return
        }
        send(envelope.data, on: session)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket error (e.g. a transient ENOBUFS) affects one packet, not the listener.
        logger.debug("udp listener error", metadata: ["frontend": "\(frontend.key)", "error": "\(error)"])
    }

    private func send(_ data: ByteBuffer, on session: UDPSession) {
        session.lastActivity = .now()
        if let channel = session.channel {
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: session.endpointAddress, data: data), promise: nil)
        } else if session.pending.count < settings.maxPendingUDPPackets {
            session.pending.append(data)
        } else {
            pool.metrics.dropped.increment()
        }
    }

    private func open(client: SocketAddress, context: ChannelHandlerContext) -> UDPSession? {
        if sessions.count >= settings.maxUDPSessions,
            let oldest = sessions.values.min(by: { $0.lastActivity < $1.lastActivity }) {
            close(oldest)
        }
        guard let endpoint = pool.pick(client: client.ipAddress, localOnly: frontend.localOnly, excluding: []),
            let address = try? SocketAddress(ipAddress: endpoint.ip, port: endpoint.port)
        else { return nil }
        let session = UDPSession(client: client, endpoint: endpoint, endpointAddress: address, now: .now())
        sessions[client] = session
        pool.connected(client: client.ipAddress, endpoint: endpoint)
        pool.metrics.connections.increment()
        pool.metrics.active.increment()
        let registry = self.registry
        DatagramBootstrap(group: context.eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maxDatagram))
            .bind(host: frontend.family == .ipv4 ? "0.0.0.0" : "::", port: 0)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard !session.closed else {
                        channel.close(promise: nil)
                        return
                    }
                    registry.track(channel)
                    session.channel = channel
                    do {
                        try channel.pipeline.syncOperations.addHandler(UDPBackendHandler(session: session, listener: self))
                    } catch {
                        self.close(session)
                        return
                    }
                    for data in session.pending {
                        channel.write(AddressedEnvelope(remoteAddress: session.endpointAddress, data: data), promise: nil)
                    }
                    session.pending = []
                    channel.flush()
                case .failure(let error):
                    self.logger.warning("cannot open udp socket towards endpoint", metadata: [
                        "service": "\(self.frontend.service)", "error": "\(error)",
                    ])
                    self.close(session)
                }
            }
        return session
    }

    /// A datagram from a session's socket: forwarded to the client if it came from the endpoint.
    fileprivate func reply(_ envelope: AddressedEnvelope<ByteBuffer>, session: UDPSession) {
        guard !session.closed, envelope.remoteAddress == session.endpointAddress else { return }
        session.lastActivity = .now()
        guard let context, context.channel.isWritable else {
            pool.metrics.dropped.increment()
            return
        }
        pool.metrics.bytesOut.increment(by: envelope.data.readableBytes)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: session.client, data: envelope.data)), promise: nil)
    }

    private func close(_ session: UDPSession) {
        guard !session.closed else { return }
        session.closed = true
        session.pending = []
        if sessions[session.client] === session { sessions[session.client] = nil }
        session.channel?.close(promise: nil)
        pool.metrics.active.decrement()
    }

    private func closeAll() {
        for s in Array(sessions.values) { close(s) }
    }

    private func scheduleSweep(context: ChannelHandlerContext) {
        let idle = settings.udpIdleTimeout
        let period = min(max(TimeAmount.nanoseconds(idle.nanoseconds / 4), .milliseconds(10)), .seconds(5))
        sweep = context.eventLoop.assumeIsolated().scheduleTask(in: period) {
            let now = NIODeadline.now()
            for s in Array(self.sessions.values) where s.lastActivity + idle <= now { self.close(s) }
            if let context = self.context { self.scheduleSweep(context: context) }
        }
    }
}

/// Reads replies on a session's socket and hands them to the listener (same event loop).
final class UDPBackendHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let session: UDPSession
    private let listener: UDPListenerHandler

    init(session: UDPSession, listener: UDPListenerHandler) {
        self.session = session
        self.listener = listener
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        listener.reply(unwrapInboundIn(data), session: session)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP errors surface here on some kernels; the session stays until idle.
    }
}

enum UDPListener {
    /// Binds a UDP listener for `frontend` at `address`.
    static func bind(address: SocketAddress, frontend: Frontend, pool: Pool, group: any EventLoopGroup,
                     settings: ListenerSettings, registry: ConnectionRegistry, logger: Logger) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: maxDatagram))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        UDPListenerHandler(pool: pool, frontend: frontend, settings: settings, registry: registry, logger: logger))
                }
            }
            .bind(to: address)
            .get()
    }
}
