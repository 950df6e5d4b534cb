import Foundation
import KubeAPI
import NIOHTTP1
import Store

extension APIHandler {
    func handleResource(_ route: Route, _ req: HTTPRequest) async throws -> HTTPResult {
        guard let r = route.resource else { throw APIError.notFoundPath() }
        if let sub = route.subresource {
            guard sub == "status", r.hasStatus else { throw APIError.notFoundPath() }
        }
        switch (req.method, route.name) {
        case (.GET, nil):
            let isWatch = req.queryValue("watch").map { $0 == "true" || $0 == "1" } ?? false
            return isWatch ? try watch(r, namespace: route.namespace, req) : try list(r, namespace: route.namespace, req)
        case (.GET, let name?):
            let o = try get(r, namespace: route.namespace, name: name)
            return respond(o.value, r, req, bytes: o.bytes)
        case (.POST, nil):
            return try await create(r, namespace: route.namespace, req)
        case (.PUT, let name?):
            return try await update(r, namespace: route.namespace, name: name, subresource: route.subresource, req)
        case (.PATCH, let name?):
            return try await patch(r, namespace: route.namespace, name: name, subresource: route.subresource, req)
        case (.DELETE, let name?):
            guard route.subresource == nil else { throw APIError.methodNotAllowed() }
            return try await delete(r, namespace: route.namespace, name: name, req)
        case (.DELETE, nil):
            return try await deleteCollection(r, namespace: route.namespace, req)
        default:
            throw APIError.methodNotAllowed()
        }
    }

    func get(_ r: ResourceType, namespace: String?, name: String) throws -> StoredObject {
        guard let o = store.get(r.key(namespace: namespace, name: name)) else { throw APIError.notFound(r, name) }
        return o
    }

    /// A single object, as JSON or as a one-row Table.
    /// `bytes`: `obj` already serialized (a stored object's bytes), sent as they are for JSON.
    func respond(_ obj: JSON, _ r: ResourceType, _ req: HTTPRequest, status: HTTPResponseStatus = .ok, warnings: [String] = [], bytes: [UInt8]? = nil) -> HTTPResult {
        let headers = warnings.map { ("Warning", "299 - \"\($0.replacingOccurrences(of: "\"", with: "\\\""))\"") }
        if Self.wantsTable(req) {
            return json(
                table(r, [obj], resourceVersion: obj.at("metadata", "resourceVersion")?.stringValue ?? "", includeColumns: true),
                status: status, contentType: "application/json;as=Table;v=v1;g=meta.k8s.io", extraHeaders: headers)
        }
        if let bytes { return json(bytes: bytes, status: status, extraHeaders: headers) }
        return json(obj, status: status, extraHeaders: headers)
    }

    struct Selectors {
        var label: LabelSelector
        var field: FieldSelector
        func matches(_ obj: JSON, _ r: ResourceType) -> Bool {
            if !label.requirements.isEmpty {
                let labels = (obj.at("metadata", "labels")?.objectValue ?? [:]).compactMapValues(\.stringValue)
                if !label.matches(labels) { return false }
            }
            if !field.terms.isEmpty && !field.matches(r.selectableFields(of: obj)) { return false }
            return true
        }
    }

    func selectors(_ r: ResourceType, _ req: HTTPRequest) throws -> Selectors {
        let label: LabelSelector
        do { label = try LabelSelector.parse(req.queryValue("labelSelector") ?? "") } catch {
            if case .invalid(let m) = error { throw APIError.badRequest("unable to parse requirement: \(m)") }
            throw APIError.badRequest("invalid label selector")
        }
        let field: FieldSelector
        do { field = try FieldSelector.parse(req.queryValue("fieldSelector") ?? "") } catch {
            if case .invalid(let m) = error { throw APIError.badRequest(m) }
            throw APIError.badRequest("invalid field selector")
        }
        let supported = Set(["metadata.name", "metadata.namespace"] + r.fieldLabels)
        for t in field.terms where !supported.contains(t.field) {
            throw APIError.badRequest("field label not supported: \(t.field)")
        }
        return Selectors(label: label, field: field)
    }

    func prefix(_ r: ResourceType, _ namespace: String?) -> String {
        if let namespace, r.namespaced { return r.keyPrefix + namespace + "/" }
        return r.keyPrefix
    }

    func list(_ r: ResourceType, namespace: String?, _ req: HTTPRequest) throws -> HTTPResult {
        let sel = try selectors(r, req)
        let (all, rev) = store.list(prefix: prefix(r, namespace))
        var items = all
        // limit / continue: the token carries the last key returned.
        var startAfter: String? = nil
        if let cont = req.queryValue("continue"), !cont.isEmpty {
            guard let data = Data(base64Encoded: cont), let tok = try? JSON.parse(Array(data)),
                let key = tok["start"]?.stringValue
            else { throw APIError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)") }
            startAfter = key
        }
        if let startAfter { items = items.filter { $0.key > startAfter } }
        let matching = items.filter { sel.matches($0.value, r) }
        var page = matching
        var continueToken: String? = nil
        var remaining: Int64? = nil
        if let l = req.queryValue("limit").flatMap(Int.init), l > 0, matching.count > l {
            page = Array(matching.prefix(l))
            let tok: JSON = ["rv": .int(rev), "start": .string(page.last!.key)]
            continueToken = Data(tok.serialized().utf8).base64EncodedString()
            remaining = Int64(matching.count - l)
        }
        var meta: JSON = ["resourceVersion": .string(String(rev))]
        if let continueToken { meta["continue"] = .string(continueToken) }
        if let remaining { meta["remainingItemCount"] = .int(remaining) }
        if Self.wantsTable(req) {
            var t = table(r, page.map(\.value), resourceVersion: String(rev), includeColumns: true)
            t["metadata"] = meta
            return json(t, contentType: "application/json;as=Table;v=v1;g=meta.k8s.io")
        }
        // {"apiVersion":…,"items":[…],"kind":…,"metadata":…}, the items as stored (no re-serializing).
        var body: [UInt8] = []
        body.reserveCapacity(page.reduce(128) { $0 + $1.bytes.count + 1 })
        body.append(contentsOf: #"{"apiVersion":"#.utf8)
        JSON.string(r.apiVersion).write(to: &body)
        body.append(contentsOf: #","items":["#.utf8)
        for (i, o) in page.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: o.bytes)
        }
        body.append(contentsOf: #"],"kind":"#.utf8)
        JSON.string(r.kind + "List").write(to: &body)
        body.append(contentsOf: #","metadata":"#.utf8)
        meta.write(to: &body)
        body.append(UInt8(ascii: "}"))
        return json(bytes: body)
    }

    func table(_ r: ResourceType, _ objects: [JSON], resourceVersion: String, includeColumns: Bool) -> JSON {
        let now = Date()
        let rows: [JSON] = objects.map { o in
            var meta = o["metadata"] ?? .object([:])
            meta["managedFields"] = nil
            return [
                "cells": .array(TablePrinter.cells(for: o, resource: r, now: now)),
                "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta],
            ]
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": ["resourceVersion": .string(resourceVersion)],
            "columnDefinitions": .array(includeColumns ? TablePrinter.columnDefinitions(for: r) : []),
            "rows": .array(rows),
        ]
    }

    func watch(_ r: ResourceType, namespace: String?, _ req: HTTPRequest) throws -> HTTPResult {
        let sel = try selectors(r, req)
        let pfx = prefix(r, namespace)
        let asTable = Self.wantsTable(req)
        let rvParam = req.queryValue("resourceVersion") ?? ""
        let bookmarks = req.queryValue("allowWatchBookmarks") == "true"
        let sendInitial = req.queryValue("sendInitialEvents") == "true"
        let timeout = req.queryValue("timeoutSeconds").flatMap(Int.init).map { max(0, $0) } ?? 1800
        var initial: [StoredObject] = []
        let startRev: Int64
        if rvParam.isEmpty || rvParam == "0" || sendInitial {
            let (items, rev) = store.list(prefix: pfx)
            initial = items.filter { sel.matches($0.value, r) }
            startRev = rev
        } else {
            guard let n = Int64(rvParam) else {
                throw APIError.badRequest("invalid resource version: \(rvParam)")
            }
            startRev = n
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: asTable ? "application/json;as=Table;v=v1;g=meta.k8s.io" : "application/json")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        let events: AsyncStream<StoreEvent>
        do {
            events = try store.watch(prefix: pfx, after: startRev)
        } catch {
            // kube-apiserver answers an expired watch with 200 and a single ERROR event.
            let currentRev = store.revision
            let status = APIError.gone("too old resource version: \(startRev) (\(currentRev))").status
            let line = Array((JSON.object(["type": "ERROR", "object": status]).serialized() + "\n").utf8)
            return .stream(status: .ok, headers: headers, produce: { write in try await write(line) })
        }
        let handler = self
        let initialEvents = initial
        return .stream(status: .ok, headers: headers) { write in
            var enc = WatchEncoder(handler: handler, resource: r, asTable: asTable)
            for o in initialEvents { try await write(enc.encode("ADDED", o.value, bytes: o.bytes)) }
            if sendInitial && bookmarks { try await write(enc.bookmark(startRev, initialEnd: true)) }
            let encoder = enc
            try await withThrowingTaskGroup(of: Void.self) { g in
                g.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                }
                g.addTask {
                    var enc = encoder
                    for await e in events {
                        let newMatch = e.type != .deleted && sel.matches(e.object, r)
                        let oldMatch = e.previous.map { sel.matches($0, r) } ?? false
                        switch e.type {
                        case .added:
                            if newMatch { try await write(enc.encode("ADDED", e.object, bytes: e.bytes)) }
                        case .modified:
                            if newMatch && oldMatch { try await write(enc.encode("MODIFIED", e.object, bytes: e.bytes)) }
                            else if newMatch { try await write(enc.encode("ADDED", e.object, bytes: e.bytes)) }
                            else if oldMatch { try await write(enc.encode("DELETED", e.object, bytes: e.bytes)) }
                        case .deleted:
                            if oldMatch { try await write(enc.encode("DELETED", e.object, bytes: e.bytes)) }
                        }
                    }
                }
                _ = try await g.next()
                g.cancelAll()
            }
        }
    }
}

/// Encodes watch events as JSON lines, or as one-row Tables (column definitions only in the first).
struct WatchEncoder {
    let handler: APIHandler
    let resource: ResourceType
    let asTable: Bool
    var first = true

    /// One event line. `bytes` is `obj` serialized (as stored), reused unless a Table is asked for.
    mutating func encode(_ type: String, _ obj: JSON, bytes: [UInt8]) -> [UInt8] {
        if asTable {
            let o = handler.table(resource, [obj], resourceVersion: obj.at("metadata", "resourceVersion")?.stringValue ?? "", includeColumns: first)
            first = false
            return Array((JSON.object(["type": .string(type), "object": o]).serialized() + "\n").utf8)
        }
        var line: [UInt8] = []
        line.reserveCapacity(bytes.count + 32)
        line.append(contentsOf: #"{"object":"#.utf8)
        line.append(contentsOf: bytes)
        line.append(contentsOf: #","type":"#.utf8)
        JSON.string(type).write(to: &line)
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    func bookmark(_ rev: Int64, initialEnd: Bool) -> [UInt8] {
        var meta: JSON = ["resourceVersion": .string(String(rev))]
        if initialEnd { meta["annotations"] = ["k8s.io/initial-events-end": "true"] }
        let o: JSON = ["kind": .string(resource.kind), "apiVersion": .string(resource.apiVersion), "metadata": meta]
        return Array((JSON.object(["type": "BOOKMARK", "object": o]).serialized() + "\n").utf8)
    }
}
