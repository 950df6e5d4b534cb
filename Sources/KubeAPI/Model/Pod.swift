/// A typed view of the parts of a core/v1 Pod that Services, DNS and the proxy use.
public struct Pod: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var hostname: String
    public var subdomain: String
    public var nodeName: String
    public var containerPorts: [ContainerPort]
    public var phase: String
    public var podIPs: [String]
    public var ready: Bool
    /// DNS policy and search config matter to autopath.
    public var dnsPolicy: String

    public struct ContainerPort: Sendable, Hashable {
        public var name: String
        public var containerPort: Int
        public var `protocol`: String
    }

    public init(_ j: JSON) {
        metadata = ObjectMeta(j["metadata"])
        let spec = j["spec"] ?? .object([:])
        hostname = spec["hostname"]?.stringValue ?? ""
        subdomain = spec["subdomain"]?.stringValue ?? ""
        nodeName = spec["nodeName"]?.stringValue ?? ""
        dnsPolicy = spec["dnsPolicy"]?.stringValue ?? "ClusterFirst"
        var ports: [ContainerPort] = []
        for c in spec["containers"]?.arrayValue ?? [] {
            for p in c["ports"]?.arrayValue ?? [] {
                ports.append(
                    ContainerPort(
                        name: p["name"]?.stringValue ?? "", containerPort: Int(p["containerPort"]?.intValue ?? 0),
                        protocol: p["protocol"]?.stringValue ?? "TCP"))
            }
        }
        containerPorts = ports
        let status = j["status"] ?? .object([:])
        phase = status["phase"]?.stringValue ?? ""
        var ips = (status["podIPs"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        if ips.isEmpty, let ip = status["podIP"]?.stringValue, !ip.isEmpty { ips = [ip] }
        podIPs = ips
        ready = (status["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        }
    }
}
