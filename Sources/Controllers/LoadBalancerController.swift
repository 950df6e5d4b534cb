import Foundation
import KubeAPI
import Logging

/// Writes `status.loadBalancer.ingress` for LoadBalancer Services from `LoadBalancerLogic`'s plan,
/// clears it when a Service stops being ours, and records a Warning Event when none is free.
public final class LoadBalancerController: Sendable {
    let source: any ClusterSource
    let writer: any ClusterWriter
    let logger: Logger
    let pool: LoadBalancerLogic.Pool?
    let nodeIPs: [String]

    public init(source: any ClusterSource, writer: any ClusterWriter, logger: Logger, pool: LoadBalancerLogic.Pool?, nodeIPs: [String]) {
        self.source = source
        self.writer = writer
        self.logger = logger
        self.pool = pool
        self.nodeIPs = nodeIPs
    }

    public func run() async {
        var warned: [String: String] = [:]  // service key -> uid it was warned for
        var written: [String: [String]] = [:]  // what we last wrote, until the cache shows it
        var last: ClusterSnapshot? = nil
        // Keys of the Services that concern us: LoadBalancers and those still holding an address.
        // Kept from each snapshot's changed keys, so a change costs O(changes + these), not O(all Services).
        var relevant = Set<String>()
        func concernsUs(_ obj: JSON?) -> Bool {
            guard let obj else { return false }
            return obj.at("spec", "type")?.stringValue == "LoadBalancer" || obj.at("status", "loadBalancer", "ingress") != nil
        }
        for await snap in source.updates() {
            guard snap.isSynced([.service]) else { continue }
            let changed = last.map { snap.changedKeys(.service, since: $0) }
            // Advance `last` on every snapshot, even one without Service changes: measuring from an
            // old snapshot would outgrow the change log and cost a full comparison each time.
            last = snap
            if let changed {
                if changed.isEmpty { continue }
                for k in changed {
                    if concernsUs(snap[.service][k]) { relevant.insert(k) } else { relevant.remove(k) }
                }
            } else {
                relevant = Set(snap[.service].filter { concernsUs($0.value) }.keys)
            }
            let services = relevant.sorted().compactMap { snap[.service][$0] }.map(Service.init)
            var planInput = services
            // Our own recent writes count as held, so a stale cache cannot double-assign.
            for i in planInput.indices {
                let k = "\(planInput[i].metadata.namespace)/\(planInput[i].metadata.name)"
                if let w = written[k] {
                    if planInput[i].loadBalancerIngressIPs == w { written[k] = nil } else { planInput[i].loadBalancerIngressIPs = w }
                }
            }
            let plan = LoadBalancerLogic.plan(planInput, pool: pool, nodeIPs: nodeIPs)
            for s in planInput {
                let key = "\(s.metadata.namespace)/\(s.metadata.name)"
                guard let raw = snap[.service][key] else { continue }
                let current = Service(raw).loadBalancerIngressIPs
                let want: [String]
                switch plan[key] {
                case .assigned(let ips)?:
                    want = ips
                case .pending(let reason)?:
                    want = []
                    if warned[key] != s.metadata.uid {
                        warned[key] = s.metadata.uid
                        await event(for: s, reason: "AllocationFailed", message: "Failed to allocate IP for \"\(key)\": \(reason)")
                    }
                case nil:
                    // Not ours (other type/class): clear only what looks like ours.
                    if s.type != "LoadBalancer" && !current.isEmpty {
                        want = []
                    } else {
                        continue
                    }
                }
                if current == want { continue }
                var obj = raw
                obj.set(["status", "loadBalancer"], want.isEmpty ? .object([:]) : ["ingress": .array(want.map { ["ip": .string($0), "ipMode": "VIP"] })])
                do {
                    _ = try await writer.update(.service, namespace: s.metadata.namespace, name: s.metadata.name, subresource: "status", obj)
                    written[key] = want
                    if !want.isEmpty { warned[key] = nil }
                } catch {
                    logger.info("loadbalancer status update failed; retrying on next change", metadata: ["service": "\(key)", "error": "\(error)"])
                }
            }
            // Forget Services that are gone.
            for k in written.keys where snap[.service][k] == nil { written[k] = nil }
            for k in warned.keys where snap[.service][k] == nil { warned[k] = nil }
        }
    }

    func event(for s: Service, reason: String, message: String) async {
        let ev = warningEvent(
            about: ("v1", "Service", s.metadata.namespace, s.metadata.name, s.metadata.uid),
            reason: reason, message: message, component: "ferry-lb-controller")
        do { _ = try await writer.create(.event, namespace: s.metadata.namespace, ev) } catch {
            logger.debug("event create failed", metadata: ["error": "\(error)"])
        }
    }
}
