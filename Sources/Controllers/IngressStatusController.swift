import KubeAPI
import Logging

/// Publishes the address Ferry's ingress listens on in `status.loadBalancer.ingress` of every Ingress
/// it serves, so `kubectl get ingress` shows ADDRESS (ingress-nginx's `--publish-status-address`).
public final class IngressStatusController: Sendable {
    let source: any ClusterSource
    let writer: any ClusterWriter
    let logger: Logger
    let classes: Set<String>
    let addresses: [String]

    public init(source: any ClusterSource, writer: any ClusterWriter, logger: Logger, classes: Set<String>, addresses: [String]) {
        self.source = source
        self.writer = writer
        self.logger = logger
        self.classes = classes
        self.addresses = addresses
    }

    /// Whether an Ingress is ours: its class is one we serve, or it has none and one of our classes is the default.
    public static func serves(_ ing: Ingress, classes: Set<String>, ingressClasses: [IngressClass]) -> Bool {
        if let c = ing.ingressClassName { return classes.contains(c) }
        return ingressClasses.contains { $0.isDefault && classes.contains($0.metadata.name) }
    }

    public func run() async {
        var last: ClusterSnapshot? = nil
        for await snap in source.updates() {
            guard snap.isSynced([.ingress, .ingressClass]) else { continue }
            if let last, snap.changedKeys(.ingress, since: last).isEmpty, snap.changedKeys(.ingressClass, since: last).isEmpty { continue }
            last = snap
            let ingressClasses = snap.ingressClasses
            let want: JSON = ["ingress": .array(addresses.map { ["ip": .string($0)] })]
            for (_, raw) in snap[.ingress] {
                let ing = Ingress(raw)
                guard Self.serves(ing, classes: classes, ingressClasses: ingressClasses),
                    raw.at("status", "loadBalancer") != want
                else { continue }
                var obj = raw
                obj.set(["status", "loadBalancer"], want)
                do {
                    _ = try await writer.update(.ingress, namespace: ing.metadata.namespace, name: ing.metadata.name, subresource: "status", obj)
                } catch {
                    logger.info("ingress status update failed; retrying on next change", metadata: ["ingress": "\(ing.metadata.namespace)/\(ing.metadata.name)", "error": "\(error)"])
                }
            }
        }
    }
}
