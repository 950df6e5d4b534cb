import KubeAPI
import Logging
import ProxyRules

/// What one sync of a data plane did; handed to `ServiceProxy.Configuration.onSync` so callers can
/// measure watch-event-to-rules latency (compare `snapshotVersion`/`finishedAt` with when they
/// published that snapshot).
public struct SyncReport: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// nftables: the whole ruleset was replaced in one transaction (startup, after a failure).
        case full
        /// nftables: only the difference to the previously applied ruleset was applied.
        case partial
        /// Nothing changed that the data plane cares about; nothing was applied.
        case unchanged
        /// Services and EndpointSlices have not completed their initial list; nothing was programmed.
        case waitingForInitialSync
        /// userspace: listeners and endpoint lists were reconciled.
        case reconciled
        /// The sync failed (one line); nftables mode retries with a full sync.
        case failed(String)
    }

    public var kind: Kind
    /// `ClusterSnapshot.version` of the state that was programmed.
    public var snapshotVersion: Int
    public var startedAt: ContinuousClock.Instant
    public var finishedAt: ContinuousClock.Instant
    /// Service ports programmed after this sync (per IP family in nftables mode).
    public var servicePorts: Int
    /// Endpoints (nftables: DNAT targets; userspace: ready backends) programmed after this sync.
    public var endpoints: Int
    /// Size of the nft transaction sent (0 when none was).
    public var scriptBytes: Int

    public var duration: Duration { startedAt.duration(to: finishedAt) }
}

/// The nftables data plane's sync loop state, kube-proxy style: full sync first, then render + `diff`
/// against an in-memory mirror of what the kernel holds and apply only the difference; any failed
/// transaction invalidates the mirror so the next sync is full. Owned by one task (`ServiceProxy.run`),
/// so it needs no locking.
struct NFTablesSyncer {
    let node: NodeConfig
    let applier: any RuleApplier
    let conntrack: ConntrackCleaner
    let metrics: SyncMetrics
    let logger: Logger

    /// What the kernel holds, as far as we know; nil means unknown, so the next sync is full.
    private(set) var applied: Ruleset?
    /// The last ruleset that was live in the kernel, kept across failures for conntrack cleanup.
    private var lastLive: Ruleset?
    /// Service and EndpointSlice objects of the last programmed snapshot, to skip rendering when only
    /// unrelated resources changed.
    private var lastInput: (services: ClusterSnapshot.Objects, slices: ClusterSnapshot.Objects)?
    /// Warnings already logged, so a bad Service is reported once rather than on every sync.
    private var loggedWarnings: Set<RenderWarning> = []
    /// Re-renders only the Services that changed since the last snapshot.
    private var maintainer: RulesetMaintainer

    init(node: NodeConfig, applier: any RuleApplier, conntrack: ConntrackCleaner, metrics: SyncMetrics, logger: Logger) {
        self.node = node
        self.applier = applier
        self.conntrack = conntrack
        self.metrics = metrics
        self.logger = logger
        maintainer = RulesetMaintainer(node: node)
    }

    /// Whether the next sync will be a full one.
    var needsFullSync: Bool { applied == nil }

    /// Programs `snapshot`; never throws (failures are reported and retried as a full sync).
    mutating func sync(_ snapshot: ClusterSnapshot) async -> SyncReport {
        let start = ContinuousClock.now
        func report(_ kind: SyncReport.Kind, _ r: Ruleset?, bytes: Int = 0) -> SyncReport {
            SyncReport(kind: kind, snapshotVersion: snapshot.version, startedAt: start, finishedAt: .now,
                       servicePorts: r.map(Self.servicePortCount) ?? 0,
                       endpoints: r.map { $0.tables.reduce(0) { $0 + $1.sections.reduce(0) { $0 + $1.dnatTargets.count } } } ?? 0,
                       scriptBytes: bytes)
        }
        // Programming an empty ruleset before the first list completes would blackhole every Service
        // on restart; kube-proxy waits too.
        guard snapshot.isSynced([.service, .endpointSlice]) else { return report(.waitingForInitialSync, applied) }
        let input = (services: snapshot[.service], slices: snapshot[.endpointSlice])
        if let applied, let lastInput, lastInput.services == input.services, lastInput.slices == input.slices {
            return report(.unchanged, applied)
        }

        let ruleset = maintainer.apply(snapshot)
        for w in ruleset.warnings where !loggedWarnings.contains(w) {
            logger.warning("service not fully programmed", metadata: ["warning": "\(w)"])
        }
        loggedWarnings = Set(ruleset.warnings)

        let full = applied == nil
        let script = applied.map { diff(from: $0, to: ruleset) } ?? ruleset.fullSyncScript
        if script.isEmpty {
            lastInput = input
            return report(.unchanged, ruleset)
        }
        do {
            try await applier.apply(script: script)
        } catch {
            applied = nil
            metrics.failures.increment()
            logger.error("nftables sync failed; next sync is a full one", metadata: [
                "error": "\(error)", "full": "\(full)", "version": "\(snapshot.version)",
            ])
            return report(.failed("\(error)"), nil, bytes: script.utf8.count)
        }
        let previous = lastLive
        applied = ruleset
        lastLive = ruleset
        lastInput = input
        let finished = ContinuousClock.now
        metrics.recordSync(full: full, duration: start.duration(to: finished))
        let result = report(full ? .full : .partial, ruleset, bytes: script.utf8.count)
        metrics.servicePorts.record(result.servicePorts)
        metrics.endpoints.record(result.endpoints)
        logger.log(level: full ? .info : .debug, "nftables rules synced", metadata: [
            "kind": full ? "full" : "partial", "bytes": "\(script.utf8.count)", "version": "\(snapshot.version)",
            "duration": "\(result.duration)",
        ])
        // Conntrack cleanup runs after the new rules are live, or new packets would recreate the entries.
        if let previous {
            let deleted = await conntrack.flush(conntrackFlushTargets(old: previous, new: ruleset), logger: logger)
            if deleted > 0 { metrics.conntrackDeletes.increment(by: deleted) }
        }
        return result
    }

    /// Deletes Ferry's tables (both families), and nothing else. Safe when they do not exist.
    mutating func deleteTables() async throws {
        applied = nil
        try await applier.apply(script: Self.deleteTablesScript(tableName: node.tableName))
    }

    /// `add` first so that `delete` cannot fail on a missing table; one transaction.
    static func deleteTablesScript(tableName: String) -> String {
        IPFamily.allCases.map { "add table \($0.nft) \(tableName)\ndelete table \($0.nft) \(tableName)\n" }.joined()
    }

    static func servicePortCount(_ r: Ruleset) -> Int {
        r.tables.reduce(0) { $0 + $1.sections.count { $0.title != nil } }
    }
}
