/// A typed view of a discovery.k8s.io/v1 EndpointSlice.
public struct EndpointSlice: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var addressType: String
    public var endpoints: [Endpoint]
    public var ports: [EndpointPort]

    /// The Service this slice belongs to (`kubernetes.io/service-name` label).
    public var serviceName: String? { metadata.labels["kubernetes.io/service-name"] }

    public init(metadata: ObjectMeta, addressType: String, endpoints: [Endpoint], ports: [EndpointPort]) {
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    public init(_ j: JSON) {
        metadata = ObjectMeta(j["metadata"])
        addressType = j["addressType"]?.stringValue ?? "IPv4"
        endpoints = (j["endpoints"]?.arrayValue ?? []).map(Endpoint.init)
        ports = (j["ports"]?.arrayValue ?? []).map(EndpointPort.init)
    }

    public var json: JSON {
        var meta: JSON = ["name": .string(metadata.name), "namespace": .string(metadata.namespace)]
        if !metadata.labels.isEmpty { meta["labels"] = .object(metadata.labels.mapValues { .string($0) }) }
        if !metadata.annotations.isEmpty { meta["annotations"] = .object(metadata.annotations.mapValues { .string($0) }) }
        if !metadata.ownerReferences.isEmpty { meta["ownerReferences"] = .array(metadata.ownerReferences.map(\.json)) }
        return [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta,
            "addressType": .string(addressType), "endpoints": .array(endpoints.map(\.json)), "ports": .array(ports.map(\.json)),
        ]
    }
}

public struct Endpoint: Sendable, Hashable {
    public var addresses: [String]
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?
    public var hostname: String?
    public var nodeName: String?
    public var targetRef: JSON?

    public init(addresses: [String], ready: Bool? = true, serving: Bool? = true, terminating: Bool? = false, hostname: String? = nil, nodeName: String? = nil, targetRef: JSON? = nil) {
        self.addresses = addresses
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }

    public init(_ j: JSON) {
        addresses = (j["addresses"]?.arrayValue ?? []).compactMap(\.stringValue)
        ready = j.at("conditions", "ready")?.boolValue
        serving = j.at("conditions", "serving")?.boolValue
        terminating = j.at("conditions", "terminating")?.boolValue
        hostname = j["hostname"]?.stringValue
        nodeName = j["nodeName"]?.stringValue
        targetRef = j["targetRef"]
    }

    /// EndpointSlice semantics: a nil `ready` means ready.
    public var isReady: Bool { ready ?? true }
    public var isServing: Bool { serving ?? isReady }
    public var isTerminating: Bool { terminating ?? false }

    public var json: JSON {
        var c: JSON = [:]
        if let ready { c["ready"] = .bool(ready) }
        if let serving { c["serving"] = .bool(serving) }
        if let terminating { c["terminating"] = .bool(terminating) }
        var o: JSON = ["addresses": .array(addresses.map { .string($0) }), "conditions": c]
        if let hostname { o["hostname"] = .string(hostname) }
        if let nodeName { o["nodeName"] = .string(nodeName) }
        if let targetRef { o["targetRef"] = targetRef }
        return o
    }
}

public struct EndpointPort: Sendable, Hashable {
    public var name: String?
    public var `protocol`: String
    public var port: Int?
    public var appProtocol: String?

    public init(name: String?, protocol: String = "TCP", port: Int?, appProtocol: String? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.appProtocol = appProtocol
    }

    public init(_ j: JSON) {
        name = j["name"]?.stringValue
        `protocol` = j["protocol"]?.stringValue ?? "TCP"
        port = j["port"]?.intValue.map { Int($0) }
        appProtocol = j["appProtocol"]?.stringValue
    }

    public var json: JSON {
        var o: JSON = ["protocol": .string(`protocol`), "name": .string(name ?? "")]
        if let port { o["port"] = .int(Int64(port)) }
        if let appProtocol { o["appProtocol"] = .string(appProtocol) }
        return o
    }
}
