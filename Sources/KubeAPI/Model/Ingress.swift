/// A typed view of a networking.k8s.io/v1 Ingress.
public struct Ingress: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var ingressClassName: String?
    public var defaultBackend: IngressBackend?
    public var tls: [IngressTLS]
    public var rules: [IngressRule]

    public init(_ j: JSON) {
        metadata = ObjectMeta(j["metadata"])
        let spec = j["spec"] ?? .object([:])
        ingressClassName = spec["ingressClassName"]?.stringValue
        defaultBackend = spec["defaultBackend"].map(IngressBackend.init)
        tls = (spec["tls"]?.arrayValue ?? []).map {
            IngressTLS(hosts: ($0["hosts"]?.arrayValue ?? []).compactMap(\.stringValue), secretName: $0["secretName"]?.stringValue)
        }
        rules = (spec["rules"]?.arrayValue ?? []).map { r in
            IngressRule(
                host: r["host"]?.stringValue ?? "",
                paths: (r.at("http", "paths")?.arrayValue ?? []).map {
                    IngressPath(
                        path: $0["path"]?.stringValue ?? "", pathType: $0["pathType"]?.stringValue ?? "",
                        backend: IngressBackend($0["backend"] ?? .object([:])))
                })
        }
    }
}

public struct IngressBackend: Sendable, Hashable {
    public var serviceName: String?
    /// Port by number or by name.
    public var servicePort: IntOrString?
    public var resource: JSON?

    public init(serviceName: String?, servicePort: IntOrString?) {
        self.serviceName = serviceName
        self.servicePort = servicePort
    }

    public init(_ j: JSON) {
        serviceName = j.at("service", "name")?.stringValue
        if let n = j.at("service", "port", "number")?.intValue { servicePort = .int(Int(n)) }
        else if let s = j.at("service", "port", "name")?.stringValue { servicePort = .string(s) }
        resource = j["resource"]
    }
}

public struct IngressTLS: Sendable, Hashable {
    public var hosts: [String]
    public var secretName: String?
}

public struct IngressRule: Sendable, Hashable {
    public var host: String
    public var paths: [IngressPath]
}

public struct IngressPath: Sendable, Hashable {
    public var path: String
    public var pathType: String
    public var backend: IngressBackend
}

/// A typed view of a networking.k8s.io/v1 IngressClass.
public struct IngressClass: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var controller: String
    public var isDefault: Bool { metadata.annotations["ingressclass.kubernetes.io/is-default-class"] == "true" }

    public init(_ j: JSON) {
        metadata = ObjectMeta(j["metadata"])
        controller = j.at("spec", "controller")?.stringValue ?? ""
    }
}

/// A typed view of a core/v1 Secret (data decoded from base64).
public struct Secret: Sendable, Hashable {
    public var metadata: ObjectMeta
    public var type: String
    public var data: [String: [UInt8]]

    public init(_ j: JSON) {
        metadata = ObjectMeta(j["metadata"])
        type = j["type"]?.stringValue ?? "Opaque"
        var d: [String: [UInt8]] = [:]
        for (k, v) in j["data"]?.objectValue ?? [:] {
            if let s = v.stringValue, let bytes = Base64.decode(s) { d[k] = bytes }
        }
        data = d
    }
}

/// Minimal standard base64 decoding (no Foundation in the model).
public enum Base64 {
    public static func decode(_ s: String) -> [UInt8]? {
        var table = [UInt8](repeating: 255, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        var out: [UInt8] = []
        var buf: UInt32 = 0
        var bits = 0
        for c in s.utf8 {
            if c == UInt8(ascii: "=") { break }
            if c == 10 || c == 13 { continue }
            let v = table[Int(c)]
            if v == 255 { return nil }
            buf = (buf << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buf >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}
