/// A typed, read-only view of a core/v1 Service (what controllers and data planes need).
public struct Service: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var type: String
    public var selector: [String: String]?
    public var clusterIP: String
    public var clusterIPs: [String]
    public var ipFamilies: [String]
    public var ports: [ServicePort]
    public var externalName: String
    public var externalIPs: [String]
    public var loadBalancerIP: String
    public var loadBalancerClass: String?
    public var loadBalancerSourceRanges: [String]
    public var loadBalancerIngressIPs: [String]
    public var sessionAffinity: String
    public var sessionAffinityTimeoutSeconds: Int
    public var externalTrafficPolicy: String
    public var internalTrafficPolicy: String
    public var publishNotReadyAddresses: Bool
    public var healthCheckNodePort: Int

    public var isHeadless: Bool { clusterIP == "None" }

    public init(_ j: JSON) {
        metadata = ObjectMeta(j["metadata"])
        let spec = j["spec"] ?? .object([:])
        type = spec["type"]?.stringValue ?? "ClusterIP"
        selector = spec["selector"]?.objectValue?.compactMapValues(\.stringValue)
        clusterIP = spec["clusterIP"]?.stringValue ?? ""
        clusterIPs = (spec["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        if clusterIPs.isEmpty && !clusterIP.isEmpty { clusterIPs = [clusterIP] }
        ipFamilies = (spec["ipFamilies"]?.arrayValue ?? []).compactMap(\.stringValue)
        ports = (spec["ports"]?.arrayValue ?? []).map(ServicePort.init)
        externalName = spec["externalName"]?.stringValue ?? ""
        externalIPs = (spec["externalIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        loadBalancerIP = spec["loadBalancerIP"]?.stringValue ?? ""
        loadBalancerClass = spec["loadBalancerClass"]?.stringValue
        loadBalancerSourceRanges = (spec["loadBalancerSourceRanges"]?.arrayValue ?? []).compactMap(\.stringValue)
        loadBalancerIngressIPs = (j.at("status", "loadBalancer", "ingress")?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        sessionAffinity = spec["sessionAffinity"]?.stringValue ?? "None"
        sessionAffinityTimeoutSeconds = Int(spec.at("sessionAffinityConfig", "clientIP", "timeoutSeconds")?.intValue ?? 10800)
        externalTrafficPolicy = spec["externalTrafficPolicy"]?.stringValue ?? "Cluster"
        internalTrafficPolicy = spec["internalTrafficPolicy"]?.stringValue ?? "Cluster"
        publishNotReadyAddresses = spec["publishNotReadyAddresses"]?.boolValue ?? false
        healthCheckNodePort = Int(spec["healthCheckNodePort"]?.intValue ?? 0)
    }
}

public struct ServicePort: Sendable, Hashable {
    public var name: String
    public var `protocol`: String
    public var port: Int
    public var targetPort: IntOrString
    public var nodePort: Int
    public var appProtocol: String?

    public init(name: String = "", protocol: String = "TCP", port: Int, targetPort: IntOrString? = nil, nodePort: Int = 0, appProtocol: String? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort ?? .int(port)
        self.nodePort = nodePort
        self.appProtocol = appProtocol
    }

    public init(_ j: JSON) {
        name = j["name"]?.stringValue ?? ""
        `protocol` = j["protocol"]?.stringValue ?? "TCP"
        port = Int(j["port"]?.intValue ?? 0)
        targetPort = IntOrString(j["targetPort"]) ?? .int(port)
        nodePort = Int(j["nodePort"]?.intValue ?? 0)
        appProtocol = j["appProtocol"]?.stringValue
    }
}
