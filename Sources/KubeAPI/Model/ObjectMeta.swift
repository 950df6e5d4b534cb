/// The parts of `metav1.ObjectMeta` that controllers and data planes read.
public struct ObjectMeta: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var uid: String
    public var resourceVersion: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var deletionTimestamp: String?
    public var creationTimestamp: String?
    public var ownerReferences: [OwnerReference]

    public init(
        name: String, namespace: String = "", uid: String = "", resourceVersion: String = "",
        labels: [String: String] = [:], annotations: [String: String] = [:], deletionTimestamp: String? = nil,
        creationTimestamp: String? = nil, ownerReferences: [OwnerReference] = []
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.labels = labels
        self.annotations = annotations
        self.deletionTimestamp = deletionTimestamp
        self.creationTimestamp = creationTimestamp
        self.ownerReferences = ownerReferences
    }

    public init(_ j: JSON?) {
        let m = j ?? .object([:])
        name = m["name"]?.stringValue ?? ""
        namespace = m["namespace"]?.stringValue ?? ""
        uid = m["uid"]?.stringValue ?? ""
        resourceVersion = m["resourceVersion"]?.stringValue ?? ""
        labels = (m["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        annotations = (m["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        deletionTimestamp = m["deletionTimestamp"]?.stringValue
        creationTimestamp = m["creationTimestamp"]?.stringValue
        ownerReferences = (m["ownerReferences"]?.arrayValue ?? []).map(OwnerReference.init)
    }
}

public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }

    public init(_ j: JSON) {
        apiVersion = j["apiVersion"]?.stringValue ?? ""
        kind = j["kind"]?.stringValue ?? ""
        name = j["name"]?.stringValue ?? ""
        uid = j["uid"]?.stringValue ?? ""
        controller = j["controller"]?.boolValue ?? false
    }

    public var json: JSON {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
            "controller": .bool(controller), "blockOwnerDeletion": true,
        ]
    }
}

/// `intstr.IntOrString`.
public enum IntOrString: Sendable, Hashable {
    case int(Int)
    case string(String)

    public init?(_ j: JSON?) {
        switch j {
        case .int(let i)?: self = .int(Int(i))
        case .string(let s)?: self = .string(s)
        case .double(let d)?: self = .int(Int(d))
        default: return nil
        }
    }
}
