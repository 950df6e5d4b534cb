import APIServer
import ClusterClient
import Controllers
import Foundation
import KubeAPI
import Logging
import NIOHTTP1
import ServiceLifecycle
import WatchCache

extension KubeClient: ClusterWriter {}

/// Resources every data plane and controller watches.
let watchedResources: [ResourceType] = [
    .namespace, .service, .endpoints, .endpointSlice, .pod, .ingress, .ingressClass, .secret,
]

/// Lifecycle wrappers: each long-lived component is a `Service` in one `ServiceGroup`.
struct LoopService: ServiceLifecycle.Service {
    let body: @Sendable () async -> Void
    func run() async throws {
        try await cancelWhenGracefulShutdown { await body() }
    }
}

/// Debug view of the watch cache, served on the metrics listener as `/debug/cache`:
/// per resource, whether it is synced and the sorted keys with their resourceVersions.
func cacheDebugJSON(_ informer: Informer) -> JSON {
    let snap = informer.current
    var out: [String: JSON] = [:]
    for r in watchedResources {
        var items: [String: JSON] = [:]
        for (k, v) in snap[r] { items[k] = v.at("metadata", "resourceVersion") ?? .null }
        out[r.plural] = ["synced": .bool(snap.synced.contains(r)), "items": .object(items)]
    }
    return [
        "version": .int(Int64(snap.version)), "relists": .int(Int64(informer.relistCount)),
        "connected": .array(informer.connectedResources.map { .string($0.plural) }.sorted { ($0.stringValue ?? "") < ($1.stringValue ?? "") }),
        "resources": .object(out),
    ]
}
