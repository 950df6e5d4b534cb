import CoreMetrics
import KubeAPI
import Logging
import NIOCore
import NIOPosix
import ProxyRules
import ServiceLifecycle
import Synchronization

/// Ferry's kube-proxy: programs Services from a `ClusterSource` into either nftables rules (kernel DNAT,
/// kube-proxy's nftables mode) or userspace NIO TCP/UDP proxies. Call `bind()` once, then `run()` until
/// cancellation (or graceful shutdown when run inside a ServiceLifecycle `ServiceGroup`).
public final class ServiceProxy: Sendable {
    /// Which data plane carries Service traffic.
    public enum Mode: String, Sendable, CaseIterable {
        /// Kernel DNAT through `nft` (needs CAP_NET_ADMIN and nftables).
        case nftables
        /// NIO listeners on each Service address that relay TCP and UDP to endpoints.
        case userspace
    }

    /// Where a userspace listener binds instead of the frontend's own address.
    public struct BindTarget: Sendable, Hashable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// nftables-mode settings.
    public struct NFTablesOptions: Sendable {
        /// Delete Ferry's tables (`ip`/`ip6` `<tableName>`, nothing else) when `run()` ends. Services
        /// stop working when Ferry stops; keep false to leave the rules in place across restarts.
        public var deleteTablesOnShutdown: Bool = true
        /// `nft` binary; nil finds it in /usr/sbin, /sbin, /usr/bin, /bin.
        public var nftPath: String?
        /// `conntrack` binary; nil finds it the same way (UDP cleanup is skipped with a log line if absent).
        public var conntrackPath: String?
        /// Send transactions over an nf_tables netlink socket (`NetlinkApplier`), with the `nft` CLI
        /// for scripts it cannot translate; false uses the CLI for everything.
        public var netlink: Bool = true

        public init(deleteTablesOnShutdown: Bool = true, nftPath: String? = nil, conntrackPath: String? = nil, netlink: Bool = true) {
            self.deleteTablesOnShutdown = deleteTablesOnShutdown
            self.nftPath = nftPath
            self.conntrackPath = conntrackPath
            self.netlink = netlink
        }
    }

    /// userspace-mode settings.
    public struct UserspaceOptions: Sendable {
        /// Add Service addresses that are not local yet to `lo` (`ip addr add <vip>/32 dev lo`) before
        /// binding them, and remove them again when no longer used. Off: such frontends are skipped with
        /// a warning.
        public var manageAddresses: Bool = false
        /// `ip` binary for `manageAddresses`; nil finds it in the system directories.
        public var ipPath: String?
        /// Maps a frontend to the address to bind (nil result: do not serve that frontend). Nil binds
        /// each frontend's own address. Tests map VIPs to 127.0.0.1:0.
        public var bindAddress: (@Sendable (Frontend) -> BindTarget?)?
        /// Per-attempt TCP connect timeout towards an endpoint.
        public var connectTimeout: Duration = .seconds(2)
        /// Endpoints tried for one TCP connection before giving up.
        public var maxConnectAttempts: Int = 3
        /// A UDP session with no traffic either way for this long is closed.
        public var udpIdleTimeout: Duration = .seconds(60)
        /// UDP sessions per listener; the least recently active one is evicted beyond this.
        public var maxUDPSessions: Int = 4096
        /// ClientIP affinity entries per Service port and family.
        public var maxAffinityEntries: Int = 65_536
        /// Make `bind()` throw when a frontend of the initial snapshot cannot be bound (otherwise it is
        /// logged and retried on each snapshot).
        public var requireAllListeners: Bool = false

        public init() {}
    }

    /// Everything the proxy is configured with.
    public struct Configuration: Sendable {
        public var mode: Mode
        /// Node settings (node name and IPs, families, pod/service CIDRs, allowed external IPs, table name).
        public var node: NodeConfig
        public var nftables = NFTablesOptions()
        public var userspace = UserspaceOptions()
        /// After a failed sync, retry (as a full sync) this long later if no new snapshot arrives first.
        public var retryInterval: Duration = .seconds(1)
        /// Called after every sync with what it did and how long it took.
        public var onSync: (@Sendable (SyncReport) -> Void)?

        public init(mode: Mode, node: NodeConfig) {
            self.mode = mode
            self.node = node
        }
    }

    private let configuration: Configuration
    private let source: any ClusterSource
    private let logger: Logger
    private let runner: any CommandRunner
    private let applierOverride: (any RuleApplier)?
    private let group: any EventLoopGroup
    private let metricsFactory: any MetricsFactory
    private let userspace: UserspaceDataPlane?

    /// - Parameters:
    ///   - applier: nftables mode's rule applier; nil uses `NFTApplier` (`nft -f -`).
    ///   - commandRunner: runs `nft`, `conntrack` and `ip`.
    ///   - eventLoopGroup: userspace mode's event loops.
    ///   - metricsFactory: nil uses the bootstrapped `MetricsSystem.factory`.
    public init(configuration: Configuration, source: any ClusterSource, logger: Logger,
                applier: (any RuleApplier)? = nil, commandRunner: any CommandRunner = SpawnCommandRunner(),
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                metricsFactory: (any MetricsFactory)? = nil) {
        self.configuration = configuration
        self.source = source
        self.logger = logger
        self.runner = commandRunner
        self.applierOverride = applier
        self.group = eventLoopGroup
        let factory = metricsFactory ?? MetricsSystem.factory
        self.metricsFactory = factory
        if configuration.mode == .userspace {
            var addresses: AddressManager?
            if configuration.userspace.manageAddresses {
                if let ip = configuration.userspace.ipPath ?? findExecutable("ip") {
                    addresses = AddressManager(ipPath: ip, runner: commandRunner, logger: logger)
                } else {
                    logger.warning("manageAddresses is on but `ip` was not found; service addresses will not be added")
                }
            }
            userspace = UserspaceDataPlane(node: configuration.node, options: configuration.userspace, group: eventLoopGroup,
                                           logger: logger, metricsFactory: factory, addresses: addresses)
        } else {
            userspace = nil
        }
    }

    /// nftables: checks that `nft` is available. userspace: opens the listeners of the current snapshot
    /// (if Services and EndpointSlices are synced); with `requireAllListeners`, throws the first
    /// `ServiceProxyError.cannotListen`.
    public func bind() async throws {
        switch configuration.mode {
        case .nftables:
            _ = try makeApplier()
        case .userspace:
            guard let userspace else { return }
            logAddressStrategy()
            let report = await userspace.reconcile(source.current)
            configuration.onSync?(report)
            if configuration.userspace.requireAllListeners,
                let first = await userspace.failures.sorted(by: { $0.key < $1.key }).first {
                throw first.value
            }
        }
    }

    /// Programs every snapshot until cancelled (or graceful shutdown), then cleans up: nftables mode
    /// deletes Ferry's tables (if configured), userspace mode closes listeners and connections and
    /// removes the addresses it added.
    public func run() async throws {
        switch configuration.mode {
        case .nftables:
            let applier = try makeApplier()
            var syncer = NFTablesSyncer(
                node: configuration.node, applier: applier,
                conntrack: ConntrackCleaner(conntrackPath: configuration.nftables.conntrackPath ?? findExecutable("conntrack"), runner: runner),
                metrics: SyncMetrics(factory: metricsFactory), logger: logger)
            await syncLoop { await syncer.sync($0) }
            if configuration.nftables.deleteTablesOnShutdown {
                do {
                    try await syncer.deleteTables()
                    logger.info("deleted nftables tables", metadata: ["table": "\(configuration.node.tableName)"])
                } catch {
                    logger.error("cannot delete nftables tables", metadata: ["error": "\(error)"])
                }
            }
        case .userspace:
            guard let userspace else { return }
            await syncLoop { await userspace.reconcile($0) }
            await userspace.shutdown()
        }
    }

    /// userspace mode: the address each listener is bound to, by frontend (for tests and diagnostics).
    public func listenerAddresses() async -> [FrontendKey: SocketAddress] {
        await userspace?.boundAddresses ?? [:]
    }

    /// userspace mode: frontends that could not be bound and why.
    public func listenerFailures() async -> [FrontendKey: ServiceProxyError] {
        await userspace?.failures ?? [:]
    }

    private func makeApplier() throws -> any RuleApplier {
        if let applierOverride { return applierOverride }
        let cli = try NFTApplier(nftPath: configuration.nftables.nftPath, runner: runner)
        guard configuration.nftables.netlink else {
            logger.info("nftables: applying rules with the nft CLI")
            return cli
        }
        do {
            let applier = try NetlinkApplier(fallback: cli)
            logger.info("nftables: applying rules over netlink (nft CLI for scripts netlink cannot express)")
            return applier
        } catch {
            logger.warning("nftables: netlink unavailable, applying rules with the nft CLI", metadata: ["error": "\(error)"])
            return cli
        }
    }

    private func logAddressStrategy() {
        if configuration.userspace.bindAddress != nil {
            logger.info("userspace proxy: binding remapped addresses (bindAddress set)")
        } else if configuration.userspace.manageAddresses {
            logger.info("userspace proxy: binding service addresses, adding missing ones to lo")
        } else {
            logger.info("userspace proxy: binding service addresses that are already local; others are skipped")
        }
    }

    /// Calls `sync` with the newest snapshot whenever the source publishes one (coalescing: a slow sync
    /// never queues more than one follow-up), and once more `retryInterval` after a failed sync.
    private func syncLoop(_ sync: (ClusterSnapshot) async -> SyncReport) async {
        let (triggers, trigger) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let source = self.source
        let retry = configuration.retryInterval
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in source.updates() { trigger.yield() }
            }
            trigger.yield()
            for await _ in triggers.cancelOnGracefulShutdown() {
                let report = await sync(source.current)
                configuration.onSync?(report)
                if case .failed = report.kind {
                    group.addTask {
                        try? await Task.sleep(for: retry)
                        trigger.yield()
                    }
                }
            }
            group.cancelAll()
        }
    }
}
