/// Describes one REST resource Ferry serves: its group/version/kind, URL plural and discovery facts.
public struct ResourceType: Sendable, Hashable {
    public let group: String
    public let version: String
    public let kind: String
    public let plural: String
    public let singular: String
    public let namespaced: Bool
    public let shortNames: [String]
    public let categories: [String]
    /// Whether `/status` is a subresource (and status is ignored on main-resource writes).
    public let hasStatus: Bool
    /// Extra field-selector labels beyond `metadata.name` / `metadata.namespace`.
    public let fieldLabels: [String]

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `services` or `ingresses.networking.k8s.io`, as used in NotFound/Conflict messages.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// Storage key prefix, e.g. `/registry/services/`.
    public var keyPrefix: String { "/registry/\(group.isEmpty ? "core" : group)/\(plural)/" }

    public func key(namespace: String?, name: String) -> String {
        namespaced ? keyPrefix + (namespace ?? "") + "/" + name : keyPrefix + name
    }

    public static let namespace = ResourceType(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", singular: "namespace",
        namespaced: false, shortNames: ["ns"], categories: [], hasStatus: true, fieldLabels: ["status.phase"])
    public static let service = ResourceType(
        group: "", version: "v1", kind: "Service", plural: "services", singular: "service",
        namespaced: true, shortNames: ["svc"], categories: ["all"], hasStatus: true,
        fieldLabels: ["spec.clusterIP", "spec.type"])
    public static let endpoints = ResourceType(
        group: "", version: "v1", kind: "Endpoints", plural: "endpoints", singular: "endpoints",
        namespaced: true, shortNames: ["ep"], categories: [], hasStatus: false, fieldLabels: [])
    public static let pod = ResourceType(
        group: "", version: "v1", kind: "Pod", plural: "pods", singular: "pod",
        namespaced: true, shortNames: ["po"], categories: ["all"], hasStatus: true,
        fieldLabels: [
            "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
        ])
    public static let secret = ResourceType(
        group: "", version: "v1", kind: "Secret", plural: "secrets", singular: "secret",
        namespaced: true, shortNames: [], categories: [], hasStatus: false, fieldLabels: ["type"])
    public static let configMap = ResourceType(
        group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", singular: "configmap",
        namespaced: true, shortNames: ["cm"], categories: [], hasStatus: false, fieldLabels: [])
    public static let event = ResourceType(
        group: "", version: "v1", kind: "Event", plural: "events", singular: "event",
        namespaced: true, shortNames: ["ev"], categories: [], hasStatus: false,
        fieldLabels: [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
            "reason", "reportingComponent", "source", "type",
        ])
    public static let endpointSlice = ResourceType(
        group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices",
        singular: "endpointslice", namespaced: true, shortNames: [], categories: [], hasStatus: false, fieldLabels: [])
    public static let ingress = ResourceType(
        group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses", singular: "ingress",
        namespaced: true, shortNames: ["ing"], categories: [], hasStatus: true, fieldLabels: [])
    public static let ingressClass = ResourceType(
        group: "networking.k8s.io", version: "v1", kind: "IngressClass", plural: "ingressclasses",
        singular: "ingressclass", namespaced: false, shortNames: [], categories: [], hasStatus: false, fieldLabels: [])

    /// Every resource Ferry serves, in discovery order.
    public static let all: [ResourceType] = [
        .namespace, .service, .endpoints, .pod, .secret, .configMap, .event, .endpointSlice, .ingress, .ingressClass,
    ]

    public static func lookup(group: String, version: String, plural: String) -> ResourceType? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    public static func lookup(apiVersion: String, kind: String) -> ResourceType? {
        all.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }
}
