import Foundation

/// A server-side apply refused because other managers own fields the configuration would change.
/// The API server answers 409 Conflict with `message` and `details.causes` = `causes`.
public struct ApplyConflict: Error, Equatable {
    /// One conflicting field and the manager (by name) that owns it.
    public struct Conflict: Equatable, Sendable {
        public var manager: String
        public var field: String

        public init(manager: String, field: String) {
            self.manager = manager
            self.field = field
        }
    }

    public var conflicts: [Conflict]
    /// e.g. `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.ports[port=80,protocol="TCP"].targetPort`.
    public var message: String
    /// `{"reason":"FieldManagerConflict","message":"conflict with …","field":"…"}` per conflict.
    public var causes: [JSON]

    /// Builds the error from (owner, path) pairs, in the order and wording of apimachinery's `NewConflictError`.
    init(_ found: [(owner: ManagerIdentity, path: FieldPath)]) {
        let ordered = found.enumerated().sorted { a, b in
            a.element.owner.identifier != b.element.owner.identifier
                ? a.element.owner.identifier < b.element.owner.identifier : a.offset < b.offset
        }.map(\.element)
        conflicts = ordered.map { Conflict(manager: $0.owner.manager, field: $0.path.pathString) }
        causes = ordered.map {
            ["reason": "FieldManagerConflict", "message": .string("conflict with \($0.owner.printed)"), "field": .string($0.path.pathString)]
        }
        if ordered.count == 1 {
            message = "Apply failed with 1 conflict: conflict with \(ordered[0].owner.printed): \(ordered[0].path.pathString)"
        } else {
            var lines: [String] = []
            var current: ManagerIdentity?
            for c in ordered {
                if c.owner != current {
                    lines.append("conflicts with \(c.owner.printed):")
                    current = c.owner
                }
                lines.append("- \(c.path.pathString)")
            }
            message = "Apply failed with \(ordered.count) conflicts: " + lines.joined(separator: "\n")
        }
    }
}

/// An apply request body the server rejects before merging (HTTP 400, or 500 for `invalidPatch` as upstream).
public enum ApplyPatchError: Error, Equatable, Sendable {
    /// apiVersion/kind do not match the resource: `invalid object type: /v1, Kind=Servic`.
    case invalidObjectType(String)
    /// The configuration sets `metadata.managedFields`.
    case managedFieldsNotNil
    /// Lists the schema cannot key (duplicates, non-object items in a list-map, ...).
    case invalidPatch(String)

    public var message: String {
        switch self {
        case .invalidObjectType(let gvk): return "invalid object type: \(gvk)"
        case .managedFieldsNotNil: return "metadata.managedFields must be nil"
        case .invalidPatch(let m): return m
        }
    }
}

/// Server-side apply (`application/apply-patch+yaml`) over `JSON` objects, a miniature of
/// sigs.k8s.io/structured-merge-diff plus apimachinery's field manager.
public enum ServerSideApply {
    /// The manager name whose applies may take over fields recorded in the client-side-apply annotation.
    static let kubectlManager = "kubectl"
    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
    static let beforeFirstApply = "before-first-apply"

    /// Applies `applied` (the user's partial object, already parsed) on top of `live` (nil = create) for `manager`. Returns the merged object with metadata.managedFields updated (the manager's Apply entry replaced with the fields in `applied`; other managers lose ownership of fields forced away; fields previously applied by this manager that are absent now and owned by nobody else are removed). Throws on conflicts unless force.
    /// When nothing changes, `live` itself is returned (same managedFields times), so the caller can
    /// keep its resourceVersion. Reset fields (status, or spec for `subresource: "status"`) keep their live values.
    public static func apply(
        live: JSON?, applied: JSON, resource: ResourceType, manager: String, force: Bool, time: String,
        subresource: String? = nil
    ) throws(ApplyConflict) -> JSON {
        let structure = TypeStructure.of(resource)
        let ignored = ManagedFields.resetFields(resource, subresource: subresource)
        let managerName = manager.isEmpty ? "unknown" : manager
        let applier = ManagerIdentity(manager: managerName, operation: .apply, apiVersion: "", subresource: subresource)
        let liveClean = live?.applyWithoutManagedFields
        var entries = ManagedFields.decodeTolerant(live?.at("metadata", "managedFields"))

        if let liveClean, entries.isEmpty {
            // Fields of an object nobody tracked yet are attributed to a placeholder owner, so this
            // apply cannot silently take them over.
            let placeholder = ManagerIdentity(
                manager: beforeFirstApply, operation: .update, apiVersion: resource.apiVersion, subresource: subresource)
            ManagedFields.recordChange(
                &entries, old: structure.emptyObject, new: liveClean, identity: placeholder, structure: structure,
                ignored: ignored, time: time)
        }

        var result = try mergeAndTrack(
            live: liveClean, config: applied.applyWithoutManagedFields, structure: structure, ignored: ignored,
            entries: &entries, applier: applier, apiVersion: resource.apiVersion, force: force, time: time,
            lastApplied: managerName == kubectlManager ? lastAppliedAllowance(live, resource, structure) : nil)

        if managerName == kubectlManager {
            result = refreshLastApplied(result, from: applied)
        }
        result = result.applyWithManagedFields(entries)
        if let live, result.applyEquals(live) { return live }
        return result
    }

    /// Checks an apply body before it is merged, as apimachinery's version check, managedFields check
    /// and typed conversion do.
    public static func validate(applied: JSON, resource: ResourceType) throws(ApplyPatchError) {
        let apiVersion = applied["apiVersion"]?.stringValue ?? ""
        let kind = applied["kind"]?.stringValue ?? ""
        if apiVersion != resource.apiVersion || kind != resource.kind {
            let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            let gvk: String
            switch parts.count {
            case 1: gvk = "/\(parts[0]), Kind=\(kind)"
            case 2: gvk = "\(parts[0])/\(parts[1]), Kind=\(kind)"
            default: gvk = "/, Kind="  // an unparsable apiVersion yields an empty GroupVersionKind
            }
            throw .invalidObjectType(gvk)
        }
        if case .array? = applied.at("metadata", "managedFields") { throw .managedFieldsNotNil }
        var errors: [String] = []
        checkLists(applied, TypeStructure.of(resource).root, path: [], errors: &errors)
        guard !errors.isEmpty else { return }
        let namespace = applied.at("metadata", "namespace")?.stringValue ?? ""
        let name = applied.at("metadata", "name")?.stringValue ?? ""
        let detail = errors.count == 1 ? errors[0] : (["errors:"] + errors.map { "  " + $0 }).joined(separator: "\n")
        throw .invalidPatch(
            "failed to create typed patch object (\(namespace)/\(name); \(resource.group)/\(resource.version), Kind=\(resource.kind)): \(detail)")
    }

    // MARK: - Engine

    /// Fields in the last-applied annotation that still hold their live values: a `kubectl` apply may
    /// take them over from client-side apply without conflict (apimachinery's lastAppliedManager).
    struct LastAppliedAllowance { var allowed: FieldSet }

    /// Merges, prunes and settles ownership: the core of structured-merge-diff's `Updater.Apply`.
    static func mergeAndTrack(
        live: JSON?, config: JSON, structure: TypeStructure, ignored: FieldSet,
        entries: inout [ManagerIdentity: ManagedFieldsEntry], applier: ManagerIdentity, apiVersion: String, force: Bool,
        time: String, lastApplied: LastAppliedAllowance?
    ) throws(ApplyConflict) -> JSON {
        let liveValue = live ?? .object([:])
        let previous = entries[applier]
        let configSet = structure.fieldSet(of: config).recursivelySubtracting(ignored)

        var merged = structure.merge(live: liveValue, config: config)
        var working = entries
        working[applier] = ManagedFieldsEntry(
            manager: applier.manager, operation: .apply, apiVersion: apiVersion, time: previous?.time,
            subresource: applier.subresource, fields: configSet)
        merged = prune(merged, structure: structure, owners: working, lastSet: previous?.fields)
        merged = restoring(ignored, in: merged, from: live)

        let cmp = structure.compare(liveValue, merged).excluding(ignored)
        let changed = cmp.changed
        var found: [(owner: ManagerIdentity, path: FieldPath)] = []
        for id in working.keys.sorted(by: { $0.identifier < $1.identifier }) where id != applier {
            for p in working[id]!.fields.intersection(changed).paths { found.append((id, p)) }
        }
        if !force && !found.isEmpty {
            guard let lastApplied else { throw ApplyConflict(found) }
            let remaining = found.filter { !lastApplied.allowed.contains($0.path) }
            if !remaining.isEmpty { throw ApplyConflict(remaining) }
        }

        for (id, var e) in working where id != applier {
            e.fields = e.fields.subtracting(changed).subtracting(cmp.removed)
            working[id] = e.fields.isEmpty ? nil : e
        }
        let owned = configSet.subtracting(ManagedFields.serverOwned)
        if owned.isEmpty {
            working[applier] = nil
        } else {
            // The time moves only when something changed, so re-applying the same configuration is a no-op.
            let objectChanged = live == nil || !merged.applyEquals(liveValue)
            let stamp = objectChanged || previous == nil || previous!.fields != owned ? time : previous!.time
            working[applier] = ManagedFieldsEntry(
                manager: applier.manager, operation: .apply, apiVersion: apiVersion, time: stamp,
                subresource: applier.subresource, fields: owned)
        }
        entries = working
        return merged
    }

    /// Removes what the applier owned last time and no longer applies, unless another owner (or the
    /// new configuration) still holds it (structured-merge-diff's `prune`).
    static func prune(
        _ merged: JSON, structure: TypeStructure, owners: [ManagerIdentity: ManagedFieldsEntry], lastSet: FieldSet?
    ) -> JSON {
        guard let lastSet, !lastSet.isEmpty else { return merged }
        let last = structure.ensuringNamedFieldsAreMembers(lastSet)
        let pruned = structure.removing(last, from: merged)
        let owned = structure.ensuringNamedFieldsAreMembers(
            owners.values.reduce(FieldSet()) { $0.union($1.fields) })
        let mergedSet = structure.ensuringNamedFieldsAreMembers(structure.fieldSet(of: merged))
        let prunedSet = structure.ensuringNamedFieldsAreMembers(structure.fieldSet(of: pruned))
        // Add back everything someone owns, then only drop what was in the last applied set.
        let addedBack = structure.removing(mergedSet.subtracting(prunedSet.union(owned)), from: merged)
        let addedBackSet = structure.ensuringNamedFieldsAreMembers(structure.fieldSet(of: addedBack))
        return structure.removing(mergedSet.subtracting(addedBackSet).intersection(last), from: merged)
    }

    /// Puts back the live values of top-level reset fields (or drops them on create).
    static func restoring(_ ignored: FieldSet, in merged: JSON, from live: JSON?) -> JSON {
        var out = merged
        for case .field(let name) in ignored.members {
            out[name] = live?[name]
        }
        return out
    }

    static func lastAppliedAllowance(_ live: JSON?, _ resource: ResourceType, _ structure: TypeStructure) -> LastAppliedAllowance? {
        guard let live,
            let text = live.at("metadata", "annotations", lastAppliedAnnotation)?.stringValue, !text.isEmpty,
            let lastApplied = try? JSON.parse(text), lastApplied.objectValue != nil,
            lastApplied["apiVersion"]?.stringValue == resource.apiVersion
        else { return nil }
        let cmp = structure.compare(lastApplied, live)
        let allowed = structure.fieldSet(of: lastApplied).subtracting(cmp.modified).subtracting(cmp.added)
            .subtracting(cmp.removed)
        return LastAppliedAllowance(allowed: allowed)
    }

    /// After a `kubectl` apply of an object that carries the client-side-apply annotation, the
    /// annotation is rewritten to the applied configuration so a later `kubectl apply` diffs correctly.
    static func refreshLastApplied(_ object: JSON, from applied: JSON) -> JSON {
        guard let current = object.at("metadata", "annotations", lastAppliedAnnotation)?.stringValue, !current.isEmpty
        else { return object }
        var config = applied
        if config.at("metadata", "annotations") != nil {
            config.set(["metadata", "annotations", lastAppliedAnnotation], nil)
        }
        var out = object
        var annotations = out.at("metadata", "annotations")?.objectValue ?? [:]
        annotations[lastAppliedAnnotation] = .string(config.serialized() + "\n")
        // Over the 256 KiB annotation limit the annotation is dropped rather than failing the apply.
        let size = annotations.reduce(0) { $0 + $1.key.utf8.count + ($1.value.stringValue?.utf8.count ?? 0) }
        if size > 256 * 1024 { annotations[lastAppliedAnnotation] = nil }
        out.set(["metadata", "annotations"], .object(annotations))
        return out
    }

    /// Collects the errors upstream's typed conversion reports for list-maps and sets.
    static func checkLists(_ value: JSON, _ node: TypeStructure.Node, path: FieldPath, errors: inout [String]) {
        let sh = TypeStructure.shape(node, value)
        switch sh {
        case .leaf:
            return
        case .fields, .entries:
            for (k, v) in (value.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                checkLists(v, TypeStructure.childNode(sh, k), path: path + [.field(k)], errors: &errors)
            }
        case .list(let keys, let defaults, let element):
            let prefix = path.pathString
            var seen = Set<FieldPathElement>()
            for (i, item) in (value.arrayValue ?? []).enumerated() {
                if let problem = itemProblem(item, keys: keys) {
                    errors.append("\(prefix): element \(i): \(problem)")
                    continue
                }
                guard let pe = TypeStructure.itemElement(item, keys: keys, defaults: defaults) else {
                    let quoted = (keys ?? []).map(JSON.applyGoQuote).joined(separator: " ")
                    errors.append(
                        "\(prefix): element \(i): associative list with keys has an element that omits all key fields [\(quoted)] (and doesn't have default values for any key fields)")
                    continue
                }
                if !seen.insert(pe).inserted {
                    errors.append("\(prefix): duplicate entries for key \(pe.pathString)")
                    continue
                }
                if keys != nil { checkLists(item, element, path: path + [pe], errors: &errors) }
            }
        }
    }

    private static func itemProblem(_ item: JSON, keys: [String]?) -> String? {
        if keys != nil {
            switch item {
            case .null: return "associative list with keys may not have a null element"
            case .object: return nil
            default: return "associative list with keys may not have non-map elements"
            }
        }
        switch item {
        case .object: return "associative list without keys has an element that's a map type"
        case .array: return "not supported: associative list with lists as elements"
        case .null: return "associative list without keys has an element that's an explicit null"
        default: return nil
        }
    }
}
