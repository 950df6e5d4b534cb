import CoreMetrics
import Foundation
import IngressCore
import KubeAPI
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization

/// Ferry's Ingress data plane: an HTTP/1.1 + HTTP/2 (TLS, ALPN) reverse proxy serving the Ingresses of our
/// classes. Each cluster snapshot is turned into an immutable route table that is swapped in whole, so config
/// changes never reload workers or drop connections. Call `bind()` once, then `run()` until the task is cancelled.
public final class IngressServer: Sendable {
    /// One bound listener.
    public struct BoundListener: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var isTLS: Bool
        public var description: String {
            (isTLS ? "https://" : "http://") + (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        }
    }

    /// Resources a build reads; nothing is built until all of them completed their initial list.
    public static let requiredResources: [ResourceType] = [
        .ingress, .ingressClass, .service, .endpointSlice, .secret,
    ]

    private let configuration: IngressServerConfiguration
    private let source: any ClusterSource
    private let logger: Logger
    private let group: any EventLoopGroup
    private let routing = RoutingStore()
    private let pools: UpstreamPools
    private let metrics: ProxyMetrics
    private let quiescing: ServerQuiescingHelper
    private let state = Mutex(State())

    private struct State {
        var channels: [any Channel] = []
        var bound: [BoundListener] = []
        var isBound = false
        var lastApplied: ClusterSnapshot?
        var decodeCaches = RoutingDecodeCaches()
        var subscribers: [Int: AsyncStream<IngressBuildReport>.Continuation] = [:]
        var nextSubscriber = 0
    }

    /// - Parameters:
    ///   - eventLoopGroup: loops for listeners and upstream connections (default: the NIO singleton).
    ///   - metricsFactory: nil uses the process-wide `MetricsSystem.factory`.
    public init(
        configuration: IngressServerConfiguration, source: any ClusterSource, logger: Logger,
        eventLoopGroup: (any EventLoopGroup)? = nil, metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.configuration = configuration
        self.source = source
        self.logger = logger
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.metrics = ProxyMetrics(factory: metricsFactory)
        self.quiescing = ServerQuiescingHelper(group: self.group)
        // `backend-protocol: HTTPS` upstreams are not verified, like ingress-nginx's `proxy_ssl_verify off`.
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateVerification = .none
        self.pools = UpstreamPools(limits: configuration.limits, tlsContext: try? NIOSSLContext(configuration: client))
    }

    /// The listeners actually bound (port 0 replaced by the chosen port), HTTP first.
    public var boundListeners: [BoundListener] { state.withLock { $0.bound } }

    /// Problems, conflicts and ignored annotations of the latest route-table build (for Warning Events) and the
    /// accepted Ingresses (for status). Deduplicating Events is the caller's job.
    public func latestBuildReport() -> IngressBuildReport { routing.current.report }

    /// Reports of future builds, newest only when the consumer falls behind. Ends when `run()` returns.
    public func buildReports() -> AsyncStream<IngressBuildReport> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: IngressBuildReport.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s in
            defer { s.nextSubscriber += 1 }
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Binds every HTTP and HTTPS listener and builds the first route table. Throws `IngressServerError`
    /// (`.cannotListen` with a one-line description, or a default-certificate problem) and leaves nothing bound
    /// when any listener fails.
    public func bind() async throws {
        guard !state.withLock({ $0.isBound }) else { return }
        var tls: NIOSSLContext?
        if !configuration.httpsListeners.isEmpty {
            tls = try makeServerTLSContext()
        }
        apply(source.current)
        let baseEnv = environment()
        var channels: [any Channel] = []
        var bound: [BoundListener] = []
        do {
            for l in configuration.httpListeners {
                let ch = try await bind(l, tls: nil, environment: baseEnv)
                channels.append(ch)
                bound.append(BoundListener(host: l.host, port: ch.localAddress?.port ?? l.port, isTLS: false))
            }
            for l in configuration.httpsListeners {
                let ch = try await bind(l, tls: tls, environment: baseEnv)
                channels.append(ch)
                bound.append(BoundListener(host: l.host, port: ch.localAddress?.port ?? l.port, isTLS: true))
            }
        } catch {
            for ch in channels { try? await ch.close() }
            throw error
        }
        logger.info("ingress listening", metadata: ["listeners": "\(bound.map(\.description))"])
        state.withLock {
            $0.channels = channels
            $0.bound = bound
            $0.isBound = true
        }
    }

    /// Serves until the task is cancelled: rebuilds and swaps the route table for every snapshot, then stops
    /// accepting, lets in-flight requests finish for `shutdownGracePeriod`, and returns. Binds first if `bind()`
    /// was not called.
    public func run() async throws {
        if !state.withLock({ $0.isBound }) { try await bind() }
        for await snapshot in source.updates() {
            let started = ContinuousClock.now
            if apply(snapshot) {
                // Under churn, rebuild at most half the time: after a build that took T, let changes
                // gather for T (snapshots coalesce meanwhile). A single change is still applied at once.
                let cost = ContinuousClock.now - started
                if cost > .milliseconds(2) { try? await Task.sleep(for: min(cost, .seconds(1))) }
            }
        }
        // The source ended (or we were cancelled): keep serving the last table until cancelled.
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        await shutdown()
    }

    /// Rebuilds the table when anything it reads changed since the last build, and swaps it in.
    @discardableResult
    func apply(_ snapshot: ClusterSnapshot) -> Bool {
        guard snapshot.isSynced(Self.requiredResources) else {
            logger.debug("ingress waiting for initial sync", metadata: ["version": "\(snapshot.version)"])
            return false
        }
        let previousSnapshot = state.withLock { $0.lastApplied }
        if let previousSnapshot, previousSnapshot.isSynced(Self.requiredResources),
            Self.requiredResources.allSatisfy({ snapshot.changedKeys($0, since: previousSnapshot).isEmpty })
        {
            // Nothing we read changed; measure the next snapshot from this one, so that changes to
            // other resources never outgrow the change log (a full comparison each time).
            state.withLock { $0.lastApplied = snapshot }
            return false
        }
        var caches = state.withLock { s in
            let c = s.decodeCaches
            s.decodeCaches = RoutingDecodeCaches()  // uniquely referenced while we build
            return c
        }
        let next = RoutingState.make(
            snapshot: snapshot, classNames: configuration.classNames, controller: configuration.controller,
            previous: routing.current, caches: &caches)
        routing.replace(next)
        let subscribers = state.withLock { s in
            s.lastApplied = snapshot
            s.decodeCaches = caches
            return Array(s.subscribers.values)
        }
        for c in subscribers { c.yield(next.report) }
        logger.debug(
            "ingress routes rebuilt",
            metadata: [
                "version": "\(snapshot.version)", "accepted": "\(next.report.accepted.count)",
                "problems": "\(next.report.problems.count)", "hosts": "\(next.table.hostNames.count)",
            ])
        return true
    }

    private func shutdown() async {
        let promise = group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: promise)
        // Bounded: connections that outlive the grace period are left to process exit.
        let loop = group.next()
        let timeout = loop.scheduleTask(in: TimeAmount(configuration.shutdownGracePeriod)) {}
        let either = loop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in either.succeed() }
        timeout.futureResult.whenComplete { _ in either.succeed() }
        try? await either.futureResult.get()
        timeout.cancel()
        pools.closeAll()
        let subscribers = state.withLock { s in
            defer {
                s.subscribers = [:]
                s.channels = []
            }
            return Array(s.subscribers.values)
        }
        for c in subscribers { c.finish() }
        logger.info("ingress stopped")
    }

    private let requestIDs = RequestIDSource()

    private func environment() -> ProxyEnvironment {
        ProxyEnvironment(
            routing: routing, limits: configuration.limits, serverName: configuration.serverName, isTLS: false,
            isHTTP2: false, metrics: metrics, logger: logger,
            epochSeconds: { Int64(Date().timeIntervalSince1970) },
            makeRequestID: { [requestIDs] in requestIDs.next() },
            random: { Double.random(in: 0..<1) })
    }

    private func makeServerTLSContext() throws -> NIOSSLContext {
        guard let pem = configuration.defaultCertificate else { throw IngressServerError.missingDefaultCertificate }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(pem.certificateChainPEM)
            key = try NIOSSLPrivateKey(bytes: pem.privateKeyPEM, format: .pem)
        } catch {
            throw IngressServerError.invalidDefaultCertificate(reason: "\(error)")
        }
        guard !chain.isEmpty else { throw IngressServerError.invalidDefaultCertificate(reason: "no certificate") }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["h2", "http/1.1"]
        let routing = self.routing
        // SNI picks the certificate from the current table; Host picks the route later (Ingress v1 semantics).
        tls.sslContextCallback = { values, promise in
            promise.succeed(routing.current.tlsOverride(forSNI: values.serverHostname))
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw IngressServerError.invalidDefaultCertificate(reason: "\(error)")
        }
    }

    private func bind(
        _ listener: IngressServerConfiguration.Listener, tls: NIOSSLContext?, environment env: ProxyEnvironment
    ) async throws -> any Channel {
        let pools = self.pools
        let quiescing = self.quiescing
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let pool = pools.pool(for: channel.eventLoop)
                if let tls {
                    return IngressPipeline.configureTLS(channel, tls: tls, environment: env, pool: pool)
                }
                return channel.eventLoop.makeCompletedFuture {
                    try IngressPipeline.configureHTTP1(channel, environment: env, pool: pool)
                }
            }
        do {
            return try await bootstrap.bind(host: listener.host, port: listener.port).get()
        } catch {
            throw IngressServerError.cannotListen(address: listener.description, reason: Self.describe(error))
        }
    }

    /// "address already in use" and friends, from the errno NIO reports.
    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return "address already in use"
            case EACCES: return "permission denied"
            case EADDRNOTAVAIL: return "address not available"
            default: return String(cString: strerror(io.errnoCode)).lowercased()
            }
        }
        return "\(error)"
    }
}
