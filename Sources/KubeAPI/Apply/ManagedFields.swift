import Foundation

/// One `metadata.managedFields` entry: who owns which fields, through which operation.
public struct ManagedFieldsEntry: Equatable, Sendable {
    public enum Operation: String, Sendable { case apply = "Apply", update = "Update" }

    public var manager: String
    public var operation: Operation
    public var apiVersion: String
    public var time: String?
    public var subresource: String?
    public var fields: FieldSet

    public init(
        manager: String, operation: Operation, apiVersion: String, time: String?, subresource: String? = nil,
        fields: FieldSet
    ) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    /// Decodes one entry, with the checks (and messages) of apimachinery's `DecodeManagedFields`.
    public init(json: JSON, index: Int) throws(ManagedFieldsError) {
        guard case .object(let o) = json else { throw .invalid(index: index, reason: "entry is not an object") }
        guard let op = o["operation"]?.stringValue.flatMap(Operation.init(rawValue:)) else {
            throw .invalid(index: index, reason: "operation must be `Apply` or `Update`")
        }
        guard let apiVersion = o["apiVersion"]?.stringValue, !apiVersion.isEmpty else {
            throw .invalid(index: index, reason: "apiVersion must not be empty")
        }
        switch o["fieldsType"]?.stringValue ?? "" {
        case "FieldsV1": break
        case "": throw .invalid(index: index, reason: "missing fieldsType in managed fields entry \(index)")
        case let t:
            throw .invalid(index: index, reason: "invalid fieldsType \(JSON.applyGoQuote(t)) in managed fields entry \(index)")
        }
        var fields = FieldSet()
        if let raw = o["fieldsV1"], !raw.isNull {
            do { fields = try FieldSet(fieldsV1: raw) } catch {
                throw .invalid(index: index, reason: "error decoding set: \(error)")
            }
        }
        let subresource = o["subresource"]?.stringValue
        self.init(
            manager: o["manager"]?.stringValue ?? "", operation: op, apiVersion: apiVersion,
            time: o["time"]?.stringValue, subresource: subresource?.isEmpty == true ? nil : subresource, fields: fields)
    }

    /// The JSON form, e.g. `{"manager":"kubectl","operation":"Apply","apiVersion":"v1","time":"…","fieldsType":"FieldsV1","fieldsV1":{…}}`.
    public var json: JSON {
        var o: [String: JSON] = [
            "manager": .string(manager), "operation": .string(operation.rawValue), "apiVersion": .string(apiVersion),
            "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1,
        ]
        if let time { o["time"] = .string(time) }
        if let subresource { o["subresource"] = .string(subresource) }
        return .object(o)
    }

    var identity: ManagerIdentity {
        ManagerIdentity(
            manager: manager, operation: operation, apiVersion: operation == .apply ? "" : apiVersion,
            subresource: subresource)
    }
}

/// Errors decoding `metadata.managedFields`.
public enum ManagedFieldsError: Error, Equatable, Sendable {
    case notAList
    case invalid(index: Int, reason: String)
}

/// What makes two entries the same owner: manager, operation, subresource and (for Update only)
/// apiVersion, as apimachinery's `BuildManagerIdentifier`.
struct ManagerIdentity: Hashable, Sendable {
    var manager: String
    var operation: ManagedFieldsEntry.Operation
    var apiVersion: String
    var subresource: String?

    /// The JSON identifier upstream sorts conflicting managers by.
    var identifier: String {
        var s = "{\"manager\":" + JSON.string(manager).serialized() + ",\"operation\":\"\(operation.rawValue)\""
        if !apiVersion.isEmpty { s += ",\"apiVersion\":" + JSON.string(apiVersion).serialized() }
        if let subresource { s += ",\"subresource\":" + JSON.string(subresource).serialized() }
        return s + "}"
    }

    /// How conflict messages name the manager: `"kubectl"`, `"x" using v1`, `"x" with subresource "status" using v1`.
    var printed: String {
        var s = JSON.applyGoQuote(manager)
        if let subresource { s += " with subresource " + JSON.applyGoQuote(subresource) }
        if operation == .update { s += " using " + apiVersion }
        return s
    }
}

/// Bookkeeping of `metadata.managedFields` for non-apply writes (create, update, patch), like
/// apimachinery's field manager `Update` path.
public enum ManagedFields {
    /// Records an Update operation: the fields that changed between old and new become owned by `manager` (operation Update, apiVersion, time, subresource if any), removed from other managers' sets; entries that become empty are dropped. Returns new with managedFields set.
    /// `old` is nil on create. As upstream, an existing object without managedFields stays untracked,
    /// and a request carrying `managedFields: []` clears them.
    public static func recordUpdate(
        old: JSON?, new: JSON, resource: ResourceType, manager: String, subresource: String?, time: String
    ) -> JSON {
        let structure = TypeStructure.of(resource)
        let liveEntries = decodeTolerant(old?.at("metadata", "managedFields"))
        var entries = liveEntries
        // A full write may carry managedFields (kubectl edit/replace send them back); they replace the
        // stored ones when they decode. Subresource writes always keep the stored ones.
        if subresource == nil, let sent = new.at("metadata", "managedFields") {
            if isReset(sent) {
                entries = [:]
            } else if let decoded = try? decodeByOwner(sent), !decoded.isEmpty {
                entries = decoded
            }
        }
        let newClean = new.applyWithoutManagedFields
        if entries.isEmpty, let uid = old?.at("metadata", "uid")?.stringValue, !uid.isEmpty {
            // Objects that predate field tracking are only tracked again after a server-side apply.
            return newClean
        }
        let identity = ManagerIdentity(
            manager: manager.isEmpty ? "unknown" : manager, operation: .update, apiVersion: resource.apiVersion,
            subresource: subresource)
        recordChange(
            &entries, old: old?.applyWithoutManagedFields ?? structure.emptyObject, new: newClean, identity: identity,
            structure: structure, ignored: resetFields(resource, subresource: subresource), time: time)
        return newClean.applyWithManagedFields(entries)
    }

    /// Decodes a `metadata.managedFields` list; later duplicates of one owner replace earlier ones.
    public static func decode(_ list: JSON) throws(ManagedFieldsError) -> [ManagedFieldsEntry] {
        guard case .array(let items) = list else { throw .notAList }
        var out: [ManagedFieldsEntry] = []
        for (i, item) in items.enumerated() { out.append(try ManagedFieldsEntry(json: item, index: i)) }
        return out
    }

    /// Encodes entries in upstream order: Apply before Update, then by time, manager, apiVersion, subresource.
    public static func encode(_ entries: [ManagedFieldsEntry]) -> JSON {
        .array(sorted(entries).map(\.json))
    }

    static func sorted(_ entries: [ManagedFieldsEntry]) -> [ManagedFieldsEntry] {
        entries.sorted { p, q in
            if p.operation != q.operation { return p.operation.rawValue < q.operation.rawValue }
            // RFC 3339 UTC times written by the server compare correctly as text; missing sorts first.
            let (pt, qt) = (p.time ?? "", q.time ?? "")
            if pt != qt { return pt < qt }
            if p.manager != q.manager { return p.manager < q.manager }
            if p.apiVersion != q.apiVersion { return p.apiVersion < q.apiVersion }
            return (p.subresource ?? "") < (q.subresource ?? "")
        }
    }

    static func decodeByOwner(_ list: JSON) throws(ManagedFieldsError) -> [ManagerIdentity: ManagedFieldsEntry] {
        var out: [ManagerIdentity: ManagedFieldsEntry] = [:]
        for e in try decode(list) { out[e.identity] = e }
        return out
    }

    /// Stored managedFields that fail to decode are treated as absent, as upstream does on update.
    static func decodeTolerant(_ list: JSON?) -> [ManagerIdentity: ManagedFieldsEntry] {
        guard let list else { return [:] }
        return (try? decodeByOwner(list)) ?? [:]
    }

    /// `[]` or `[{}]` asks to clear managedFields.
    static func isReset(_ list: JSON) -> Bool {
        guard case .array(let items) = list else { return false }
        if items.isEmpty { return true }
        return items.count == 1 && items[0] == .object([:])
    }

    /// Paths never owned: type and identity metadata the server sets (apimachinery's strip set, plus
    /// the deletion fields Ferry writes itself). Removed as exact paths, so `.metadata` does not take
    /// its children with it.
    static let serverOwned = FieldSet([
        [.field("apiVersion")], [.field("kind")], [.field("metadata")],
        [.field("metadata"), .field("name")], [.field("metadata"), .field("namespace")],
        [.field("metadata"), .field("creationTimestamp")], [.field("metadata"), .field("selfLink")],
        [.field("metadata"), .field("uid")], [.field("metadata"), .field("clusterName")],
        [.field("metadata"), .field("generation")], [.field("metadata"), .field("managedFields")],
        [.field("metadata"), .field("resourceVersion")], [.field("metadata"), .field("deletionTimestamp")],
        [.field("metadata"), .field("deletionGracePeriodSeconds")],
    ])

    /// Fields a write path resets (the strategy's `GetResetFields`): status on the main resource of
    /// kinds with a status subresource, spec on `/status`.
    static func resetFields(_ resource: ResourceType, subresource: String?) -> FieldSet {
        switch subresource {
        case "status"?: return FieldSet([[.field("spec")]])
        case nil where resource.hasStatus: return FieldSet([[.field("status")]])
        default: return FieldSet()
        }
    }

    /// The core of an Update: every owner loses the fields that changed or disappeared, then
    /// `identity` gains the changed fields (and the time) if there are any.
    static func recordChange(
        _ entries: inout [ManagerIdentity: ManagedFieldsEntry], old: JSON, new: JSON, identity: ManagerIdentity,
        structure: TypeStructure, ignored: FieldSet, time: String
    ) {
        let cmp = structure.compare(old, new).excluding(ignored)
        let changed = cmp.changed
        for (id, var e) in entries {
            e.fields = e.fields.subtracting(changed).subtracting(cmp.removed)
            entries[id] = e.fields.isEmpty ? nil : e
        }
        let owned = changed.subtracting(serverOwned)
        if !owned.isEmpty {
            if var previous = entries[identity] {
                previous.fields = previous.fields.union(owned)
                previous.apiVersion = identity.apiVersion
                previous.time = time
                entries[identity] = previous
            } else {
                entries[identity] = ManagedFieldsEntry(
                    manager: identity.manager, operation: .update, apiVersion: identity.apiVersion, time: time,
                    subresource: identity.subresource, fields: owned)
            }
        }
        capUpdateManagers(&entries)
    }

    static let maxUpdateManagers = 10

    /// Keeps at most 10 Update entries by folding the oldest into an `ancient-changes` entry per apiVersion.
    static func capUpdateManagers(_ entries: inout [ManagerIdentity: ManagedFieldsEntry]) {
        var updaters = entries.filter { $0.value.operation == .update }.map(\.key)
        guard updaters.count > maxUpdateManagers else { return }
        updaters.sort { a, b in
            let (ta, tb) = (entries[a]!.time ?? "", entries[b]!.time ?? "")
            return ta != tb ? ta < tb : a.identifier < b.identifier
        }
        var firstByVersion: [String: ManagerIdentity] = [:]
        var length = updaters.count
        for id in updaters where length > maxUpdateManagers {
            guard let e = entries[id] else { continue }
            let bucket = ManagerIdentity(manager: "ancient-changes", operation: .update, apiVersion: e.apiVersion, subresource: nil)
            guard let first = firstByVersion[e.apiVersion] else {
                firstByVersion[e.apiVersion] = id
                continue
            }
            if entries[bucket] == nil, var moved = entries.removeValue(forKey: first) {
                moved.manager = bucket.manager
                moved.subresource = nil
                entries[bucket] = moved
            }
            if var b = entries[bucket] {
                b.fields = e.fields.union(b.fields)
                b.time = e.time
                entries[bucket] = b
            }
            entries[id] = nil
            length -= 1
        }
    }
}

extension JSON {
    var applyWithoutManagedFields: JSON {
        guard at("metadata", "managedFields") != nil else { return self }
        var copy = self
        copy.set(["metadata", "managedFields"], nil)
        return copy
    }

    func applyWithManagedFields(_ entries: [ManagerIdentity: ManagedFieldsEntry]) -> JSON {
        var copy = self
        if entries.isEmpty {
            if copy.at("metadata", "managedFields") != nil { copy.set(["metadata", "managedFields"], nil) }
        } else {
            copy.set(["metadata", "managedFields"], ManagedFields.encode(Array(entries.values)))
        }
        return copy
    }
}
