import KubeAPI

/// A resolved Service backend: the Service port a rule names and the endpoints behind it.
public struct Backend: Sendable, Hashable {
    public var namespace: String
    public var service: String
    /// The Service port number and name the Ingress referred to (by either).
    public var servicePort: Int
    public var servicePortName: String
    /// Ready endpoints with their target ports, sorted by address then port; empty means 503.
    public var endpoints: [UpstreamEndpoint]
    /// Endpoints that are terminating but still serving: kept for in-flight connections and as a last resort,
    /// never for new load-balancing picks while `endpoints` is non-empty.
    public var terminatingEndpoints: [UpstreamEndpoint]
    /// For `type: ExternalName` Services: the DNS name the single endpoint points at (the shell resolves it).
    public var externalName: String?

    public init(
        namespace: String, service: String, servicePort: Int, servicePortName: String = "",
        endpoints: [UpstreamEndpoint] = [], terminatingEndpoints: [UpstreamEndpoint] = [], externalName: String? = nil
    ) {
        self.namespace = namespace
        self.service = service
        self.servicePort = servicePort
        self.servicePortName = servicePortName
        self.endpoints = endpoints
        self.terminatingEndpoints = terminatingEndpoints
        self.externalName = externalName
    }
}

/// One upstream address (IP, or DNS name for ExternalName) and the target port to connect to.
public struct UpstreamEndpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var address: String
    public var port: Int

    public init(address: String, port: Int) {
        self.address = address
        self.port = port
    }

    public var description: String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }
    public static func < (a: UpstreamEndpoint, b: UpstreamEndpoint) -> Bool {
        (a.address, a.port) < (b.address, b.port)
    }
}

/// Indexes Services and EndpointSlices of one snapshot for backend resolution.
struct BackendResolver {
    enum Failure: Error, Equatable {
        case unknownService(String)
        case unknownPort(String)
    }

    private var services: [String: Service] = [:]
    private var slices: [String: [EndpointSlice]] = [:]

    init(services: [Service], endpointSlices: [EndpointSlice]) {
        for s in services { self.services[s.metadata.namespace + "/" + s.metadata.name] = s }
        for e in endpointSlices {
            guard let svc = e.serviceName else { continue }
            slices[e.metadata.namespace + "/" + svc, default: []].append(e)
        }
    }

    /// Resolves `service`/`port` in `namespace` to a backend. A port number must be one of the Service's ports
    /// (ingress-nginx also accepts a bare targetPort here; Ferry does not, to keep one meaning per number).
    func resolve(namespace: String, service name: String, port: IntOrString?) throws(Failure) -> Backend {
        guard let svc = services[namespace + "/" + name] else {
            throw .unknownService("service \"\(namespace)/\(name)\" not found")
        }
        if svc.type == "ExternalName" {
            return try externalNameBackend(svc, port: port)
        }
        let sp: ServicePort?
        switch port {
        case .int(let n)?: sp = svc.ports.first { $0.port == n && $0.protocol == "TCP" }
        case .string(let s)?: sp = svc.ports.first { $0.name == s && $0.protocol == "TCP" }
        case nil: sp = svc.ports.count == 1 ? svc.ports.first : nil
        }
        guard let sp else {
            throw .unknownPort("service \"\(namespace)/\(name)\" has no TCP port \(Self.describe(port))")
        }
        var ready = Set<UpstreamEndpoint>()
        var terminating = Set<UpstreamEndpoint>()
        for slice in slices[namespace + "/" + name] ?? [] {
            // EndpointSlice ports carry the Service port's name; the number is the resolved targetPort.
            guard let ep = slice.ports.first(where: { ($0.name ?? "") == sp.name && $0.protocol == "TCP" }),
                let target = ep.port
            else { continue }
            for e in slice.endpoints {
                for addr in e.addresses {
                    let u = UpstreamEndpoint(address: addr, port: target)
                    if e.isReady && !e.isTerminating {
                        ready.insert(u)
                    } else if e.isServing && e.isTerminating {
                        terminating.insert(u)
                    }
                }
            }
        }
        terminating.subtract(ready)
        return Backend(
            namespace: namespace, service: name, servicePort: sp.port, servicePortName: sp.name,
            endpoints: ready.sorted(), terminatingEndpoints: terminating.sorted())
    }

    private func externalNameBackend(_ svc: Service, port: IntOrString?) throws(Failure) -> Backend {
        let ns = svc.metadata.namespace
        let name = svc.metadata.name
        let number: Int
        let portName: String
        switch port {
        case .int(let n)?:
            // ExternalName Services often declare no ports; the rule's number is then the upstream port.
            let sp = svc.ports.first { $0.port == n }
            number = n
            portName = sp?.name ?? ""
        case .string(let s)?:
            guard let sp = svc.ports.first(where: { $0.name == s }) else {
                throw .unknownPort("service \"\(ns)/\(name)\" has no port named \"\(s)\"")
            }
            number = sp.port
            portName = sp.name
        case nil:
            throw .unknownPort("service \"\(ns)/\(name)\" backend has no port")
        }
        let host = svc.externalName.lowercased()
        return Backend(
            namespace: ns, service: name, servicePort: number, servicePortName: portName,
            endpoints: [UpstreamEndpoint(address: host, port: number)], externalName: host)
    }

    private static func describe(_ p: IntOrString?) -> String {
        switch p {
        case .int(let n)?: return "\(n)"
        case .string(let s)?: return "named \"\(s)\""
        case nil: return "(none given)"
        }
    }
}
