import CoreMetrics
import DNSCore
import Foundation
import KubeAPI
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// Ferry's cluster DNS server: UDP and TCP listeners on every configured address, answering the
/// Kubernetes cluster zone from the latest `ClusterSnapshot` and forwarding everything else
/// upstream through a cache. Call `bind()` once, then `run()` until the task is cancelled.
public final class DNSServer: Sendable {
    let config: DNSServerConfig
    let source: any ClusterSource
    let logger: Logger
    let group: any EventLoopGroup
    let engine: DNSEngine
    private let state: NIOLockedValueBox<State>
    private let tcpConnections = Atomic<Int>(0)

    struct State {
        var channels: [any Channel] = []
        var bound: [HostPort] = []
        var isBound = false
        /// The zone, kept in step with snapshots (only changed Services are rebuilt).
        var zone: ZoneMaintainer
    }

    /// - Parameters:
    ///   - group: event loops for the listeners; every loop gets its own UDP socket per address
    ///     (SO_REUSEPORT), so queries spread over all of them.
    ///   - metricsFactory: nil uses the process-wide `MetricsSystem.factory`.
    public init(
        config: DNSServerConfig, source: any ClusterSource, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.config = config
        self.source = source
        self.logger = logger
        self.group = group
        state = NIOLockedValueBox(State(zone: ZoneMaintainer(config: config.zone, podsMatter: config.autopath || config.zone.podRecords == .verified)))
        let metrics = DNSMetrics(server: config.serverLabel, factory: metricsFactory ?? MetricsSystem.factory)
        let forwarder = Forwarder(timeout: config.forwardTimeout.timeAmount, maxInFlight: config.maxConcurrentForwards, metrics: metrics)
        let cache = ForwardCache(capacity: config.cacheCapacity, maxSuccessTTL: config.cacheMaxTTL, maxDenialTTL: config.cacheMaxDenialTTL)
        engine = DNSEngine(
            zoneConfig: config.zone, autopath: config.autopath, forwarder: forwarder, cache: cache, metrics: metrics, logger: logger)
    }

    /// The addresses actually bound, in config order (port 0 replaced by the chosen port). Each
    /// serves UDP and TCP on the same port.
    public var boundAddresses: [HostPort] { state.withLockedValue { $0.bound } }

    /// Whether the cluster zone has synced (before that, cluster names get SERVFAIL).
    public var isReady: Bool { state.withLockedValue { $0.isBound } && engine.zone.isSynced }

    /// The upstream servers in use (after resolv.conf and loop rules), as `ip:port`.
    public var upstreams: [String] { engine.forwarder.currentUpstreams.map(\.label) }

    /// Binds every listener (UDP on each event loop, then TCP) and picks the upstream servers.
    /// Throws `DNSServerError` (e.g. `.addressInUse`) and binds nothing when any address fails.
    public func bind() async throws {
        guard !config.listen.isEmpty else { throw DNSServerError.noListenAddresses }
        guard !state.withLockedValue({ $0.isBound }) else { return }
        apply(source.current)

        let selection = UpstreamSelection.select(
            config.upstreams, listen: config.listen, localAddresses: Self.localAddresses(for: config.listen),
            readFile: { try? String(contentsOfFile: $0, encoding: .utf8) })
        try engine.forwarder.setUpstreams(selection.servers)
        for dropped in selection.droppedAsSelf {
            logger.warning("not forwarding to our own listener", metadata: ["upstream": "\(dropped)"])
        }
        if selection.servers.isEmpty {
            logger.warning("no upstream DNS servers: names outside the cluster zone get SERVFAIL", metadata: ["origin": "\(selection.origin)"])
        } else {
            logger.info("dns upstreams", metadata: ["servers": "\(selection.servers.map(\.description))", "origin": "\(selection.origin)"])
        }

        var channels: [any Channel] = []
        var bound: [HostPort] = []
        do {
            for address in config.listen {
                let (port, chs) = try await bindPair(address)
                channels += chs
                bound.append(HostPort(host: address.host, port: port))
            }
        } catch {
            for ch in channels { try? await ch.close() }
            throw error
        }
        logger.info("dns listening", metadata: ["addresses": "\(bound.map(\.description))"])
        state.withLockedValue {
            $0.channels = channels
            $0.bound = bound
            $0.isBound = true
        }
    }

    /// Serves until the task is cancelled: rebuilds the zone from each snapshot (off the event
    /// loops) and swaps it in, then closes every listener. Binds first if `bind()` was not called.
    public func run() async throws {
        if !state.withLockedValue({ $0.isBound }) { try await bind() }
        for await snapshot in source.updates() {
            apply(snapshot)
        }
        // The source ended (or we were cancelled): keep serving the last zone until cancelled.
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        let channels = state.withLockedValue { s in
            defer { s.channels = [] }
            return s.channels
        }
        for ch in channels { try? await ch.close() }
        logger.info("dns stopped")
    }

    /// Brings the zone up to `snapshot` (rebuilding only the Services that changed) and swaps it
    /// into the engine.
    func apply(_ snapshot: ClusterSnapshot) {
        let serial = UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
        let zone: ClusterZone? = state.withLockedValue { $0.zone.apply(snapshot, serial: serial) ? $0.zone.zone : nil }
        guard let zone else { return }
        engine.setZone(zone)
        logger.debug("dns zone updated", metadata: ["version": "\(snapshot.version)"])
    }

    // MARK: - Binding

    /// Binds UDP (one socket per event loop) and TCP for one address; returns the port.
    private func bindPair(_ address: HostPort) async throws -> (Int, [any Channel]) {
        // An ephemeral port is chosen by a probe and may be taken (UDP by a racing process, TCP by
        // anyone) by the time we bind it for real: try a few.
        let attempts = address.port == 0 ? 20 : 1
        var lastError: (any Error)?
        for _ in 0..<attempts {
            var channels: [any Channel] = []
            do {
                let port = try await probeUDP(address)
                for loop in group.makeIterator() {
                    channels.append(try await bindUDP(address, port: port, on: loop))
                }
                channels.append(try await bindTCP(address, port: port))
                return (port, channels)
            } catch {
                for ch in channels { try? await ch.close() }
                lastError = error
                // With port 0 the probed port can be taken by someone else before we bind it again.
                if case DNSServerError.addressInUse = error, address.port == 0 { continue }
                throw error
            }
        }
        throw lastError ?? DNSServerError.noListenAddresses
    }

    /// Binds once without SO_REUSEPORT to learn whether anyone else holds the port (with
    /// REUSEPORT alone a second server of the same user would silently share it) and to pick the
    /// port when 0 was asked.
    private func probeUDP(_ address: HostPort) async throws -> Int {
        let sockAddr = try socketAddress(address, port: address.port)
        do {
            let ch = try await DatagramBootstrap(group: group).bind(to: sockAddr).get()
            let port = ch.localAddress?.port ?? address.port
            try await ch.close()
            return port
        } catch {
            throw Self.mapBindError(error, address: address, proto: "udp")
        }
    }

    static let vectorReadCount = 16

    private func bindUDP(_ address: HostPort, port: Int, on loop: any EventLoop) async throws -> any Channel {
        let sockAddr = try socketAddress(address, port: port)
        let engine = self.engine
        do {
            return try await DatagramBootstrap(group: loop)
                .channelOption(.socket(SocketOptionLevel(SOL_SOCKET), SO_REUSEPORT), value: 1)
                .channelOption(.maxMessagesPerRead, value: 4)
                // recvmmsg: up to 16 datagrams per syscall, 4 kB each (queries are small; a bigger
                // datagram arrives cut and is answered FORMERR).
                .channelOption(.datagramVectorReadMessageCount, value: Self.vectorReadCount)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.vectorReadCount * 4096))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(DNSUDPHandler(engine: engine)) }
                }
                .bind(to: sockAddr).get()
        } catch {
            throw Self.mapBindError(error, address: address, proto: "udp")
        }
    }

    private func bindTCP(_ address: HostPort, port: Int) async throws -> any Channel {
        let sockAddr = try socketAddress(address, port: port)
        let engine = self.engine
        let idle = config.tcpIdleTimeout.timeAmount
        let maxPending = config.maxPendingPerTCPConnection
        let maxConnections = config.maxTCPConnections
        let connections = self
        do {
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { ch in
                    guard connections.tcpConnections.wrappingAdd(1, ordering: .relaxed).newValue <= maxConnections else {
                        connections.tcpConnections.wrappingSubtract(1, ordering: .relaxed)
                        return ch.close()
                    }
                    ch.closeFuture.whenComplete { _ in connections.tcpConnections.wrappingSubtract(1, ordering: .relaxed) }
                    return ch.eventLoop.makeCompletedFuture {
                        let ops = ch.pipeline.syncOperations
                        try ops.addHandler(IdleStateHandler(readTimeout: idle))
                        try ops.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
                        try ops.addHandler(DNSTCPHandler(engine: engine, maxPending: maxPending))
                    }
                }
                .bind(to: sockAddr).get()
        } catch {
            throw Self.mapBindError(error, address: address, proto: "tcp")
        }
    }

    private func socketAddress(_ address: HostPort, port: Int) throws -> SocketAddress {
        do {
            return try SocketAddress(ipAddress: address.host, port: port)
        } catch {
            throw DNSServerError.invalidAddress(address.description)
        }
    }

    static func mapBindError(_ error: any Error, address: HostPort, proto: String) -> DNSServerError {
        if let e = error as? DNSServerError { return e }
        if let io = error as? IOError {
            if io.errnoCode == EADDRINUSE { return .addressInUse(address, proto: proto) }
            if io.errnoCode == EACCES { return .cannotListen(address, proto: proto, reason: "permission denied") }
            if io.errnoCode == EADDRNOTAVAIL { return .cannotListen(address, proto: proto, reason: "address not available on this host") }
            return .cannotListen(address, proto: proto, reason: String(cString: strerror(io.errnoCode)))
        }
        return .cannotListen(address, proto: proto, reason: "\(error)")
    }

    /// This host's interface addresses, needed only when a listener is a wildcard.
    static func localAddresses(for listen: [HostPort]) -> [String] {
        guard listen.contains(where: { $0.host == "0.0.0.0" || $0.host == "::" }) else { return [] }
        return ((try? System.enumerateDevices()) ?? []).compactMap { $0.address?.ipAddress }
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (s, atto) = components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
