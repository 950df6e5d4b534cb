import Foundation
import KubeAPI

@testable import IngressCore

/// Builders for API objects via their JSON form, so tests exercise the same decoding as production.
enum Fx {
    static func backend(_ svc: String, _ port: Int) -> JSON {
        ["service": ["name": .string(svc), "port": ["number": .int(Int64(port))]]]
    }

    static func backend(_ svc: String, portName: String) -> JSON {
        ["service": ["name": .string(svc), "port": ["name": .string(portName)]]]
    }

    static func path(_ p: String, _ type: String, _ backend: JSON) -> JSON {
        ["path": .string(p), "pathType": .string(type), "backend": backend]
    }

    static func rule(_ host: String?, _ paths: [JSON]) -> JSON {
        var r: JSON = ["http": ["paths": .array(paths)]]
        if let host { r["host"] = .string(host) }
        return r
    }

    static func tls(_ hosts: [String], _ secret: String?) -> JSON {
        var t: JSON = ["hosts": .array(hosts.map { .string($0) })]
        if let secret { t["secretName"] = .string(secret) }
        return t
    }

    static func ingress(
        _ name: String, ns: String = "default", created: String = "2024-01-01T00:00:00Z", className: String? = "ferry",
        annotations: [String: String] = [:], defaultBackend: JSON? = nil, tls: [JSON] = [], rules: [JSON] = []
    ) -> Ingress {
        var meta: JSON = ["name": .string(name), "namespace": .string(ns), "creationTimestamp": .string(created)]
        if !annotations.isEmpty { meta["annotations"] = .object(annotations.mapValues { .string($0) }) }
        var spec: JSON = [:]
        if let className { spec["ingressClassName"] = .string(className) }
        if let defaultBackend { spec["defaultBackend"] = defaultBackend }
        if !tls.isEmpty { spec["tls"] = .array(tls) }
        if !rules.isEmpty { spec["rules"] = .array(rules) }
        return Ingress(["metadata": meta, "spec": spec])
    }

    /// Annotation map with the nginx prefix added to each short name.
    static func nginx(_ short: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: short.map { ("nginx.ingress.kubernetes.io/" + $0.key, $0.value) })
    }

    struct Port {
        var name: String
        var port: Int
        var target: Int
        init(_ name: String = "", _ port: Int, _ target: Int) {
            self.name = name
            self.port = port
            self.target = target
        }
    }

    static func service(
        _ name: String, ns: String = "default", ports: [Port], type: String = "ClusterIP", externalName: String? = nil
    ) -> Service {
        var spec: JSON = [
            "type": .string(type),
            "ports": .array(
                ports.map {
                    [
                        "name": .string($0.name), "port": .int(Int64($0.port)), "targetPort": .int(Int64($0.target)),
                        "protocol": "TCP",
                    ]
                }),
        ]
        if let externalName { spec["externalName"] = .string(externalName) }
        return Service(["metadata": ["name": .string(name), "namespace": .string(ns)], "spec": spec])
    }

    static func slice(
        _ svc: String, ns: String = "default", suffix: String = "a", ports: [(String, Int)],
        ready: [String], terminating: [String] = [], notReady: [String] = []
    ) -> EndpointSlice {
        var eps: [Endpoint] = ready.map { Endpoint(addresses: [$0]) }
        eps += terminating.map { Endpoint(addresses: [$0], ready: false, serving: true, terminating: true) }
        eps += notReady.map { Endpoint(addresses: [$0], ready: false, serving: false, terminating: false) }
        return EndpointSlice(
            metadata: ObjectMeta(name: "\(svc)-\(suffix)", namespace: ns, labels: ["kubernetes.io/service-name": svc]),
            addressType: "IPv4", endpoints: eps, ports: ports.map { EndpointPort(name: $0.0, port: $0.1) })
    }

    static func secret(
        _ name: String, ns: String = "default", type: String = "kubernetes.io/tls", data: [String: String]
    ) -> Secret {
        Secret([
            "metadata": ["name": .string(name), "namespace": .string(ns)], "type": .string(type),
            "data": .object(data.mapValues { .string(Data($0.utf8).base64EncodedString()) }),
        ])
    }

    static func tlsSecret(_ name: String, ns: String = "default") -> Secret {
        secret(name, ns: ns, data: ["tls.crt": "CERT-\(name)", "tls.key": "KEY-\(name)"])
    }

    static func ingressClass(_ name: String, controller: String, isDefault: Bool = false) -> IngressClass {
        var meta: JSON = ["name": .string(name)]
        if isDefault { meta["annotations"] = ["ingressclass.kubernetes.io/is-default-class": "true"] }
        return IngressClass(["metadata": meta, "spec": ["controller": .string(controller)]])
    }

    /// A Service `name` on port 80 → 8080 with one ready endpoint derived from the name, plus its slice.
    static func echo(_ name: String, ns: String = "default", ip: String) -> (Service, EndpointSlice) {
        (
            service(name, ns: ns, ports: [Port("http", 80, 8080)]),
            slice(name, ns: ns, ports: [("http", 8080)], ready: [ip])
        )
    }
}

/// A snapshot under construction, built into a table in one call.
struct World {
    var ingresses: [Ingress] = []
    var services: [Service] = []
    var slices: [EndpointSlice] = []
    var secrets: [Secret] = []

    /// Adds echo Services named in `names` with distinct IPs 10.0.0.1, 10.0.0.2, ...
    mutating func echo(_ names: [String], ns: String = "default") {
        for n in names {
            let (s, e) = Fx.echo(n, ns: ns, ip: "10.0.\(services.count / 250).\(services.count % 250 + 1)")
            services.append(s)
            slices.append(e)
        }
    }

    func build() -> RouteTableBuild {
        RouteTable.build(ingresses: ingresses, services: services, endpointSlices: slices, secrets: secrets)
    }

    /// Service name serving (host, path), or nil for 404.
    func serviceFor(_ host: String, _ path: String) -> String? {
        build().table.match(host: host, path: path)?.backend.service
    }
}
