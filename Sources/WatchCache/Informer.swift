import ClusterClient
import Foundation
import KubeAPI
import Logging
import Synchronization

/// A list/watch cache (client-go's reflector + informer in one): for each resource it lists,
/// watches from that resourceVersion, applies events, relists on `410 Gone`, and reconnects with
/// backoff. While the API is unreachable the last state stays available.
public final class Informer: ClusterSource, Sendable {
    let client: KubeClient
    let resources: [ResourceType]
    let logger: Logger
    let watchTimeout: Int

    struct State {
        var snapshot: ClusterSnapshot = {
            var s = ClusterSnapshot()
            s.lineage = UInt64.random(in: 1...UInt64.max)
            return s
        }()
        var subscribers: [Int: AsyncStream<ClusterSnapshot>.Continuation] = [:]
        var nextID = 0
        var relists = 0
        var connected: Set<ResourceType> = []
    }

    let state = Mutex(State())

    public init(client: KubeClient, resources: [ResourceType], logger: Logger, watchTimeoutSeconds: Int = 300) {
        self.client = client
        self.resources = resources
        self.logger = logger
        self.watchTimeout = watchTimeoutSeconds
    }

    public var current: ClusterSnapshot { state.withLock { $0.snapshot } }

    /// Number of full relists done after the first (e.g. on 410 Gone); for tests and metrics.
    public var relistCount: Int { state.withLock { $0.relists } }

    /// Resources whose watch is currently open.
    public var connectedResources: Set<ResourceType> { state.withLock { $0.connected } }

    public func updates() -> AsyncStream<ClusterSnapshot> {
        let (stream, cont) = AsyncStream<ClusterSnapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { st in
            let id = st.nextID
            st.nextID += 1
            st.subscribers[id] = cont
            cont.yield(st.snapshot)
            return id
        }
        cont.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    func publish(_ mutate: (inout ClusterSnapshot) -> Void) {
        state.withLock { st in
            mutate(&st.snapshot)
            st.snapshot.version += 1
            for c in st.subscribers.values { c.yield(st.snapshot) }
        }
    }

    /// Runs every resource's list/watch loop until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for r in resources {
                group.addTask { await self.loop(r) }
            }
        }
        state.withLock { st in
            for c in st.subscribers.values { c.finish() }
        }
    }

    func loop(_ r: ResourceType) async {
        var backoff = 0.2
        var rv: String? = nil
        var firstList = true
        while !Task.isCancelled {
            do {
                if rv == nil {
                    let (items, listRV) = try await client.list(r)
                    var fresh = ClusterSnapshot.Objects()
                    for i in items { fresh[ClusterSnapshot.key(of: i)] = i }
                    publish { s in
                        s.record(r, key: nil)
                        s.objects[r] = fresh
                        s.synced.insert(r)
                    }
                    if !firstList { state.withLock { $0.relists += 1 } }
                    firstList = false
                    rv = listRV
                }
                state.withLock { _ = $0.connected.insert(r) }
                backoff = 0.2
                try await client.watch(r, resourceVersion: rv!, timeoutSeconds: watchTimeout) { ev in
                    let newRV = ev.object.at("metadata", "resourceVersion")?.stringValue
                    switch ev.type {
                    case "ADDED", "MODIFIED":
                        let key = ClusterSnapshot.key(of: ev.object)
                        self.publish {
                            $0.record(r, key: key)
                            $0.objects[r, default: [:]][key] = ev.object
                        }
                    case "DELETED":
                        let key = ClusterSnapshot.key(of: ev.object)
                        self.publish {
                            $0.record(r, key: key)
                            $0.objects[r, default: [:]][key] = nil
                        }
                    default:
                        break  // BOOKMARK: only the resourceVersion moves.
                    }
                    if let newRV { rv = newRV }
                }
                state.withLock { _ = $0.connected.remove(r) }
            } catch let e as KubeClientError where e.isGone {
                logger.info("watch expired, relisting", metadata: ["resource": "\(r.plural)", "error": "\(e)"])
                state.withLock { _ = $0.connected.remove(r) }
                rv = nil
            } catch {
                state.withLock { _ = $0.connected.remove(r) }
                if Task.isCancelled { return }
                logger.debug("list/watch failed, retrying", metadata: ["resource": "\(r.plural)", "error": "\(error)", "backoff": "\(backoff)"])
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 10)
            }
        }
    }
}
