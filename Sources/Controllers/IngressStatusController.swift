import KubeAPI
import Logging

/// Publishes the address Ferry's ingress is reached at in `status.loadBalancer.ingress` of every
/// Ingress it serves, so `kubectl get ingress` shows ADDRESS: the LoadBalancer address of the
/// publish Service when it has one (ingress-nginx's `--publish-service`), else the node address(es)
/// (`--publish-status-address`).
public final class IngressStatusController: Sendable {
    let source: any ClusterSource
    let writer: any ClusterWriter
    let logger: Logger
    let classes: Set<String>
    let addresses: [String]
    /// `namespace/name` of the publish Service, as a snapshot key.
    let publishService: String?

    public init(
        source: any ClusterSource, writer: any ClusterWriter, logger: Logger, classes: Set<String>, addresses: [String],
        publishService: String? = nil
    ) {
        self.source = source
        self.writer = writer
        self.logger = logger
        self.classes = classes
        self.addresses = addresses
        self.publishService = publishService
    }

    /// The `status.loadBalancer` to publish: the publish Service's LoadBalancer ingress entries
    /// (IPs and hostnames) if it has any, else the node addresses.
    public static func published(fallback: [String], publishService: JSON?) -> JSON {
        if let entries = publishService?.at("status", "loadBalancer", "ingress")?.arrayValue {
            let kept: [JSON] = entries.compactMap { e in
                if let ip = e["ip"]?.stringValue, !ip.isEmpty { return ["ip": .string(ip)] }
                if let host = e["hostname"]?.stringValue, !host.isEmpty { return ["hostname": .string(host)] }
                return nil
            }
            if !kept.isEmpty { return ["ingress": .array(kept)] }
        }
        return ["ingress": .array(fallback.map { ["ip": .string($0)] })]
    }

    /// Whether an Ingress is ours: its class is one we serve, or it has none and one of our classes is the default.
    public static func serves(_ ing: Ingress, classes: Set<String>, ingressClasses: [IngressClass]) -> Bool {
        if let c = ing.ingressClassName { return classes.contains(c) }
        return ingressClasses.contains { $0.isDefault && classes.contains($0.metadata.name) }
    }

    public func run() async {
        var last: ClusterSnapshot? = nil
        var retry = Set<String>()  // Ingresses whose status write failed
        for await snap in source.updates() {
            guard snap.isSynced([.ingress, .ingressClass]) else { continue }
            // Which Ingresses to look at: all of them when the classes or the published address may
            // have changed (or at the start), else only the changed ones (O(changes), not O(Ingresses)).
            var keys: [String]
            if let last, snap.changedKeys(.ingressClass, since: last).isEmpty,
                publishService.map({ !snap.changedKeys(.service, since: last).contains($0) }) ?? true
            {
                keys = Array(snap.changedKeys(.ingress, since: last).union(retry))
            } else {
                keys = Array(snap[.ingress].keys)
            }
            // Always advance: an old `last` would outgrow the change log and cost full comparisons.
            last = snap
            if keys.isEmpty { continue }
            keys.sort()
            retry = []
            let ingressClasses = snap.ingressClasses
            let want = Self.published(fallback: addresses, publishService: publishService.flatMap { snap[.service][$0] })
            for key in keys {
                guard let raw = snap[.ingress][key], raw.at("status", "loadBalancer") != want else { continue }
                let ing = Ingress(raw)
                guard Self.serves(ing, classes: classes, ingressClasses: ingressClasses) else { continue }
                var obj = raw
                obj.set(["status", "loadBalancer"], want)
                do {
                    _ = try await writer.update(.ingress, namespace: ing.metadata.namespace, name: ing.metadata.name, subresource: "status", obj)
                } catch {
                    retry.insert(key)
                    logger.info("ingress status update failed; retrying on next change", metadata: ["ingress": "\(key)", "error": "\(error)"])
                }
            }
        }
    }
}
