import KubeAPI

@testable import ProxyRules

// Conventions (kube-proxy's nftables tests use the same, so chain hashes can be checked against theirs):
// pod IPs 10.0.0.0/8, ClusterIPs 172.30.0.0/16, this node "node-a" at 192.168.0.2,
// allowed external IPs 192.168.99.0/24, LB IPs 1.2.3.4 / 5.6.7.8, external clients 203.0.113.0/24.

enum Fixtures {
    static func node(
        families: [IPFamily] = [.ipv4], allowedExternalIPs: [String] = ["192.168.99.0/24"], masqueradeAll: Bool = false
    ) -> NodeConfig {
        // Force-unwrapping is fine here: these literals are the fixture, and a typo should fail loudly.
        try! NodeConfig(
            nodeName: "node-a", nodeIPs: ["192.168.0.2", "2001:db8::2"], families: families,
            podCIDRs: ["10.0.0.0/8", "fd00:10::/64"], serviceCIDRs: ["172.30.0.0/16", "fd00:30::/112"],
            allowedExternalIPCIDRs: allowedExternalIPs, masqueradeAll: masqueradeAll)
    }

    /// A Service decoded from JSON the way the API server hands it over.
    static func service(
        _ ns: String, _ name: String, type: String = "ClusterIP", clusterIPs: [String], ports: [JSON],
        spec extra: [String: JSON] = [:], lbIngress: [String] = []
    ) -> Service {
        Service(serviceJSON(ns, name, type: type, clusterIPs: clusterIPs, ports: ports, spec: extra, lbIngress: lbIngress))
    }

    static func serviceJSON(
        _ ns: String, _ name: String, type: String = "ClusterIP", clusterIPs: [String], ports: [JSON],
        spec extra: [String: JSON] = [:], lbIngress: [String] = []
    ) -> JSON {
        var spec: [String: JSON] = [
            "type": .string(type), "clusterIP": .string(clusterIPs.first ?? ""),
            "clusterIPs": .array(clusterIPs.map { .string($0) }), "ports": .array(ports),
        ]
        for (k, v) in extra { spec[k] = v }
        var obj: JSON = ["metadata": ["namespace": .string(ns), "name": .string(name)], "spec": .object(spec)]
        if !lbIngress.isEmpty {
            obj["status"] = ["loadBalancer": ["ingress": .array(lbIngress.map { ["ip": .string($0)] })]]
        }
        return obj
    }

    static func port(_ name: String, _ port: Int, proto: String = "TCP", nodePort: Int? = nil) -> JSON {
        var p: JSON = ["name": .string(name), "port": .int(Int64(port)), "protocol": .string(proto)]
        if let nodePort { p["nodePort"] = .int(Int64(nodePort)) }
        return p
    }

    static func slice(
        _ ns: String, _ svc: String, name: String? = nil, addressType: String = "IPv4",
        ports: [(name: String, port: Int, proto: String)], endpoints: [Endpoint]
    ) -> EndpointSlice {
        EndpointSlice(
            metadata: ObjectMeta(name: name ?? "\(svc)-abc", namespace: ns, labels: ["kubernetes.io/service-name": svc]),
            addressType: addressType, endpoints: endpoints,
            ports: ports.map { EndpointPort(name: $0.name, protocol: $0.proto, port: $0.port) })
    }

    static func ep(_ ip: String, node: String? = nil, ready: Bool = true, serving: Bool = true, terminating: Bool = false)
        -> Endpoint
    {
        Endpoint(addresses: [ip], ready: ready, serving: serving, terminating: terminating, nodeName: node)
    }

    static func render(_ services: [Service], _ slices: [EndpointSlice], node: NodeConfig = node()) -> Ruleset {
        ProxyRules.render(ProxySnapshot(services: services, endpointSlices: slices, node: node))
    }

    /// The rendered text after the base section (which `baseIPv4` pins separately).
    static func serviceText(_ r: Ruleset, _ family: IPFamily = .ipv4) -> String {
        guard let t = r.table(family) else { return "<no table>" }
        return t.sections.dropFirst().map { $0.lines(prefix: t.prefix).joined(separator: "\n") + "\n" }
            .joined(separator: "\n")
    }
}
