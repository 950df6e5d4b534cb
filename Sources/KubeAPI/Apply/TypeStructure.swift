import Foundation

/// The server-side-apply shape of one kind: which objects are structs (named fields) or maps
/// (free keys), which lists are list-maps (and their keys), sets or atomic. It mirrors the
/// `+listType`/`+listMapKey`/`+mapType`/`+structType` markers of k8s.io/api as compiled into the
/// structured-merge-diff schema; anything not listed is a struct (objects) or atomic (lists).
public struct TypeStructure: Sendable {
    /// One schema node. `deduced` is used for fields the tables do not list: objects are treated as
    /// structs, everything else as atomic, like upstream's deduced type.
    public indirect enum Node: Sendable, Equatable {
        case structure([String: Node])
        /// A granular map (`map[string]X`): each key is owned separately.
        case map(Node)
        /// Replaced and owned as a whole: scalars, `listType=atomic`, `mapType=atomic`, `structType=atomic`.
        case atomic
        /// `listType=map`: items are identified by `keys`; a missing key field takes its schema default.
        case listMap(keys: [String], defaults: [String: JSON], element: Node)
        /// `listType=set` of scalars.
        case set
        case deduced
    }

    public var root: Node
    /// The kind's Go zero value as the API server serializes it (non-pointer structs present as `{}`,
    /// non-omitempty slices as `null`). Diffs against it decide which nodes count as newly added.
    public var emptyObject: JSON

    public init(root: Node, emptyObject: JSON = .object([:])) {
        self.root = root
        self.emptyObject = emptyObject
    }

    /// Builds a structure from `path: node` rules such as `spec.containers[].ports`. `[]` steps into
    /// list-map items and `*` into map values. A rule must follow the rule of any list-map it is under.
    public init(rules: [(String, Node)], emptyObject: JSON = .object([:])) {
        var root = Node.structure([:])
        for (path, node) in rules {
            TypeStructure.place(node, at: TypeStructure.steps(path)[...], in: &root)
        }
        self.init(root: root, emptyObject: emptyObject)
    }

    private enum Step: Equatable { case field(String), element, mapValue }

    private static func steps(_ path: String) -> [Step] {
        var out: [Step] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var elements = 0
            while name.hasSuffix("[]") { name = name.dropLast(2); elements += 1 }
            if name == "*" { out.append(.mapValue) } else { out.append(.field(String(name))) }
            out.append(contentsOf: Array(repeating: Step.element, count: elements))
        }
        return out
    }

    private static func place(_ node: Node, at steps: ArraySlice<Step>, in current: inout Node) {
        guard let step = steps.first else { current = node; return }
        let rest = steps.dropFirst()
        switch (step, current) {
        case (.field(let name), .structure(var fields)):
            var child = fields[name] ?? .structure([:])
            place(node, at: rest, in: &child)
            fields[name] = child
            current = .structure(fields)
        case (.field, .deduced):
            current = .structure([:])
            place(node, at: steps, in: &current)
        case (.element, .listMap(let keys, let defaults, var element)):
            place(node, at: rest, in: &element)
            current = .listMap(keys: keys, defaults: defaults, element: element)
        case (.mapValue, .map(var element)):
            place(node, at: rest, in: &element)
            current = .map(element)
        default:
            // A rule under an atomic or set node has nothing to refine.
            break
        }
    }

    /// The node at a path of field names (`[]`/`*` steps as in `init(rules:)`), for tests and callers.
    public func node(at path: String) -> Node? {
        var cur = root
        for step in TypeStructure.steps(path) {
            switch (step, cur) {
            case (.field(let n), .structure(let f)): cur = f[n] ?? .deduced
            case (.field, .deduced): cur = .deduced
            case (.element, .listMap(_, _, let e)): cur = e
            case (.mapValue, .map(let e)): cur = e
            default: return nil
            }
        }
        return cur
    }
}

// MARK: - Per-kind tables (checked against the structured-merge-diff schema in
// k8s.io/client-go/applyconfigurations/internal, generated from k8s.io/api markers)

extension TypeStructure {
    /// The structure for one of Ferry's resources.
    public static func of(_ resource: ResourceType) -> TypeStructure {
        switch (resource.group, resource.kind) {
        case ("", "Service"): return service
        case ("", "Pod"): return pod
        case ("", "Namespace"): return namespace
        case ("", "Endpoints"): return endpoints
        case ("", "Secret"): return secret
        case ("", "ConfigMap"): return configMap
        case ("", "Event"): return event
        case ("discovery.k8s.io", "EndpointSlice"): return endpointSlice
        case ("networking.k8s.io", "Ingress"): return ingress
        case ("networking.k8s.io", "IngressClass"): return ingressClass
        default: return TypeStructure(rules: objectMetaRules(), emptyObject: ["metadata": [:]])
        }
    }

    static let stringMap = Node.map(.atomic)

    static func nameKeyed(_ element: Node = .structure([:])) -> Node {
        .listMap(keys: ["name"], defaults: ["name": ""], element: element)
    }

    static func objectMetaRules(_ prefix: String = "metadata") -> [(String, Node)] {
        [
            ("\(prefix).labels", stringMap),
            ("\(prefix).annotations", stringMap),
            ("\(prefix).finalizers", .set),
            ("\(prefix).ownerReferences", .listMap(keys: ["uid"], defaults: ["uid": ""], element: .atomic)),
        ]
    }

    static func conditionRules(_ path: String) -> [(String, Node)] {
        [(path, .listMap(keys: ["type"], defaults: ["type": ""], element: .structure([:])))]
    }

    static let service = TypeStructure(
        rules: objectMetaRules() + [
            ("spec.ports", .listMap(keys: ["port", "protocol"], defaults: ["port": 0, "protocol": "TCP"], element: .structure([:]))),
            ("spec.selector", .atomic),
        ] + conditionRules("status.conditions"),
        emptyObject: ["metadata": [:], "spec": [:], "status": ["loadBalancer": [:]]])

    static func containerRules(_ list: String) -> [(String, Node)] {
        let c = "spec.\(list)[]"
        var rules: [(String, Node)] = [
            ("spec.\(list)", nameKeyed()),
            ("\(c).env", nameKeyed()),
            ("\(c).ports", .listMap(keys: ["containerPort", "protocol"], defaults: ["containerPort": 0, "protocol": "TCP"], element: .structure([:]))),
            ("\(c).resources.claims", nameKeyed()),
            ("\(c).resources.limits", stringMap),
            ("\(c).resources.requests", stringMap),
            ("\(c).volumeDevices", .listMap(keys: ["devicePath"], defaults: ["devicePath": ""], element: .structure([:]))),
            ("\(c).volumeMounts", .listMap(keys: ["mountPath"], defaults: ["mountPath": ""], element: .structure([:]))),
            ("\(c).volumeMounts[].bindMountOptions", .set),
        ]
        for ref in ["configMapKeyRef", "fieldRef", "fileKeyRef", "resourceFieldRef", "secretKeyRef"] {
            rules.append(("\(c).env[].valueFrom.\(ref)", .atomic))
        }
        return rules
    }

    static let pod: TypeStructure = {
        var rules = objectMetaRules()
        rules += containerRules("containers") + containerRules("initContainers") + containerRules("ephemeralContainers")
        rules += [
            ("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution", .atomic),
            ("spec.hostAliases", .listMap(keys: ["ip"], defaults: ["ip": ""], element: .structure([:]))),
            ("spec.imagePullSecrets", nameKeyed(.atomic)),
            ("spec.nodeSelector", .atomic),
            ("spec.overhead", stringMap),
            ("spec.resourceClaims", nameKeyed()),
            ("spec.resources.claims", nameKeyed()),
            ("spec.resources.limits", stringMap),
            ("spec.resources.requests", stringMap),
            ("spec.schedulingGates", nameKeyed()),
            ("spec.topologySpreadConstraints", .listMap(
                keys: ["topologyKey", "whenUnsatisfiable"], defaults: ["topologyKey": "", "whenUnsatisfiable": ""],
                element: .structure([:]))),
            ("spec.topologySpreadConstraints[].labelSelector", .atomic),
            ("spec.volumes", nameKeyed()),
            ("spec.volumes[].csi.volumeAttributes", stringMap),
            ("spec.volumes[].flexVolume.options", stringMap),
            ("spec.volumes[].ephemeral.volumeClaimTemplate.spec.dataSource", .atomic),
            ("spec.volumes[].ephemeral.volumeClaimTemplate.spec.resources.limits", stringMap),
            ("spec.volumes[].ephemeral.volumeClaimTemplate.spec.resources.requests", stringMap),
            ("spec.volumes[].ephemeral.volumeClaimTemplate.spec.selector", .atomic),
            ("status.allocatedResources", stringMap),
            ("status.podIPs", .listMap(keys: ["ip"], defaults: ["ip": ""], element: .structure([:]))),
            ("status.resourceClaimStatuses", nameKeyed()),
            ("status.resources.claims", nameKeyed()),
            ("status.resources.limits", stringMap),
            ("status.resources.requests", stringMap),
            ("status.volumeHealth", nameKeyed()),
            ("status.volumeHealth[].healthConditions", .listMap(
                keys: ["status", "reason"], defaults: ["status": "", "reason": ""], element: .structure([:]))),
            // Alpha fields newer than v1.32, kept so objects written by newer clients merge correctly.
            ("spec.evictionResponders", nameKeyed(.atomic)),
            ("status.nodeAllocatableResourceClaimStatuses", .listMap(
                keys: ["resourceClaimName"], defaults: ["resourceClaimName": ""], element: .structure([:]))),
            ("status.nodeAllocatableResourceClaimStatuses[].containers", .set),
            ("status.nodeAllocatableResourceClaimStatuses[].mapping", nameKeyed()),
            ("status.nodeAllocatableResourceClaimStatuses[].overhead", nameKeyed()),
        ]
        for source in ["cephfs", "cinder", "flexVolume", "iscsi", "rbd", "scaleIO", "storageos"] {
            rules.append(("spec.volumes[].\(source).secretRef", .atomic))
        }
        rules.append(("spec.volumes[].csi.nodePublishSecretRef", .atomic))
        rules += objectMetaRules("spec.volumes[].ephemeral.volumeClaimTemplate.metadata")
        rules += conditionRules("status.conditions")
        return TypeStructure(rules: rules, emptyObject: ["metadata": [:], "spec": ["containers": nil], "status": [:]])
    }()

    static let namespace = TypeStructure(
        rules: objectMetaRules() + conditionRules("status.conditions"),
        emptyObject: ["metadata": [:], "spec": [:], "status": [:]])

    static let endpoints = TypeStructure(rules: objectMetaRules(), emptyObject: ["metadata": [:]])

    static let secret = TypeStructure(
        rules: objectMetaRules() + [("data", stringMap), ("stringData", stringMap)], emptyObject: ["metadata": [:]])

    static let configMap = TypeStructure(
        rules: objectMetaRules() + [("data", stringMap), ("binaryData", stringMap)], emptyObject: ["metadata": [:]])

    static let event = TypeStructure(
        rules: objectMetaRules() + [("involvedObject", .atomic), ("related", .atomic)],
        emptyObject: [
            "metadata": [:], "involvedObject": [:], "source": [:], "firstTimestamp": nil, "lastTimestamp": nil,
            "eventTime": nil, "reportingComponent": "", "reportingInstance": "",
        ])

    // EndpointSlice `endpoints` and `ports` carry `+listType=atomic`, the default for lists.
    static let endpointSlice = TypeStructure(
        rules: objectMetaRules(), emptyObject: ["metadata": [:], "addressType": "", "endpoints": nil, "ports": nil])

    // Ingress `rules` and `tls` are atomic (default); the backend's port and resource are atomic structs.
    static let ingress = TypeStructure(
        rules: objectMetaRules() + [
            ("spec.defaultBackend.resource", .atomic),
            ("spec.defaultBackend.service.port", .atomic),
        ],
        emptyObject: ["metadata": [:], "spec": [:], "status": ["loadBalancer": [:]]])

    static let ingressClass = TypeStructure(rules: objectMetaRules(), emptyObject: ["metadata": [:], "spec": [:]])
}

// MARK: - Typed operations on values (miniature of structured-merge-diff's typed package)

/// Added/modified/removed paths between two objects.
struct ApplyComparison {
    var added = FieldSet()
    var modified = FieldSet()
    var removed = FieldSet()

    var changed: FieldSet { modified.union(added) }

    func excluding(_ ignored: FieldSet) -> ApplyComparison {
        guard !ignored.isEmpty else { return self }
        return ApplyComparison(
            added: added.recursivelySubtracting(ignored), modified: modified.recursivelySubtracting(ignored),
            removed: removed.recursivelySubtracting(ignored))
    }
}

extension TypeStructure {
    /// How a node is walked for the given values.
    enum Shape {
        case leaf
        case fields([String: Node])  // struct: keys are named fields
        case entries(Node)  // map: keys are entries
        case list(keys: [String]?, defaults: [String: JSON], element: Node)  // keys nil = set
    }

    /// A null counts as an empty map or list (as upstream's `mapValue`/`listValue`); a node with only
    /// nulls, or with values of different shapes, is a leaf.
    static func shape(_ node: Node, _ values: JSON?...) -> Shape {
        let present = values.compactMap { $0 }.filter { !$0.isNull }
        if present.isEmpty { return .leaf }
        let allObjects = present.allSatisfy { $0.objectValue != nil }
        let allArrays = present.allSatisfy { $0.arrayValue != nil }
        switch node {
        case .atomic: return .leaf
        case .structure(let f): return allObjects ? .fields(f) : .leaf
        case .map(let e): return allObjects ? .entries(e) : .leaf
        case .deduced: return allObjects ? .fields([:]) : .leaf
        case .listMap(let keys, let defaults, let element):
            return allArrays ? .list(keys: keys, defaults: defaults, element: element) : .leaf
        case .set: return allArrays ? .list(keys: nil, defaults: [:], element: .atomic) : .leaf
        }
    }

    static func childNode(_ shape: Shape, _ key: String) -> Node {
        switch shape {
        case .fields(let f): return f[key] ?? .deduced
        case .entries(let e): return e
        default: return .deduced
        }
    }

    /// The path element naming one list item; nil when the item cannot be keyed (then its index is used).
    static func itemElement(_ item: JSON, keys: [String]?, defaults: [String: JSON]) -> FieldPathElement? {
        guard let keys else {
            switch item {
            case .object, .array, .null: return nil
            default: return .value(normalizing: item)
            }
        }
        guard case .object(let o) = item else { return nil }
        var fields: [String: JSON] = [:]
        for k in keys {
            if let v = o[k] { fields[k] = v } else if let d = defaults[k] { fields[k] = d }
        }
        return fields.isEmpty ? nil : .key(normalizing: fields)
    }

    static func itemElements(_ items: [JSON], keys: [String]?, defaults: [String: JSON]) -> [FieldPathElement] {
        items.enumerated().map { itemElement($1, keys: keys, defaults: defaults) ?? .index($0) }
    }

    // MARK: toFieldSet

    /// The set of paths a (partial) object sets, as structured-merge-diff's `ToFieldSet`.
    func fieldSet(of value: JSON) -> FieldSet {
        var set = FieldSet()
        TypeStructure.collect(value, root, path: [], into: &set)
        return set
    }

    private static func collect(_ value: JSON, _ node: Node, path: FieldPath, into set: inout FieldSet) {
        let sh = shape(node, value)
        switch sh {
        case .leaf:
            set.insert(path)
        case .fields, .entries:
            let isMap: Bool
            if case .entries = sh { isMap = true } else { isMap = false }
            for (k, v) in value.objectValue ?? [:] {
                let childPath = path + [.field(k)]
                collect(v, childNode(sh, k), path: childPath, into: &set)
                let emptyObject = v.objectValue?.isEmpty ?? false
                if v.isNull || emptyObject || isMap { set.insert(childPath) }
            }
        case .list(let keys, let defaults, let element):
            let items = value.arrayValue ?? []
            let pes = itemElements(items, keys: keys, defaults: defaults)
            var counts: [FieldPathElement: Int] = [:]
            for pe in pes { counts[pe, default: 0] += 1 }
            for (pe, item) in zip(pes, items) {
                let itemPath = path + [pe]
                if counts[pe]! > 1 { set.insert(itemPath); continue }
                collect(item, element, path: itemPath, into: &set)
                set.insert(itemPath)
            }
        }
    }

    // MARK: compare

    /// The paths added, modified and removed going from `lhs` to `rhs`, as structured-merge-diff's `Compare`.
    func compare(_ lhs: JSON, _ rhs: JSON) -> ApplyComparison {
        var c = ApplyComparison()
        TypeStructure.compare(lhs, rhs, root, path: [], into: &c)
        return c
    }

    private static func compare(_ lhs: JSON?, _ rhs: JSON?, _ node: Node, path: FieldPath, into c: inout ApplyComparison) {
        let sh = shape(node, lhs, rhs)
        var leaf = false
        switch sh {
        case .leaf:
            leaf = true
        case .fields, .entries:
            let lo = lhs?.objectValue ?? [:], ro = rhs?.objectValue ?? [:]
            if lo.isEmpty && ro.isEmpty {
                leaf = true
            } else {
                for k in Set(lo.keys).union(ro.keys) {
                    compare(lo[k], ro[k], childNode(sh, k), path: path + [.field(k)], into: &c)
                }
            }
        case .list(let keys, let defaults, let element):
            let la = lhs?.arrayValue ?? [], ra = rhs?.arrayValue ?? []
            if la.isEmpty && ra.isEmpty {
                leaf = true
            } else {
                compareItems(la, ra, keys: keys, defaults: defaults, element: element, path: path, into: &c)
            }
        }
        if leaf {
            if lhs == nil { c.added.insert(path) }
            else if rhs == nil { c.removed.insert(path) }
            else if !lhs!.applyEquals(rhs!) { c.modified.insert(path) }
        } else if lhs == nil {
            c.added.insert(path)
        } else if rhs == nil {
            c.removed.insert(path)
        }
    }

    private static func compareItems(
        _ la: [JSON], _ ra: [JSON], keys: [String]?, defaults: [String: JSON], element: Node, path: FieldPath,
        into c: inout ApplyComparison
    ) {
        var order: [FieldPathElement] = []
        var lv: [FieldPathElement: [JSON]] = [:], rv: [FieldPathElement: [JSON]] = [:]
        for (pe, item) in zip(itemElements(la, keys: keys, defaults: defaults), la) {
            if lv[pe] == nil { order.append(pe) }
            lv[pe, default: []].append(item)
        }
        for (pe, item) in zip(itemElements(ra, keys: keys, defaults: defaults), ra) {
            if rv[pe] == nil && lv[pe] == nil { order.append(pe) }
            rv[pe, default: []].append(item)
        }
        for pe in order {
            let l = lv[pe] ?? [], r = rv[pe] ?? []
            let itemPath = path + [pe]
            if l.count <= 1 && r.count <= 1 {
                compare(l.first, r.first, element, path: itemPath, into: &c)
            } else if !(l.count == r.count && zip(l, r).allSatisfy { $0.applyEquals($1) }) {
                // Duplicated keys are tracked as a whole item, like upstream.
                if l.isEmpty { c.added.insert(itemPath) }
                else if r.isEmpty { c.removed.insert(itemPath) }
                else { c.modified.insert(itemPath) }
            }
        }
    }

    // MARK: merge

    /// Merges an applied configuration onto a live object: config values win, list-maps and sets
    /// merge by key keeping live-only items in place, atomic values are replaced. A null in the
    /// configuration clears a scalar or atomic value (decoding it into Go types drops it) but, as
    /// upstream, counts as empty for granular maps, structs and lists, which keeps their live content.
    func merge(live: JSON, config: JSON) -> JSON {
        TypeStructure.merge(live, config, root) ?? .object([:])
    }

    private static func merge(_ lhs: JSON?, _ rhs: JSON?, _ node: Node) -> JSON? {
        guard let rhs else { return lhs }
        if rhs.isNull {
            guard let lhs, !lhs.isNull else { return nil }
            if case .leaf = shape(node, lhs) { return nil }
            let empty = lhs.objectValue?.isEmpty == true || lhs.arrayValue?.isEmpty == true
            return empty ? nil : lhs
        }
        guard let lhs else { return rhs.applyWithoutNulls }
        let sh = shape(node, lhs, rhs)
        switch sh {
        case .leaf:
            return rhs.applyWithoutNulls
        case .fields, .entries:
            let lo = lhs.objectValue ?? [:], ro = rhs.objectValue ?? [:]
            if lo.isEmpty && ro.isEmpty { return rhs }
            var out = lo
            for (k, rv) in ro { out[k] = merge(lo[k], rv, childNode(sh, k)) }
            return out.isEmpty ? nil : .object(out)
        case .list(let keys, let defaults, let element):
            let la = lhs.arrayValue ?? [], ra = rhs.arrayValue ?? []
            if la.isEmpty && ra.isEmpty { return rhs }
            let out = mergeItems(la, ra, keys: keys, defaults: defaults, element: element)
            return out.isEmpty ? nil : .array(out)
        }
    }

    /// structured-merge-diff's list merge order: live-only items stay where they are, items in the
    /// configuration follow the configuration's order.
    private static func mergeItems(_ la: [JSON], _ ra: [JSON], keys: [String]?, defaults: [String: JSON], element: Node) -> [JSON] {
        let lpes = itemElements(la, keys: keys, defaults: defaults)
        let rpes = itemElements(ra, keys: keys, defaults: defaults)
        var lvals: [FieldPathElement: JSON] = [:], rvals: [FieldPathElement: JSON] = [:]
        for (pe, v) in zip(lpes, la) where lvals[pe] == nil { lvals[pe] = v }
        for (pe, v) in zip(rpes, ra) where rvals[pe] == nil { rvals[pe] = v }
        var shared = rpes.filter { lvals[$0] != nil }[...]
        var nextShared = shared.popFirst()
        var merged = Set<FieldPathElement>()
        var out: [JSON] = []
        func emit(_ pe: FieldPathElement) {
            merged.insert(pe)
            if let v = merge(lvals[pe], rvals[pe], element) { out.append(v) }
        }
        var li = 0, ri = 0
        while li < lpes.count || ri < rpes.count {
            if li < lpes.count && ri < rpes.count {
                let pe = lpes[li]
                if pe == rpes[ri] {
                    emit(pe)
                    li += 1; ri += 1
                    nextShared = shared.popFirst()
                    continue
                }
                if rvals[pe] != nil, let ns = nextShared, ns != pe {
                    li += 1
                    continue
                }
            }
            if li < lpes.count {
                let pe = lpes[li]
                if rvals[pe] == nil {
                    if let v = merge(la[li], nil, element) { out.append(v) }
                    li += 1
                    continue
                } else if merged.contains(pe) {
                    li += 1
                }
            }
            if ri < rpes.count {
                let pe = rpes[ri]
                if !merged.contains(pe) { emit(pe) }
                ri += 1
                if nextShared == pe { nextShared = shared.popFirst() }
            }
        }
        return out
    }

    // MARK: remove

    /// Removes the paths in `set` (a member removes its whole subtree). Objects and lists emptied by
    /// the removal disappear, as they do when decoded into Go types.
    func removing(_ set: FieldSet, from value: JSON) -> JSON {
        TypeStructure.remove(set, from: value, root) ?? .object([:])
    }

    private static func remove(_ set: FieldSet, from value: JSON, _ node: Node) -> JSON? {
        if set.isEmpty { return value }
        let sh = shape(node, value)
        switch sh {
        case .leaf:
            return value
        case .fields, .entries:
            var out: [String: JSON] = [:]
            for (k, v) in value.objectValue ?? [:] {
                let pe = FieldPathElement.field(k)
                if set.members.contains(pe) { continue }
                if let sub = set.children[pe] {
                    if let nv = remove(sub, from: v, childNode(sh, k)) { out[k] = nv }
                } else {
                    out[k] = v
                }
            }
            return out.isEmpty ? nil : .object(out)
        case .list(let keys, let defaults, let element):
            let items = value.arrayValue ?? []
            var out: [JSON] = []
            for (pe, item) in zip(itemElements(items, keys: keys, defaults: defaults), items) {
                if set.members.contains(pe) { continue }
                if let sub = set.children[pe] {
                    if let nv = remove(sub, from: item, element) { out.append(nv) }
                } else {
                    out.append(item)
                }
            }
            return out.isEmpty ? nil : .array(out)
        }
    }

    // MARK: named fields

    /// Adds every struct field that has owned children as a member, so removing it removes the
    /// whole field (structured-merge-diff's `EnsureNamedFieldsAreMembers`).
    func ensuringNamedFieldsAreMembers(_ set: FieldSet) -> FieldSet {
        TypeStructure.ensureNamed(set, root)
    }

    private static func ensureNamed(_ set: FieldSet, _ node: Node) -> FieldSet {
        var out = set
        for (pe, child) in set.children {
            var childNode = Node.deduced
            switch (pe, node) {
            case (.field(let name), .structure(let fields)):
                out.insertMember(pe)
                childNode = fields[name] ?? .deduced
            case (.field, .deduced):
                out.insertMember(pe)
            case (.field, .map(let e)):
                childNode = e
            case (.key, .listMap(_, _, let e)), (.index, .listMap(_, _, let e)):
                childNode = e
            default:
                break
            }
            out.setChild(pe, ensureNamed(child, childNode))
        }
        return out
    }
}

extension JSON {
    /// The value with null object members removed at every depth.
    var applyWithoutNulls: JSON {
        switch self {
        case .object(let o):
            var out: [String: JSON] = [:]
            for (k, v) in o where !v.isNull { out[k] = v.applyWithoutNulls }
            return .object(out)
        case .array(let a): return .array(a.map(\.applyWithoutNulls))
        default: return self
        }
    }
}
