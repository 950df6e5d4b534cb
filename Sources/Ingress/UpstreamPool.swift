import IngressCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Receives one upstream connection's events while a request owns it. All calls happen on the connection's
/// event loop, which is also the downstream channel's.
protocol UpstreamDelegate: AnyObject {
    func upstream(_ c: UpstreamConnection, didRead part: HTTPClientResponsePart)
    func upstreamDidReadComplete(_ c: UpstreamConnection)
    /// The connection failed or closed; no further events follow.
    func upstream(_ c: UpstreamConnection, didFail error: any Error)
    func upstreamWritabilityChanged(_ c: UpstreamConnection)
}

/// Where a pooled connection goes: endpoint and whether TLS (`backend-protocol: HTTPS`) is spoken.
struct PoolKey: Hashable {
    var endpoint: UpstreamEndpoint
    var tls: Bool
}

/// One keep-alive HTTP/1.1 connection to a backend endpoint. Only touched on its channel's event loop; the
/// `@unchecked Sendable` lets it travel in that loop's futures.
final class UpstreamConnection: @unchecked Sendable {
    let channel: Channel
    let handler: UpstreamHandler
    let key: PoolKey
    var idleTimer: Scheduled<Void>?
    /// True when the connection came out of the idle pool (a failure may be a stale keep-alive, worth a retry).
    var reused = false

    init(channel: Channel, handler: UpstreamHandler, key: PoolKey) {
        self.channel = channel
        self.handler = handler
        self.key = key
    }
}

/// The tail handler of an upstream channel: forwards response parts to the owning request and lets it pause
/// reads for backpressure. With no owner (idle in the pool) any input means the connection is unusable.
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    weak var delegate: (any UpstreamDelegate)?
    weak var connection: UpstreamConnection?
    private let pool: UpstreamPool
    private var readsPaused = false
    private var pendingRead = false
    private var failed = false

    init(pool: UpstreamPool) { self.pool = pool }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard let delegate, let connection else {
            // Unsolicited bytes on an idle keep-alive connection: the stream is out of sync, drop it.
            context.close(promise: nil)
            return
        }
        delegate.upstream(connection, didRead: part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let delegate, let connection { delegate.upstreamDidReadComplete(connection) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let delegate, let connection { delegate.upstreamWritabilityChanged(connection) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(UpstreamError.closed)
        if let connection { pool.forget(connection) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard !failed else { return }
        failed = true
        if let delegate, let connection {
            self.delegate = nil
            delegate.upstream(connection, didFail: error)
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            pendingRead = true
        } else {
            context.read()
        }
    }

    /// Stops or resumes reading from the backend (downstream backpressure).
    func setReadsPaused(_ paused: Bool, context ctx: Channel) {
        readsPaused = paused
        if !paused && pendingRead {
            pendingRead = false
            ctx.read()
        }
    }
}

/// Errors of the upstream side, mapped to 502/504 at the edge.
enum UpstreamError: Error, Equatable {
    case closed
    case connectTimeout
    /// The client TLS context for `backend-protocol: HTTPS` could not be created.
    case tlsUnavailable
}

/// Per-event-loop upstream state: idle keep-alive connections per endpoint, round-robin cursors, and endpoints
/// recently seen failing. Touched only on `eventLoop` (the `@unchecked Sendable` is for handing it to channel
/// initializers, which run there too).
final class UpstreamPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let limits: IngressServerConfiguration.Limits
    private let tlsContext: NIOSSLContext?
    private var idle: [PoolKey: [UpstreamConnection]] = [:]
    private var cursors: [String: Int] = [:]
    private var failedUntil: [UpstreamEndpoint: NIODeadline] = [:]
    /// Tests replace connecting (e.g. with a future that never completes on an `EmbeddedEventLoop`).
    var connectOverride: ((PoolKey, Duration) -> EventLoopFuture<UpstreamConnection>)?

    init(eventLoop: any EventLoop, limits: IngressServerConfiguration.Limits, tlsContext: NIOSSLContext?) {
        self.eventLoop = eventLoop
        self.limits = limits
        self.tlsContext = tlsContext
    }

    /// Round-robin pick among `backend`'s ready endpoints not in `excluded`, preferring ones that have not failed
    /// recently; terminating endpoints only when no ready one is left. Nil when nothing is left to try.
    func pick(_ backend: Backend, excluding excluded: Set<UpstreamEndpoint>) -> UpstreamEndpoint? {
        eventLoop.assertInEventLoop()
        let now = NIODeadline.now()
        var candidates = backend.endpoints.filter { !excluded.contains($0) }
        if candidates.isEmpty { candidates = backend.terminatingEndpoints.filter { !excluded.contains($0) } }
        if candidates.isEmpty { return nil }
        let healthy = candidates.filter { ep in
            guard let until = failedUntil[ep] else { return true }
            if until <= now {
                failedUntil[ep] = nil
                return true
            }
            return false
        }
        let list = healthy.isEmpty ? candidates : healthy
        let key = "\(backend.namespace)/\(backend.service):\(backend.servicePort)"
        let i = cursors[key, default: 0]
        cursors[key] = i &+ 1
        return list[Int(UInt(bitPattern: i) % UInt(list.count))]
    }

    /// Whether `pick` would find anything (without advancing the round-robin cursor).
    func hasCandidate(_ backend: Backend, excluding excluded: Set<UpstreamEndpoint>) -> Bool {
        backend.endpoints.contains { !excluded.contains($0) }
            || backend.terminatingEndpoints.contains { !excluded.contains($0) }
    }

    /// Skips `endpoint` for new picks for the cool-down period (a refused or timed-out connect).
    func markFailed(_ endpoint: UpstreamEndpoint) {
        let now = NIODeadline.now()
        // Endpoints that disappear are never picked again; prune so pod churn cannot grow the map.
        if failedUntil.count >= 1024 { failedUntil = failedUntil.filter { $0.value > now } }
        failedUntil[endpoint] = now + TimeAmount(limits.failedEndpointCooldown)
    }

    /// An idle connection for `key` if one is alive, else a new one.
    func acquire(_ key: PoolKey, connectTimeout: Duration) -> EventLoopFuture<UpstreamConnection> {
        eventLoop.assertInEventLoop()
        while let c = idle[key]?.popLast() {
            c.idleTimer?.cancel()
            c.idleTimer = nil
            if c.channel.isActive {
                c.reused = true
                return eventLoop.makeSucceededFuture(c)
            }
        }
        if let connectOverride { return connectOverride(key, connectTimeout) }
        return connect(key, connectTimeout: connectTimeout)
    }

    private func connect(_ key: PoolKey, connectTimeout: Duration) -> EventLoopFuture<UpstreamConnection> {
        if key.tls && tlsContext == nil {
            // Never fall back to plaintext for a backend that asked for TLS.
            return eventLoop.makeFailedFuture(UpstreamError.tlsUnavailable)
        }
        let tls = key.tls ? tlsContext : nil
        let serverName = key.endpoint.address.isIPAddress ? nil : key.endpoint.address
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try sync.addHandler(HTTPRequestEncoder(), name: "http-encoder")
                    try sync.addHandler(
                        ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)),
                        name: "http-decoder")
                    try sync.addHandler(UpstreamHandler(pool: self), name: "upstream")
                }
            }
        let future: EventLoopFuture<Channel>
        if let addr = try? SocketAddress(ipAddress: key.endpoint.address, port: key.endpoint.port) {
            future = bootstrap.connect(to: addr)
        } else {
            future = bootstrap.connect(host: key.endpoint.address, port: key.endpoint.port)
        }
        return future.flatMapThrowing { channel in
            let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
            let c = UpstreamConnection(channel: channel, handler: handler, key: key)
            handler.connection = c
            return c
        }.flatMapErrorThrowing { error in
            if let e = error as? ChannelError, case .connectTimeout = e { throw UpstreamError.connectTimeout }
            throw error
        }
    }

    /// Returns a connection after a complete exchange. Kept for reuse when `reusable` and there is room,
    /// otherwise closed.
    func release(_ c: UpstreamConnection, reusable: Bool) {
        eventLoop.assertInEventLoop()
        c.handler.delegate = nil
        c.handler.setReadsPaused(false, context: c.channel)
        guard reusable, c.channel.isActive,
            idle[c.key, default: []].count < limits.maxIdleUpstreamConnectionsPerEndpoint
        else {
            c.channel.close(promise: nil)
            return
        }
        c.reused = false
        idle[c.key, default: []].append(c)
        c.idleTimer = eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.upstreamIdleTimeout)) {
            [weak c] in
            c?.channel.close(promise: nil)
        }
    }

    /// Drops a closed connection from the idle lists.
    func forget(_ c: UpstreamConnection) {
        c.idleTimer?.cancel()
        c.idleTimer = nil
        guard var list = idle[c.key], let i = list.firstIndex(where: { $0 === c }) else { return }
        list.remove(at: i)
        idle[c.key] = list.isEmpty ? nil : list
    }

    /// Closes every idle connection (shutdown).
    func closeIdle() {
        let all = idle.values.flatMap { $0 }
        idle = [:]
        for c in all {
            c.idleTimer?.cancel()
            c.channel.close(promise: nil)
        }
    }

    var idleCount: Int { idle.values.reduce(0) { $0 + $1.count } }
}

/// Pools by event loop, created on first use.
final class UpstreamPools: Sendable {
    private let pools = Mutex<[ObjectIdentifier: UpstreamPool]>([:])
    private let limits: IngressServerConfiguration.Limits
    private let tlsContext: NIOSSLContext?

    init(limits: IngressServerConfiguration.Limits, tlsContext: NIOSSLContext?) {
        self.limits = limits
        self.tlsContext = tlsContext
    }

    func pool(for loop: any EventLoop) -> UpstreamPool {
        pools.withLock { p in
            if let existing = p[ObjectIdentifier(loop)] { return existing }
            let made = UpstreamPool(eventLoop: loop, limits: limits, tlsContext: tlsContext)
            p[ObjectIdentifier(loop)] = made
            return made
        }
    }

    func closeAll() {
        let all = pools.withLock { Array($0.values) }
        for p in all { p.eventLoop.execute { p.closeIdle() } }
    }
}

extension TimeAmount {
    init(_ d: Duration) {
        let (s, atto) = d.components
        self = .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}

extension String {
    var isIPAddress: Bool { (try? SocketAddress(ipAddress: self, port: 0)) != nil }
}
