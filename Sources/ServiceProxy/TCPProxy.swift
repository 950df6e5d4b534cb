import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Splices two TCP channels on the same event loop (swift-nio-examples' connect-proxy `GlueHandler`):
/// bytes read on one side are written to the other; a side is only read while its partner is writable
/// (backpressure, nothing buffered beyond one read); a half-close (EOF) on one side becomes
/// `shutdown(SHUT_WR)` on the other; when both directions have ended, or either side errors or closes,
/// both channels close.
final class GlueHandler {
    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// This side's input has ended (EOF received).
    private var inputClosed = false
    /// This side's output was shut down because the partner's input ended.
    private var outputClosed = false
    /// A full close was requested; further close requests are no-ops.
    private var closing = false
    /// Counts bytes read on this side.
    private let bytesRead: Counter?

    private init(bytesRead: Counter?) { self.bytesRead = bytesRead }

    /// A connected pair; add `.0` to one channel and `.1` to the other, on the same event loop.
    static func matchedPair(firstBytes: Counter?, secondBytes: Counter?) -> (GlueHandler, GlueHandler) {
        let a = GlueHandler(bytesRead: firstBytes)
        let b = GlueHandler(bytesRead: secondBytes)
        a.partner = b
        b.partner = a
        return (a, b)
    }

    private func partnerWrite(_ data: NIOAny) { context?.write(data, promise: nil) }

    private func partnerFlush() { context?.flush() }

    private func partnerWriteEOF() {
        guard let context, !outputClosed else { return }
        outputClosed = true
        if inputClosed {
            closeFully(context)
        } else {
            // Pending writes are flushed before the shutdown takes effect.
            context.close(mode: .output, promise: nil)
        }
    }

    private func partnerCloseFull() {
        if let context { closeFully(context) }
    }

    private func closeFully(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        context.close(promise: nil)
    }

    private func partnerBecameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }

    private var partnerWritable: Bool { context?.channel.isWritable ?? false }
}

extension GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesRead?.increment(by: unwrapInboundIn(data).readableBytes)
        partner?.partnerWrite(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.partnerFlush() }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        partner?.partnerCloseFull()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            inputClosed = true
            partner?.partnerWriteEOF()
            if outputClosed { closeFully(context) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        partner?.partnerCloseFull()
        closeFully(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let partner, partner.partnerWritable {
            context.read()
        } else {
            pendingRead = true
        }
    }
}

/// Settings shared by every userspace listener.
struct ListenerSettings: Sendable {
    var connectTimeout: TimeAmount
    var maxConnectAttempts: Int
    var udpIdleTimeout: TimeAmount
    var maxUDPSessions: Int
    var maxPendingUDPPackets: Int
}

/// The first handler on an accepted client connection: picks an endpoint, connects (retrying the next
/// endpoint on failure), then splices the two connections with a `GlueHandler` pair. The client socket
/// is not read (autoRead off) until the backend is connected. One exception: when the client's FIN
/// arrives first, NIO drains the socket up to EOF regardless of autoRead, so those bytes and the EOF are
/// held here (bounded by the kernel receive buffer, capped at `maxEarlyBytes`) and replayed into the glue.
final class TCPFrontendHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Larger than Linux's default maximum TCP receive buffer (6 MiB), so it only trips on abuse.
    static let maxEarlyBytes = 8 << 20
    private var early: [ByteBuffer] = []
    private var earlyBytes = 0
    private var sawEOF = false

    private let pool: Pool
    private let frontend: Frontend
    private let settings: ListenerSettings
    private let logger: Logger
    private var tried: Set<BackendEndpoint> = []
    private var clientIP: String?

    init(pool: Pool, frontend: Frontend, settings: ListenerSettings, logger: Logger) {
        self.pool = pool
        self.frontend = frontend
        self.settings = settings
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        clientIP = context.channel.remoteAddress?.ipAddress
        pool.metrics.connections.increment()
        pool.metrics.active.increment()
        let meter = pool.metrics.active
        context.channel.closeFuture.whenComplete { _ in meter.decrement() }
        connectNext(context: context)
        context.fireChannelActive()
    }

    private func connectNext(context: ChannelHandlerContext) {
        guard tried.count < settings.maxConnectAttempts,
            let endpoint = pool.pick(client: clientIP, localOnly: frontend.localOnly, excluding: tried)
        else {
            pool.metrics.dropped.increment()
            logger.debug("no endpoint reachable; closing connection", metadata: [
                "service": "\(frontend.service)", "tried": "\(tried.sorted().map(\.description).joined(separator: ","))",
            ])
            context.close(promise: nil)
            return
        }
        tried.insert(endpoint)
        logger.trace("connecting to endpoint", metadata: ["service": "\(frontend.service)", "endpoint": "\(endpoint)"])
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: endpoint.ip, port: endpoint.port)
        } catch {
            connectNext(context: context)
            return
        }
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(settings.connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let backend):
                    self.splice(context: context, backend: backend, endpoint: endpoint)
                case .failure(let error):
                    self.pool.metrics.connectFailures.increment()
                    self.logger.debug("connect to endpoint failed", metadata: [
                        "service": "\(self.frontend.service)", "endpoint": "\(endpoint)", "error": "\(error)",
                    ])
                    guard context.channel.isActive else {
                        self.logger.trace("client gone", metadata: ["service": "\(self.frontend.service)"])
                        return
                    }
                    self.connectNext(context: context)
                }
            }
    }

    private func splice(context: ChannelHandlerContext, backend: Channel, endpoint: BackendEndpoint) {
        // The client may have gone away while we were connecting.
        guard context.channel.isActive else {
            backend.close(promise: nil)
            return
        }
        pool.connected(client: clientIP, endpoint: endpoint)
        logger.trace("spliced", metadata: ["service": "\(frontend.service)", "endpoint": "\(endpoint)"])
        let (clientSide, backendSide) = GlueHandler.matchedPair(firstBytes: pool.metrics.bytesIn, secondBytes: pool.metrics.bytesOut)
        let client = context.channel
        do {
            try context.pipeline.syncOperations.addHandler(clientSide)
            try backend.pipeline.syncOperations.addHandler(backendSide)
            // Replay what NIO read before the glue existed (see the type's doc comment).
            for buffer in early { context.fireChannelRead(wrapInboundOut(buffer)) }
            if !early.isEmpty { context.fireChannelReadComplete() }
            early = []
            if sawEOF { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            // Turning autoRead on issues the first read through the glue (which gates it on writability).
            backend.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in backend.close(promise: nil) }
            client.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in client.close(promise: nil) }
        } catch {
            backend.close(promise: nil)
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        earlyBytes += buffer.readableBytes
        guard earlyBytes <= Self.maxEarlyBytes else {
            context.close(promise: nil)
            return
        }
        early.append(buffer)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            sawEOF = true
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Bookkeeping of live channels (listeners' accepted connections, UDP sessions) so shutdown can close
/// them; connections survive listener removal, as in kube-proxy's userspace mode.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLock { _ = $0.removeValue(forKey: id) }
        }
    }

    var count: Int { channels.withLock { $0.count } }

    func closeAll() async {
        let all = channels.withLock { Array($0.values) }
        for c in all { try? await c.close() }
    }
}

enum TCPListener {
    /// Binds a TCP listener for `frontend` at `address`.
    static func bind(address: SocketAddress, frontend: Frontend, pool: Pool, group: any EventLoopGroup,
                     settings: ListenerSettings, registry: ConnectionRegistry, logger: Logger) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                registry.track(child)
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(
                        TCPFrontendHandler(pool: pool, frontend: frontend, settings: settings, logger: logger))
                }
            }
            .bind(to: address)
            .get()
    }
}
