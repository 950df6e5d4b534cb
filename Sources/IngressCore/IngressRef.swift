import KubeAPI

/// Identifies one Ingress object (`namespace/name`); used in route matches, problems and conflicts.
public struct IngressRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public init(_ ingress: Ingress) {
        self.init(namespace: ingress.metadata.namespace, name: ingress.metadata.name)
    }

    public var description: String { "\(namespace)/\(name)" }

    public static func < (a: IngressRef, b: IngressRef) -> Bool {
        (a.namespace, a.name) < (b.namespace, b.name)
    }
}

/// Why an Ingress was left out of the route table; `rawValue` is the CamelCase Event reason.
public enum IngressProblemReason: String, Sendable, Hashable, CaseIterable {
    case invalidAnnotation = "InvalidAnnotation"
    case unsupportedSecurityAnnotation = "UnsupportedSecurityAnnotation"
    case invalidRegex = "InvalidRegex"
    case invalidHost = "InvalidHost"
    case invalidPath = "InvalidPath"
    case invalidSpec = "InvalidSpec"
    case unsupportedBackend = "UnsupportedBackend"
    case unknownService = "UnknownService"
    case unknownServicePort = "UnknownServicePort"
    case missingTLSSecret = "MissingTLSSecret"
    case invalidTLSSecret = "InvalidTLSSecret"
    case missingAuthSecret = "MissingAuthSecret"
    case invalidAuthSecret = "InvalidAuthSecret"
    case canaryWithoutPrimary = "CanaryWithoutPrimary"
}

/// One skipped Ingress: the shell turns it into a Warning Event on that Ingress. Other Ingresses keep working.
public struct IngressProblem: Sendable, Hashable, CustomStringConvertible {
    public var ingress: IngressRef
    public var reason: IngressProblemReason
    public var message: String

    public init(ingress: IngressRef, reason: IngressProblemReason, message: String) {
        self.ingress = ingress
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(ingress): \(reason.rawValue): \(message)" }
}

/// A host/path claimed by more than one Ingress: `winner` (older, per ingress-nginx ordering) serves it, `loser`'s
/// rule is ignored. Not a skip: the loser's other rules still serve.
public struct RouteConflict: Sendable, Hashable {
    public var host: String
    public var path: String
    public var pathType: PathType
    public var winner: IngressRef
    public var loser: IngressRef
}

/// `networking.k8s.io/v1` path types.
public enum PathType: String, Sendable, Hashable, CaseIterable {
    case exact = "Exact"
    case prefix = "Prefix"
    case implementationSpecific = "ImplementationSpecific"
}
