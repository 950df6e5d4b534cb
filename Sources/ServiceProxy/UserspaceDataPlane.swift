#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CoreMetrics
import KubeAPI
import Logging
import NIOCore
import NIOPosix
import ProxyRules

/// The userspace data plane: one NIO listener per Service frontend (TCP or UDP), reconciled against each
/// snapshot — new frontends are bound, removed ones closed, and endpoint lists of existing ones updated
/// in place (listeners and their open connections are untouched). Per-frontend bind failures are logged
/// and retried on the next snapshot; they never stop the proxy.
actor UserspaceDataPlane {
    private struct Listener {
        var frontend: Frontend
        var channel: any Channel
        var address: SocketAddress
    }

    private let node: NodeConfig
    private let options: ServiceProxy.UserspaceOptions
    private let settings: ListenerSettings
    private let group: any EventLoopGroup
    private let logger: Logger
    private let metricsFactory: any MetricsFactory
    private let addresses: AddressManager?
    let registry = ConnectionRegistry()

    private var listeners: [FrontendKey: Listener] = [:]
    private var pools: [PoolKey: Pool] = [:]
    /// Frontends that could not be bound, with why (logged once per distinct error).
    private(set) var failures: [FrontendKey: ServiceProxyError] = [:]
    private var loggedWarnings: Set<String> = []
    private var lastInput: (services: ClusterSnapshot.Objects, slices: ClusterSnapshot.Objects)?
    private var lastTable: UserspaceTable?

    init(node: NodeConfig, options: ServiceProxy.UserspaceOptions, group: any EventLoopGroup, logger: Logger,
         metricsFactory: any MetricsFactory, addresses: AddressManager?) {
        self.node = node
        self.options = options
        self.settings = ListenerSettings(
            connectTimeout: .nanoseconds(Int64(options.connectTimeout.components.seconds) * 1_000_000_000
                + options.connectTimeout.components.attoseconds / 1_000_000_000),
            maxConnectAttempts: max(1, options.maxConnectAttempts),
            udpIdleTimeout: .nanoseconds(Int64(options.udpIdleTimeout.components.seconds) * 1_000_000_000
                + options.udpIdleTimeout.components.attoseconds / 1_000_000_000),
            maxUDPSessions: max(1, options.maxUDPSessions),
            maxPendingUDPPackets: 16)
        self.group = group
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.addresses = addresses
    }

    /// Addresses the listeners are actually bound to (after `bindAddress` remapping).
    var boundAddresses: [FrontendKey: SocketAddress] { listeners.mapValues(\.address) }

    /// Brings listeners and pools in line with `snapshot`.
    func reconcile(_ snapshot: ClusterSnapshot) async -> SyncReport {
        let start = ContinuousClock.now
        func report(_ kind: SyncReport.Kind) -> SyncReport {
            SyncReport(kind: kind, snapshotVersion: snapshot.version, startedAt: start, finishedAt: .now,
                       servicePorts: Set(listeners.values.map(\.frontend.service)).count,
                       endpoints: lastTable?.endpointCount ?? 0, scriptBytes: 0)
        }
        guard snapshot.isSynced([.service, .endpointSlice]) else { return report(.waitingForInitialSync) }
        let input = (services: snapshot[.service], slices: snapshot[.endpointSlice])
        // Unchanged inputs: only retry frontends that failed to bind last time.
        if let lastInput, lastInput.services == input.services, lastInput.slices == input.slices, failures.isEmpty {
            return report(.unchanged)
        }
        lastInput = input
        let table = UserspaceTable(services: snapshot.services, endpointSlices: snapshot.endpointSlices, node: node)
        lastTable = table
        for w in table.warnings where !loggedWarnings.contains(w) {
            logger.warning("service not fully served", metadata: ["warning": "\(w)"])
        }
        loggedWarnings = Set(table.warnings)

        // Pools first, so listeners opened below see current endpoints; existing pools update in place.
        for (key, spec) in table.pools {
            if let pool = pools[key] {
                pool.update(spec)
            } else {
                let metrics = UserspaceMetrics(service: key.service.description, protocol: key.service.protocol.rawValue,
                                               factory: metricsFactory)
                pools[key] = Pool(key: key, spec: spec, maxAffinityEntries: options.maxAffinityEntries, metrics: metrics)
            }
        }

        // Close listeners whose frontend went away or now belongs to something else.
        for (key, listener) in listeners where table.frontends[key] != listener.frontend {
            listeners[key] = nil
            try? await listener.channel.close()
            logger.debug("closed listener", metadata: ["frontend": "\(key)", "service": "\(listener.frontend.service)"])
        }
        for key in pools.keys where table.pools[key] == nil { pools[key] = nil }
        failures = failures.filter { table.frontends[$0.key] != nil }

        for key in table.frontends.keys.sorted() where listeners[key] == nil {
            guard let frontend = table.frontends[key], let pool = pools[PoolKey(service: frontend.service, family: frontend.family)]
            else { continue }
            await open(frontend, pool: pool)
        }

        if let addresses {
            let inUse = Set(listeners.values.map(\.frontend.key.ip))
            for ip in await addresses.added where !inUse.contains(ip) { await addresses.release(ip) }
        }
        return report(.reconciled)
    }

    private func open(_ frontend: Frontend, pool: Pool) async {
        let target: ServiceProxy.BindTarget
        if let mapping = options.bindAddress {
            guard let t = mapping(frontend) else { return }
            target = t
        } else {
            target = ServiceProxy.BindTarget(host: frontend.key.ip, port: frontend.key.port)
        }
        let proto = frontend.key.protocol.rawValue
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: target.host, port: target.port)
        } catch {
            record(frontend.key, .cannotListen(address: target.host, port: target.port, protocol: proto, reason: "not an IP address"))
            return
        }
        var result = await bind(frontend, pool: pool, at: address)
        if case .failure(let error) = result, error.errnoCode == EADDRNOTAVAIL, let addresses, target.host == frontend.key.ip {
            if await addresses.ensure(frontend.key.ip) { result = await bind(frontend, pool: pool, at: address) }
        }
        switch result {
        case .success(let channel):
            let local = channel.localAddress ?? address
            listeners[frontend.key] = Listener(frontend: frontend, channel: channel, address: local)
            failures[frontend.key] = nil
            logger.debug("listening", metadata: ["frontend": "\(frontend.key)", "service": "\(frontend.service)", "address": "\(local)"])
        case .failure(let error):
            var reason = error.errnoCode.map(errnoText) ?? error.text
            if error.errnoCode == EADDRNOTAVAIL && addresses == nil {
                reason += " (not a local address; enable manageAddresses or add it to lo)"
            }
            record(frontend.key, .cannotListen(address: target.host, port: target.port, protocol: proto, reason: reason))
        }
    }

    private struct BindFailure: Error {
        var errnoCode: Int32?
        var text: String
    }

    private func bind(_ frontend: Frontend, pool: Pool, at address: SocketAddress) async -> Result<any Channel, BindFailure> {
        do {
            let channel: any Channel
            switch frontend.key.protocol {
            case .tcp:
                channel = try await TCPListener.bind(address: address, frontend: frontend, pool: pool, group: group,
                                                     settings: settings, registry: registry, logger: logger)
            case .udp:
                channel = try await UDPListener.bind(address: address, frontend: frontend, pool: pool, group: group,
                                                     settings: settings, registry: registry, logger: logger)
            }
            return .success(channel)
        } catch let error as IOError {
            return .failure(BindFailure(errnoCode: error.errnoCode, text: "\(error)"))
        } catch {
            return .failure(BindFailure(errnoCode: nil, text: "\(error)"))
        }
    }

    private func record(_ key: FrontendKey, _ error: ServiceProxyError) {
        if failures[key] != error {
            logger.warning("skipping service frontend", metadata: ["frontend": "\(key)", "error": "\(error)"])
        }
        failures[key] = error
    }

    /// Closes every listener and connection and removes the addresses this process added.
    func shutdown() async {
        for listener in listeners.values { try? await listener.channel.close() }
        listeners = [:]
        await registry.closeAll()
        await addresses?.releaseAll()
        lastInput = nil
    }
}

func errnoText(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return text.prefix(1).lowercased() + text.dropFirst()
}
