import KubeAPI

extension APIHandler {
    /// Creates what a fresh cluster has: the four system namespaces, `default/kubernetes` at the
    /// first service address (443 → the API port) and `kube-system/kube-dns` at the tenth.
    public func ensureClusterDefaults() async throws {
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"]
        where store.get(ResourceType.namespace.key(namespace: nil, name: ns)) == nil {
            let obj: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]
            _ = try await createObject(obj, .namespace, namespace: nil, manager: "kube-apiserver", dryRun: false, managedFieldsPreset: false)
        }
        if store.get(ResourceType.ingressClass.key(namespace: nil, name: "ferry")) == nil {
            let cls: JSON = [
                "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                "metadata": ["name": "ferry", "annotations": ["ingressclass.kubernetes.io/is-default-class": "true"]],
                "spec": ["controller": "ferry.dev/ingress"],
            ]
            _ = try await createObject(cls, .ingressClass, namespace: nil, manager: "ferry", dryRun: false, managedFieldsPreset: false)
        }
        if store.get(ResourceType.service.key(namespace: "default", name: "kubernetes")) == nil,
            let ip = allocations.reservedAddress(offset: 1)
        {
            let svc: JSON = [
                "apiVersion": "v1", "kind": "Service",
                "metadata": [
                    "name": "kubernetes", "namespace": "default",
                    "labels": ["component": "apiserver", "provider": "kubernetes"],
                ],
                "spec": [
                    "type": "ClusterIP", "clusterIP": .string(ip), "clusterIPs": [.string(ip)],
                    "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(Int64(config.apiPort))]],
                    "sessionAffinity": "None",
                ],
            ]
            _ = try await createObject(svc, .service, namespace: "default", manager: "kube-apiserver", dryRun: false, managedFieldsPreset: false)
        }
        if store.get(ResourceType.service.key(namespace: "kube-system", name: "kube-dns")) == nil,
            let ip = allocations.reservedAddress(offset: 10)
        {
            let svc: JSON = [
                "apiVersion": "v1", "kind": "Service",
                "metadata": [
                    "name": "kube-dns", "namespace": "kube-system",
                    "labels": ["k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"],
                    "annotations": ["prometheus.io/port": "9153", "prometheus.io/scrape": "true"],
                ],
                "spec": [
                    "type": "ClusterIP", "clusterIP": .string(ip), "clusterIPs": [.string(ip)],
                    "selector": ["k8s-app": "kube-dns"],
                    "ports": [
                        ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53],
                        ["name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53],
                        ["name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153],
                    ],
                ],
            ]
            _ = try await createObject(svc, .service, namespace: "kube-system", manager: "kube-apiserver", dryRun: false, managedFieldsPreset: false)
        }
    }
}
