import ClusterClient
import DNS
import Foundation
import KubeAPI
import Logging
import ServiceLifecycle

/// Puts Ferry's own DNS behind the `kube-system/kube-dns` Service the way CoreDNS is: a Pod
/// labelled `k8s-app: kube-dns` whose IP is the node address Ferry's DNS listens on (port 53).
/// The EndpointSlice controller then lists it for kube-dns, and the service proxy carries the
/// kube-dns ClusterIP to it. The Pod is Ready while the cluster zone is synced, and deleted on a
/// clean shutdown. Only `ferry server` does this; real clusters have their own DNS pods.
struct DNSPodService: ServiceLifecycle.Service {
    let client: KubeClient
    let dns: DNSServer
    let podIP: String
    let logger: Logger

    static let namespace = "kube-system"

    var name: String {
        let host = ProcessInfo.processInfo.hostName.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        return "ferry-dns-" + String(String(host).trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(40))
    }

    func run() async throws {
        let pod: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": [
                "name": .string(name), "namespace": .string(Self.namespace),
                "labels": ["k8s-app": "kube-dns", "app.kubernetes.io/managed-by": "ferry"],
                "annotations": ["ferry.dev/local-process": "true"],
            ],
            "spec": [
                "nodeName": .string(ProcessInfo.processInfo.hostName), "restartPolicy": "Always", "dnsPolicy": "Default",
                "containers": [[
                    "name": "dns", "image": "ferry.dev/dns",
                    "ports": [
                        ["name": "dns", "containerPort": 53, "protocol": "UDP"],
                        ["name": "dns-tcp", "containerPort": 53, "protocol": "TCP"],
                    ],
                ]],
            ],
        ]
        // A Pod left by an unclean stop (kill -9) is replaced.
        try? await client.delete(.pod, namespace: Self.namespace, name: name)
        let created: JSON
        do { created = try await client.create(.pod, namespace: Self.namespace, pod) } catch {
            logger.warning("cannot register the DNS pod; the kube-dns ClusterIP will not reach Ferry's DNS", metadata: ["error": "\(error)"])
            return
        }
        logger.info("dns pod registered for kube-dns", metadata: ["pod": "\(Self.namespace)/\(name)", "ip": "\(podIP)"])
        let reporter = PodStatusReporter(client: client, pod: created, podIP: podIP, logger: logger)
        await reporter.set(ready: false)
        let dns = self.dns
        _ = try? await cancelWhenGracefulShutdown {
            var ready = false
            while !Task.isCancelled {
                if dns.isReady != ready {
                    ready.toggle()
                    await reporter.set(ready: ready)
                }
                try? await Task.sleep(for: .milliseconds(ready ? 1000 : 100))
            }
        }
        try? await client.delete(.pod, namespace: Self.namespace, name: name)
    }
}
