/// The `patchStrategy`/`patchMergeKey` struct tags of the Kubernetes types Ferry serves, as strategic merge
/// patch sees them. Only fields whose behaviour differs from the default are listed: maps merge key by key
/// and lists are atomic (replaced) unless a field here says `merge`.
public struct PatchStrategy: Sendable {
    /// How one field of an object is patched.
    public struct Field: Sendable {
        /// True for `patchStrategy:"merge"` lists; false for atomic lists and for non-list fields.
        public var mergesList: Bool
        /// The `patchMergeKey`; nil for merged primitive lists (such as `finalizers`) and atomic lists.
        public var mergeKey: String?
        /// The schema of the field's value, or of each list element.
        public var element: PatchStrategy?
        /// Go kind of the declared element type; strategicpatch quotes it in "cannot merge lists" errors.
        var elementKind: String

        /// A list merged by `key` (`patchStrategy:"merge" patchMergeKey:"<key>"`).
        public static func merge(key: String, _ element: PatchStrategy? = nil) -> Field {
            Field(mergesList: true, mergeKey: key, element: element, elementKind: "struct")
        }
        /// A merged list of scalars, such as `metadata.finalizers`.
        public static let mergePrimitives = Field(mergesList: true, mergeKey: nil, element: nil, elementKind: "string")
        /// A struct-valued field whose own fields have `element`'s tags.
        public static func nested(_ element: PatchStrategy) -> Field {
            Field(mergesList: false, mergeKey: nil, element: element, elementKind: "struct")
        }
        /// Fields without tags: maps merge recursively, lists are replaced.
        public static let plain = Field(mergesList: false, mergeKey: nil, element: nil, elementKind: "struct")
    }

    /// Tagged fields by JSON name.
    public var fields: [String: Field]

    /// A schema from field tags; fields not listed behave as `.plain`.
    public init(fields: [String: Field]) { self.fields = fields }

    /// Metadata for `name`; untagged (or unknown) fields get the default behaviour.
    public func field(_ name: String) -> Field { fields[name] ?? .plain }

    /// The schema for a top-level object of `resource`'s kind.
    public static func forResource(_ resource: ResourceType) -> PatchStrategy {
        switch (resource.group, resource.kind) {
        case ("", "Pod"): return pod
        case ("", "Service"): return service
        case ("", "Namespace"): return namespace
        default: return metadataOnly
        }
    }

    // k8s.io/apimachinery meta/v1 ObjectMeta.
    static let objectMeta = PatchStrategy(fields: [
        "finalizers": .mergePrimitives,
        "ownerReferences": .merge(key: "uid"),
    ])

    static let metadataOnly = PatchStrategy(fields: ["metadata": .nested(objectMeta)])

    // core/v1 Container and EphemeralContainerCommon carry the same tags.
    static let container = PatchStrategy(fields: [
        "ports": .merge(key: "containerPort"),
        "env": .merge(key: "name"),
        "volumeMounts": .merge(key: "mountPath"),
        "volumeDevices": .merge(key: "devicePath"),
    ])

    static let podSpec = PatchStrategy(fields: [
        // volumes and resourceClaims are "merge,retainKeys"; $retainKeys is honoured wherever it appears.
        "volumes": .merge(key: "name"),
        "initContainers": .merge(key: "name", container),
        "containers": .merge(key: "name", container),
        "ephemeralContainers": .merge(key: "name", container),
        "imagePullSecrets": .merge(key: "name"),
        "hostAliases": .merge(key: "ip"),
        "topologySpreadConstraints": .merge(key: "topologyKey"),
        "schedulingGates": .merge(key: "name"),
        "resourceClaims": .merge(key: "name"),
    ])

    static let podStatus = PatchStrategy(fields: [
        "conditions": .merge(key: "type"),
        "hostIPs": .merge(key: "ip"),
        "podIPs": .merge(key: "ip"),
        "resourceClaimStatuses": .merge(key: "name"),
        // containerStatuses & co. are atomic, so the merge tags inside ContainerStatus never apply.
    ])

    static let pod = PatchStrategy(fields: [
        "metadata": .nested(objectMeta), "spec": .nested(podSpec), "status": .nested(podStatus),
    ])

    static let service = PatchStrategy(fields: [
        "metadata": .nested(objectMeta),
        // The SSA list-map key is port+protocol, but the SMP merge key is port alone.
        "spec": .nested(PatchStrategy(fields: ["ports": .merge(key: "port")])),
        // status.loadBalancer.ingress is atomic.
        "status": .nested(PatchStrategy(fields: ["conditions": .merge(key: "type")])),
    ])

    static let namespace = PatchStrategy(fields: [
        "metadata": .nested(objectMeta),
        // spec.finalizers carries no patchStrategy (+listType=atomic), so it is replaced, unlike metadata.finalizers.
        "status": .nested(PatchStrategy(fields: ["conditions": .merge(key: "type")])),
    ])
}
