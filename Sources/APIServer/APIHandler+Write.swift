import Foundation
import KubeAPI
import NIOHTTP1
import Store

/// Thrown inside a store write closure when the object changed since the request read it.
struct RetryWrite: Error {}

/// Kinds whose `metadata.generation` tracks spec changes.
let generationKinds: Set<String> = ["Ingress", "IngressClass", "EndpointSlice"]

func rfc3339(_ d: Date = Date()) -> String {
    var t = time_t(d.timeIntervalSince1970)
    var tmv = tm()
    gmtime_r(&t, &tmv)
    return String(
        format: "%04d-%02d-%02dT%02d:%02d:%02dZ", tmv.tm_year + 1900, tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_hour,
        tmv.tm_min, tmv.tm_sec)
}

extension APIError {
    static func invalid(_ r: ResourceType, _ name: String, _ errors: [FieldError]) -> APIError {
        let causes: [JSON] = errors.map {
            ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)]
        }
        return APIError(
            code: 422, reason: "Invalid", message: Validation.invalidMessage(resource: r, name: name, errors: errors),
            details: details(r, name: name, kind: r.kind, causes: causes))
    }
}

extension APIHandler {
    // MARK: helpers

    func fieldManager(_ req: HTTPRequest) -> String {
        if let m = req.queryValue("fieldManager"), !m.isEmpty { return m }
        let ua = req.headers.first(name: "User-Agent") ?? "unknown"
        return String(ua.split(separator: "/").first ?? "unknown")
    }

    /// Checks `apiVersion`/`kind` of a body against the URL's resource, filling them in when absent.
    func checkTypeMeta(_ obj: inout JSON, _ r: ResourceType) throws {
        guard case .object = obj else {
            throw APIError.badRequest("the object provided is unrecognized (must be of type \(r.kind))")
        }
        if let av = obj["apiVersion"]?.stringValue, !av.isEmpty, av != r.apiVersion {
            throw APIError.badRequest("the API version in the data (\(av)) does not match the expected API version (\(r.apiVersion))")
        }
        if let k = obj["kind"]?.stringValue, !k.isEmpty, k != r.kind {
            throw APIError.badRequest("the kind in the data (\(k)) does not match the expected kind (\(r.kind))")
        }
        obj["apiVersion"] = .string(r.apiVersion)
        obj["kind"] = .string(r.kind)
    }

    /// `fieldValidation=Strict|Warn|Ignore` for duplicate and unknown fields. Returns warnings.
    func strictCheck(_ decoded: BodyDecoding.Decoded, _ r: ResourceType, _ req: HTTPRequest) throws -> [String] {
        let mode = req.queryValue("fieldValidation") ?? "Warn"
        if mode == "Ignore" { return [] }
        var problems: [String] = []
        for d in decoded.duplicates { problems.append("duplicate field \"\(d)\"") }
        for u in Schema.unknownFields(in: decoded.object, resource: r) { problems.append("unknown field \"\(u)\"") }
        if problems.isEmpty { return [] }
        if mode == "Strict" {
            throw APIError.badRequest(
                "\(r.kind) in version \"\(r.version)\" cannot be handled as a \(r.kind): strict decoding error: "
                    + problems.joined(separator: ", "))
        }
        return problems
    }

    func namespaceGate(_ r: ResourceType, _ namespace: String?, name: String) throws {
        guard r.namespaced, let namespace else { return }
        guard let ns = store.get(ResourceType.namespace.key(namespace: nil, name: namespace)) else {
            throw APIError.notFound(.namespace, namespace)
        }
        if ns.value.at("metadata", "deletionTimestamp") != nil {
            throw APIError.forbidden(
                r, name, "unable to create new content in namespace \(namespace) because it is being terminated")
        }
    }

    /// Resets what clients may not set on create.
    func resetForCreate(_ obj: inout JSON, _ r: ResourceType) {
        for f in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "generation", "managedFields"] {
            obj.set(["metadata", f], nil)
        }
        if r.hasStatus {
            switch r.kind {
            case "Service", "Ingress": obj["status"] = ["loadBalancer": .object([:])]
            case "Pod": obj["status"] = ["phase": "Pending"]
            case "Namespace": obj["status"] = nil
            default: obj["status"] = nil
            }
        }
    }

    // MARK: create

    func create(_ r: ResourceType, namespace: String?, _ req: HTTPRequest) async throws -> HTTPResult {
        guard r.namespaced == (namespace != nil) || !r.namespaced else {
            throw APIError.methodNotAllowed()
        }
        let decoded = try BodyDecoding.decode(req.body, contentType: req.headers.first(name: "Content-Type"))
        var obj = decoded.object
        try checkTypeMeta(&obj, r)
        let warnings = try strictCheck(decoded, r, req)
        let created = try await createObject(obj, r, namespace: namespace, manager: fieldManager(req), dryRun: req.queryValue("dryRun") == "All", managedFieldsPreset: false)
        return respond(created, r, req, status: .created, warnings: warnings)
    }

    /// The shared create path (POST and server-side-apply upserts).
    func createObject(_ input: JSON, _ r: ResourceType, namespace: String?, manager: String, dryRun: Bool, managedFieldsPreset: Bool) async throws -> JSON {
        var obj = input
        if r.namespaced {
            let bodyNS = obj.at("metadata", "namespace")?.stringValue ?? ""
            if !bodyNS.isEmpty && bodyNS != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            obj.set(["metadata", "namespace"], namespace.map { .string($0) })
        } else {
            obj.set(["metadata", "namespace"], nil)
        }
        let presetManaged = obj.at("metadata", "managedFields")
        resetForCreate(&obj, r)
        var name = obj.at("metadata", "name")?.stringValue ?? ""
        let generateName = obj.at("metadata", "generateName")?.stringValue ?? ""
        var generated = false
        if name.isEmpty && !generateName.isEmpty {
            let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
            name = generateName + String((0..<5).map { _ in alphabet.randomElement()! })
            obj.set(["metadata", "name"], .string(name))
            generated = true
        }
        Validation.applyDefaults(&obj, resource: r, old: nil, primaryIPFamily: primaryIPFamily)
        let errors = Validation.validate(obj, resource: r, old: nil)
        if !errors.isEmpty { throw APIError.invalid(r, name, errors) }
        try namespaceGate(r, namespace, name: name)
        obj.set(["metadata", "uid"], .string(UUID().uuidString.lowercased()))
        let now = rfc3339()
        obj.set(["metadata", "creationTimestamp"], .string(now))
        if generationKinds.contains(r.kind) { obj.set(["metadata", "generation"], 1) }
        if managedFieldsPreset, let presetManaged {
            obj.set(["metadata", "managedFields"], presetManaged)
        } else {
            obj = ManagedFields.recordUpdate(old: nil, new: obj, resource: r, manager: manager, subresource: nil, time: now)
        }
        let key = r.key(namespace: namespace, name: name)
        if dryRun {
            if store.get(key) != nil { throw APIError.alreadyExists(r, name) }
            return obj
        }
        let prepared = obj
        let allocations = self.allocations
        let (finalName, wasGenerated) = (name, generated)
        let result = try await store.write(key: key) { current in
            let name = finalName
            if current != nil {
                if wasGenerated {
                    throw APIError(
                        code: 409, reason: "AlreadyExists",
                        message: "\(r.qualifiedName) \"\(name)\" already exists, the server was not able to generate a unique name for the object",
                        details: APIError.details(r, name: name))
                }
                throw APIError.alreadyExists(r, name)
            }
            var o = prepared
            if r == .service { try allocations.allocate(&o, old: nil) }
            return .put(o)
        }
        return result.current!.value
    }

    // MARK: update / patch

    enum Precondition {
        case none
        case resourceVersion(String)
    }

    /// Finishes an update: copies server-owned fields from `old`, applies status-subresource rules,
    /// defaults, validates, bumps generation and records managedFields.
    func finishUpdate(old: JSON, new input: JSON, _ r: ResourceType, subresource: String?, manager: String?) throws -> JSON {
        var new = input
        let name = old.at("metadata", "name")?.stringValue ?? ""
        try checkTypeMeta(&new, r)
        let newName = new.at("metadata", "name")?.stringValue ?? ""
        if !newName.isEmpty && newName != name {
            throw APIError.badRequest("the name of the object (\(newName)) does not match the name on the URL (\(name))")
        }
        new.set(["metadata", "name"], .string(name))
        if r.namespaced {
            let ns = old.at("metadata", "namespace")
            let newNS = new.at("metadata", "namespace")?.stringValue ?? ""
            if !newNS.isEmpty && newNS != ns?.stringValue {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            new.set(["metadata", "namespace"], ns)
        }
        for f in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "managedFields"] {
            new.set(["metadata", f], old.at("metadata", f))
        }
        new.set(["metadata", "selfLink"], nil)
        if subresource == "status" {
            // Status writes change only status (ResetObjectMetaForStatus + spec from old).
            var s = old
            s["status"] = new["status"]
            new = s
        } else if r.hasStatus {
            new["status"] = old["status"]
        }
        if old.at("metadata", "deletionTimestamp") != nil {
            let oldF = Set((old.at("metadata", "finalizers")?.arrayValue ?? []).compactMap(\.stringValue))
            let newF = (new.at("metadata", "finalizers")?.arrayValue ?? []).compactMap(\.stringValue)
            if newF.contains(where: { !oldF.contains($0) }) {
                throw APIError.invalid(r, name, [FieldError(.forbidden, field: "metadata.finalizers", badValue: nil, detail: "no new finalizers can be added if the object is being deleted")])
            }
        }
        Validation.applyDefaults(&new, resource: r, old: old, primaryIPFamily: primaryIPFamily)
        let errors = Validation.validate(new, resource: r, old: old)
        if !errors.isEmpty { throw APIError.invalid(r, name, errors) }
        if generationKinds.contains(r.kind), subresource == nil {
            var a = old, b = new
            for k in ["metadata", "status", "apiVersion", "kind"] { a[k] = nil; b[k] = nil }
            if a != b { new.set(["metadata", "generation"], .int((old.at("metadata", "generation")?.intValue ?? 1) + 1)) }
        }
        if let manager, new != old {
            new = ManagedFields.recordUpdate(old: old, new: new, resource: r, manager: manager, subresource: subresource, time: rfc3339())
        }
        return new
    }

    /// Read-modify-write with retries on races; `build` turns the current object into the desired one.
    func updateLoop(
        _ r: ResourceType, namespace: String?, name: String, precondition: @escaping @Sendable (JSON) -> String?,
        dryRun: Bool, build: (StoredObject) throws -> JSON
    ) async throws -> (JSON, changed: Bool) {
        let key = r.key(namespace: namespace, name: name)
        for _ in 0..<20 {
            guard let cur = store.get(key) else { throw APIError.notFound(r, name) }
            if let want = precondition(cur.value), want != String(cur.revision) {
                throw APIError.conflict(r, name)
            }
            let desired = try build(cur)
            if desired == cur.value { return (cur.value, false) }
            if dryRun { return (desired, true) }
            let allocations = self.allocations
            let deleteNow = desired.at("metadata", "deletionTimestamp") != nil
                && (desired.at("metadata", "finalizers")?.arrayValue ?? []).isEmpty
            do {
                let result = try await store.write(key: key) { current in
                    guard let current else { throw APIError.notFound(r, name) }
                    guard current.revision == cur.revision else { throw RetryWrite() }
                    if deleteNow {
                        if r == .service { allocations.release(current.value) }
                        return .delete
                    }
                    var o = desired
                    if r == .service { try allocations.allocate(&o, old: current.value) }
                    return .put(o)
                }
                if deleteNow {
                    return (result.deleted?.value ?? desired, true)
                }
                return (result.current!.value, true)
            } catch is RetryWrite {
                continue
            }
        }
        throw APIError.conflict(r, name)
    }

    func update(_ r: ResourceType, namespace: String?, name: String, subresource: String?, _ req: HTTPRequest) async throws -> HTTPResult {
        let decoded = try BodyDecoding.decode(req.body, contentType: req.headers.first(name: "Content-Type"))
        var obj = decoded.object
        try checkTypeMeta(&obj, r)
        let warnings = try strictCheck(decoded, r, req)
        let rv = obj.at("metadata", "resourceVersion")?.stringValue ?? ""
        if rv.isEmpty {
            throw APIError.invalid(r, name, [FieldError(.invalid, field: "metadata.resourceVersion", badValue: "0x0", detail: "must be specified for an update")])
        }
        let manager = fieldManager(req)
        let (result, _) = try await updateLoop(
            r, namespace: namespace, name: name, precondition: { _ in rv }, dryRun: req.queryValue("dryRun") == "All"
        ) { cur in
            try self.finishUpdate(old: cur.value, new: obj, r, subresource: subresource, manager: manager)
        }
        return respond(result, r, req, warnings: warnings)
    }

    func patch(_ r: ResourceType, namespace: String?, name: String, subresource: String?, _ req: HTTPRequest) async throws -> HTTPResult {
        let contentType = BodyDecoding.mediaType(req.headers.first(name: "Content-Type"))
        let dryRun = req.queryValue("dryRun") == "All"
        if contentType == "application/apply-patch+yaml" {
            return try await apply(r, namespace: namespace, name: name, subresource: subresource, req)
        }
        let patchTypes = [
            "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json",
            "application/apply-patch+yaml",
        ]
        guard patchTypes.contains(contentType) else {
            throw APIError.unsupportedMediaType(contentType, accepted: patchTypes)
        }
        let decoded = try BodyDecoding.decode(req.body, contentType: contentType)
        let patchDoc = decoded.object
        let manager = fieldManager(req)
        // A patch that names a resourceVersion is a precondition, like PUT.
        let patchRV = patchDoc.at("metadata", "resourceVersion")?.stringValue
        var warnings: [String] = []
        let (result, _) = try await updateLoop(
            r, namespace: namespace, name: name, precondition: { _ in patchRV }, dryRun: dryRun
        ) { cur in
            var base = cur.value
            base.set(["metadata", "resourceVersion"], .string(String(cur.revision)))
            var patched: JSON
            do {
                switch contentType {
                case "application/json-patch+json":
                    patched = try Patch.jsonPatch(base, operations: patchDoc)
                case "application/merge-patch+json":
                    patched = try Patch.checkedMergePatch(base, patchDoc)
                default:
                    patched = try Patch.strategicMergePatch(base, patchDoc, resource: r)
                }
            } catch let e as PatchError {
                throw APIError(code: e.code, reason: e.reason, message: e.message, details: e.code == 422 ? .object([:]) : nil)
            }
            if contentType != "application/json-patch+json" {
                warnings = try self.strictCheck(BodyDecoding.Decoded(object: patched, duplicates: decoded.duplicates), r, req)
            }
            // The patch may only name the current resourceVersion (checked as a precondition).
            patched.set(["metadata", "resourceVersion"], .string(String(cur.revision)))
            var fin = try self.finishUpdate(old: cur.value, new: patched, r, subresource: subresource, manager: manager)
            fin.set(["metadata", "resourceVersion"], .string(String(cur.revision)))
            return fin
        }
        return respond(result, r, req, warnings: warnings)
    }

    /// Runs the SSA merge, mapping conflicts to 409 Conflict with FieldManagerConflict causes.
    func ssaMerge(live: JSON?, applied: JSON, _ r: ResourceType, name: String, manager: String, force: Bool) throws -> JSON {
        let result: Result<JSON, ApplyConflict>
        do {
            result = .success(try ServerSideApply.apply(live: live, applied: applied, resource: r, manager: manager, force: force, time: rfc3339()))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let j): return j
        case .failure(let c):
            throw APIError(code: 409, reason: "Conflict", message: c.message, details: APIError.details(r, name: name, causes: c.causes))
        }
    }

    func validateApply(_ applied: JSON, _ r: ResourceType) throws {
        var failure: ApplyPatchError? = nil
        do { try ServerSideApply.validate(applied: applied, resource: r) } catch { failure = error }
        guard let failure else { return }
        if case .invalidPatch = failure { throw APIError(code: 500, reason: "InternalError", message: failure.message) }
        throw APIError.badRequest(failure.message)
    }

    func apply(_ r: ResourceType, namespace: String?, name: String, subresource: String?, _ req: HTTPRequest) async throws -> HTTPResult {
        guard let manager = req.queryValue("fieldManager"), !manager.isEmpty else {
            throw APIError.badRequest("PATCH, application/apply-patch+yaml requires fieldManager to be specified")
        }
        let force = req.queryValue("force") == "true"
        let dryRun = req.queryValue("dryRun") == "All"
        let decoded = try BodyDecoding.decode(req.body, contentType: "application/apply-patch+yaml")
        var applied = decoded.object
        guard case .object = applied else { throw APIError.badRequest("the object provided is unrecognized") }
        let warnings = try strictCheck(decoded, r, req)
        if (applied["apiVersion"]?.stringValue ?? "").isEmpty || (applied["kind"]?.stringValue ?? "").isEmpty {
            throw APIError.badRequest("Object 'Kind' is missing in '\(applied.serialized())'")
        }
        try checkTypeMeta(&applied, r)
        try validateApply(applied, r)
        let bodyName = applied.at("metadata", "name")?.stringValue ?? ""
        if !bodyName.isEmpty && bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        applied.set(["metadata", "name"], .string(name))
        let key = r.key(namespace: namespace, name: name)
        if store.get(key) == nil && subresource == nil {
            let merged = try ssaMerge(live: nil, applied: applied, r, name: name, manager: manager, force: force)
            var created: JSON? = nil
            do {
                created = try await createObject(merged, r, namespace: namespace, manager: manager, dryRun: dryRun, managedFieldsPreset: true)
            } catch let e as APIError {
                // Lost a race with a concurrent create: continue on the update path.
                if e.reason != "AlreadyExists" { throw e }
            }
            if let created { return respond(created, r, req, status: .created, warnings: warnings) }
        }
        let appliedObject = applied
        let (result, _) = try await updateLoop(
            r, namespace: namespace, name: name, precondition: { _ in nil }, dryRun: dryRun
        ) { cur in
            let live = cur.value
            var merged = try self.ssaMerge(live: live, applied: appliedObject, r, name: name, manager: manager, force: force)
            merged.set(["metadata", "resourceVersion"], .string(String(cur.revision)))
            var fin = try self.finishUpdate(old: live, new: merged, r, subresource: subresource, manager: nil)
            fin.set(["metadata", "managedFields"], merged.at("metadata", "managedFields"))
            fin.set(["metadata", "resourceVersion"], .string(String(cur.revision)))
            return fin
        }
        return respond(result, r, req, warnings: warnings)
    }

    // MARK: delete

    struct DeleteOptions {
        var propagationPolicy: String?
        var preconditionUID: String?
        var preconditionRV: String?
        var dryRun = false
    }

    func deleteOptions(_ req: HTTPRequest) throws -> DeleteOptions {
        var o = DeleteOptions()
        if !req.body.isEmpty {
            let body = try BodyDecoding.decode(req.body, contentType: req.headers.first(name: "Content-Type")).object
            o.propagationPolicy = body["propagationPolicy"]?.stringValue
            o.preconditionUID = body.at("preconditions", "uid")?.stringValue
            o.preconditionRV = body.at("preconditions", "resourceVersion")?.stringValue
            o.dryRun = (body["dryRun"]?.arrayValue ?? []).contains("All")
        }
        if let p = req.queryValue("propagationPolicy") { o.propagationPolicy = p }
        if req.queryValue("dryRun") == "All" { o.dryRun = true }
        if let p = o.propagationPolicy, !["Orphan", "Background", "Foreground"].contains(p) {
            throw APIError(code: 422, reason: "Invalid", message: "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"\(p)\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")
        }
        return o
    }

    func delete(_ r: ResourceType, namespace: String?, name: String, _ req: HTTPRequest) async throws -> HTTPResult {
        let opts = try deleteOptions(req)
        let obj = try await deleteObject(r, namespace: namespace, name: name, opts: opts)
        if obj.at("metadata", "deletionTimestamp") != nil && store.get(r.key(namespace: namespace, name: name)) != nil {
            return respond(obj, r, req)  // still pending finalizers
        }
        var details: JSON = ["name": .string(name), "kind": .string(r.plural)]
        if !r.group.isEmpty { details["group"] = .string(r.group) }
        if let uid = obj.at("metadata", "uid") { details["uid"] = uid }
        return json(["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success", "details": details])
    }

    /// Deletes, or marks for deletion when finalizers remain. Returns the last state.
    func deleteObject(_ r: ResourceType, namespace: String?, name: String, opts: DeleteOptions) async throws -> JSON {
        let key = r.key(namespace: namespace, name: name)
        if r == .namespace { return try await deleteNamespace(name, opts: opts) }
        guard let cur = store.get(key) else { throw APIError.notFound(r, name) }
        if let uid = opts.preconditionUID, uid != cur.value.at("metadata", "uid")?.stringValue {
            throw APIError(
                code: 409, reason: "Conflict",
                message: "Operation cannot be fulfilled on \(r.qualifiedName) \"\(name)\": Precondition failed: UID in precondition: \(uid), UID in object meta: \(cur.value.at("metadata", "uid")?.stringValue ?? "")",
                details: APIError.details(r, name: name))
        }
        if let rv = opts.preconditionRV, rv != String(cur.revision) {
            throw APIError(
                code: 409, reason: "Conflict",
                message: "Operation cannot be fulfilled on \(r.qualifiedName) \"\(name)\": Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in meta: \(cur.revision)",
                details: APIError.details(r, name: name))
        }
        if opts.dryRun { return cur.value }
        let allocations = self.allocations
        let now = rfc3339()
        let result = try await store.write(key: key) { current in
            guard let current else { throw APIError.notFound(r, name) }
            let finalizers = current.value.at("metadata", "finalizers")?.arrayValue ?? []
            if !finalizers.isEmpty {
                if current.value.at("metadata", "deletionTimestamp") != nil { return .none }
                var o = current.value
                o.set(["metadata", "deletionTimestamp"], .string(now))
                o.set(["metadata", "deletionGracePeriodSeconds"], 0)
                return .put(o)
            }
            if r == .service { allocations.release(current.value) }
            return .delete
        }
        return result.deleted?.value ?? result.current?.value ?? cur.value
    }

    func deleteNamespace(_ name: String, opts: DeleteOptions) async throws -> JSON {
        let r = ResourceType.namespace
        let key = r.key(namespace: nil, name: name)
        guard let cur = store.get(key) else { throw APIError.notFound(r, name) }
        if opts.dryRun { return cur.value }
        let now = rfc3339()
        // Phase 1: Terminating (blocks new content).
        let marked = try await store.write(key: key) { current in
            guard let current else { throw APIError.notFound(r, name) }
            if current.value.at("metadata", "deletionTimestamp") != nil { return .none }
            var o = current.value
            o.set(["metadata", "deletionTimestamp"], .string(now))
            o.set(["metadata", "deletionGracePeriodSeconds"], 0)
            o.set(["status", "phase"], "Terminating")
            return .put(o)
        }
        let terminating = marked.current?.value ?? cur.value
        // Phase 2: remove everything in it (finalizers of contents are cleared: there is no
        // controller here that would ever release them).
        for res in ResourceType.all where res.namespaced {
            for item in store.list(prefix: res.keyPrefix + name + "/").items {
                let allocations = self.allocations
                _ = try await store.write(key: item.key) { current in
                    guard let current else { return .none }
                    if res == .service { allocations.release(current.value) }
                    return .delete
                }
            }
        }
        // Phase 3: the namespace itself (its `kubernetes` finalizer is ours to remove).
        let userFinalizers = (terminating.at("metadata", "finalizers")?.arrayValue ?? [])
        if userFinalizers.isEmpty {
            _ = try await store.write(key: key) { current in current == nil ? .none : .delete }
        }
        return terminating
    }

    func deleteCollection(_ r: ResourceType, namespace: String?, _ req: HTTPRequest) async throws -> HTTPResult {
        let opts = try deleteOptions(req)
        let sel = try selectors(r, req)
        var deleted: [JSON] = []
        for item in store.list(prefix: prefix(r, namespace)).items where sel.matches(item.value, r) {
            let name = item.value.at("metadata", "name")?.stringValue ?? ""
            let ns = item.value.at("metadata", "namespace")?.stringValue
            if let o = try? await deleteObject(r, namespace: ns, name: name, opts: opts) { deleted.append(o) }
        }
        return json([
            "kind": .string(r.kind + "List"), "apiVersion": .string(r.apiVersion),
            "metadata": ["resourceVersion": .string(String(store.revision))], "items": .array(deleted),
        ])
    }
}
