// RFC 6902 JSON patch with the observable behaviour of gopkg.in/evanphx/json-patch.v4 v4.12.0, the version
// kube-apiserver 1.32 links. Its quirks are kept on purpose because they decide what a PATCH returns:
// `replace` of a missing object member adds it, `copy` from a missing member copies null, `replace` of the
// root with a scalar is a no-op, negative array indices count from the end, and only the part of a pointer
// after its first "/" is used.

extension Patch {
    /// kube-apiserver's default `--json-patch-max-copy-bytes` (3 MiB of values duplicated by `copy`).
    static let jsonPatchMaxCopyBytes = 3 * 1024 * 1024

    /// RFC 6902 JSON patch (add, remove, replace, move, copy, test; `~0`/`~1` escapes; `-` appends).
    /// A body that is not an array of operation objects throws a 400 `.undecodable`; a failing operation
    /// throws a 422 `.operationFailed` and nothing is applied.
    public static func jsonPatch(_ original: JSON, operations: JSON) throws(PatchError) -> JSON {
        let ops = try decodeJSONPatch(operations)
        if ops.count > maxJSONPatchOperations { throw .tooManyOperations(ops.count) }
        var doc = original
        var copiedBytes = 0
        for op in ops {
            if let failure = apply(op, to: &doc, copiedBytes: &copiedBytes) { throw .operationFailed(failure) }
        }
        return doc
    }

    /// Mirrors the strict pre-decode into `[]handlers.jsonPatchOp` that kube-apiserver runs with its default
    /// fieldValidation: elements must be objects (or null), and op/path/from strings (or null).
    static func decodeJSONPatch(_ body: JSON) throws(PatchError) -> [[String: JSON]] {
        func fail(_ what: String) -> PatchError { .undecodable("error decoding patch: json: cannot unmarshal " + what) }
        let elements: [JSON]
        switch body {
        case .null: return []
        case .array(let a): elements = a
        default: throw fail("\(body.patchGoJSONKind) into Go value of type []handlers.jsonPatchOp")
        }
        var ops: [[String: JSON]] = []
        for element in elements {
            switch element {
            case .null: ops.append([:])
            case .object(let o):
                for field in ["op", "path", "from"] {
                    if let v = o[field], !v.isNull, v.stringValue == nil {
                        throw fail("\(v.patchGoJSONKind) into Go struct field jsonPatchOp.\(field) of type string")
                    }
                }
                ops.append(o)
            default: throw fail("\(element.patchGoJSONKind) into Go value of type handlers.jsonPatchOp")
            }
        }
        return ops
    }

    /// A JSON pointer split the way json-patch v4's findObject does: the first segment is ignored, the
    /// middle ones lead to the container and the last is the key in it.
    struct PatchPointer {
        var parents: [String]
        var key: String

        init?(_ path: String) {
            let split = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard split.count >= 2 else { return nil }
            parents = split[1..<(split.count - 1)].map(PatchPointer.unescape)
            key = PatchPointer.unescape(split[split.count - 1])
        }

        /// RFC 6901: `~1` is `/`, `~0` is `~`, decoded left to right in one pass.
        static func unescape(_ token: String) -> String {
            guard token.contains("~") else { return token }
            var out = ""
            var it = token.makeIterator()
            var pending: Character? = it.next()
            while let c = pending {
                pending = it.next()
                if c == "~", let n = pending, n == "0" || n == "1" {
                    out.append(n == "0" ? "~" : "/")
                    pending = it.next()
                } else {
                    out.append(c)
                }
            }
            return out
        }
    }

    /// Go's strconv.Atoi, returning the error text on failure.
    static func patchAtoi(_ s: String) -> Result<Int, JSONPatchText> {
        if let i = Int(s) { return .success(i) }
        let digits = s.first == "+" || s.first == "-" ? s.dropFirst() : Substring(s)
        let isNumeric = !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
        return .failure(
            JSONPatchText("strconv.Atoi: parsing \"\(s)\": " + (isNumeric ? "value out of range" : "invalid syntax")))
    }

    struct JSONPatchText: Error {
        var text: String
        init(_ t: String) { text = t }
    }

    static func invalidIndex(_ i: Int) -> JSONPatchText {
        JSONPatchText("Unable to access invalid index: \(i): invalid index referenced")
    }

    /// Calls `body` with the container (object or array) that `parents` lead to. Returns false when the
    /// path does not resolve: a missing or null member, a bad index, or a scalar on the way.
    static func withContainer(
        _ node: inout JSON, _ parents: ArraySlice<String>, _ body: (inout JSON) -> JSONPatchText?
    ) -> (found: Bool, failure: JSONPatchText?) {
        guard let part = parents.first else { return (true, body(&node)) }
        switch node {
        case .object(var o):
            guard var child = o[part], child.patchIsContainer else { return (false, nil) }
            node = .null  // keeps `o` uniquely referenced while it is edited
            o[part] = nil
            let r = withContainer(&child, parents.dropFirst(), body)
            o[part] = child
            node = .object(o)
            return r
        case .array(var a):
            guard case .success(var i) = patchAtoi(part) else { return (false, nil) }
            if i < 0 {
                if i < -a.count { return (false, nil) }
                i += a.count
            }
            guard i < a.count, a[i].patchIsContainer else { return (false, nil) }
            node = .null
            var child = a[i]
            a[i] = .null
            let r = withContainer(&child, parents.dropFirst(), body)
            a[i] = child
            node = .array(a)
            return r
        default:
            return (false, nil)
        }
    }

    /// json-patch's container `get`: nil for a missing or null member (objects never fail).
    static func containerGet(_ c: JSON, _ key: String) -> Result<JSON?, JSONPatchText> {
        switch c {
        case .object(let o):
            if let v = o[key], !v.isNull { return .success(v) }
            return .success(nil)
        case .array(let a):
            switch patchAtoi(key) {
            case .failure(let e): return .failure(e)
            case .success(var i):
                if i < 0 {
                    if i < -a.count { return .failure(invalidIndex(i)) }
                    i += a.count
                }
                if i >= a.count { return .failure(invalidIndex(i)) }
                return .success(a[i].isNull ? nil : a[i])
            }
        default: return .success(nil)
        }
    }

    static func containerAdd(_ c: inout JSON, _ key: String, _ value: JSON) -> JSONPatchText? {
        switch c {
        case .object(var o):
            c = .null
            o[key] = value
            c = .object(o)
            return nil
        case .array(var a):
            var index = a.count
            if key != "-" {
                switch patchAtoi(key) {
                case .failure(let e): return JSONPatchText("value was not a proper array index: '\(key)': \(e.text)")
                case .success(let i):
                    let size = a.count + 1
                    if i >= size { return invalidIndex(i) }
                    if i < 0 && i < -size { return invalidIndex(i) }
                    index = i < 0 ? i + size : i
                }
            }
            c = .null
            a.insert(value, at: index)
            c = .array(a)
            return nil
        default: return nil
        }
    }

    static func containerRemove(_ c: inout JSON, _ key: String) -> JSONPatchText? {
        switch c {
        case .object(var o):
            guard o[key] != nil else { return JSONPatchText("Unable to remove nonexistent key: \(key): missing value") }
            c = .null
            o[key] = nil
            c = .object(o)
            return nil
        case .array(var a):
            switch patchAtoi(key) {
            case .failure(let e): return e
            case .success(var i):
                if i >= a.count { return invalidIndex(i) }
                if i < 0 {
                    if i < -a.count { return invalidIndex(i) }
                    i += a.count
                }
                c = .null
                a.remove(at: i)
                c = .array(a)
                return nil
            }
        default: return nil
        }
    }

    /// Sets an existing array slot or any object member (json-patch's `set`, used by replace).
    static func containerSet(_ c: inout JSON, _ key: String, _ value: JSON) {
        switch c {
        case .object(var o):
            c = .null
            o[key] = value
            c = .object(o)
        case .array(var a):
            guard case .success(var i) = patchAtoi(key) else { return }
            if i < 0 { i += a.count }
            guard i >= 0 && i < a.count else { return }
            c = .null
            a[i] = value
            c = .array(a)
        default: break
        }
    }

    /// Applies one operation; returns json-patch's error text on failure.
    static func apply(_ op: [String: JSON], to doc: inout JSON, copiedBytes: inout Int) -> String? {
        let kind = op["op"]?.stringValue ?? "unknown"
        let path = op["path"]?.stringValue
        let from = op["from"]?.stringValue
        // An absent "value" is Go's nil node, which add/replace store as null.
        let value = op["value"]

        switch kind {
        case "add":
            guard let path else { return "add operation failed to decode path: missing value" }
            let missing = "add operation does not apply: doc is missing path: \"\(path)\": missing value"
            guard let p = PatchPointer(path) else { return missing }
            let r = withContainer(&doc, p.parents[...]) { c in containerAdd(&c, p.key, value ?? .null) }
            if !r.found { return missing }
            return r.failure.map { "error in add for path: '\(path)': \($0.text)" }

        case "remove":
            guard let path else { return "remove operation failed to decode path: missing value" }
            let missing = "remove operation does not apply: doc is missing path: \"\(path)\": missing value"
            guard let p = PatchPointer(path) else { return missing }
            let r = withContainer(&doc, p.parents[...]) { c in containerRemove(&c, p.key) }
            if !r.found { return missing }
            return r.failure.map { "error in remove for path: '\(path)': \($0.text)" }

        case "replace":
            guard let path else {
                return "replace operation failed to decode path: operation missing path field: missing value"
            }
            if path.isEmpty {
                // v4 wraps a nil error here, so a scalar root replacement silently does nothing.
                switch value {
                case .object?, .array?: doc = value!
                default: break
                }
                return nil
            }
            let missing = "replace operation does not apply: doc is missing path: \(path): missing value"
            guard let p = PatchPointer(path) else { return missing }
            let r = withContainer(&doc, p.parents[...]) { c in
                if case .failure = containerGet(c, p.key) {
                    return JSONPatchText("replace operation does not apply: doc is missing key: \(path): missing value")
                }
                containerSet(&c, p.key, value ?? .null)
                return nil
            }
            if !r.found { return missing }
            return r.failure?.text

        case "move":
            guard let from else {
                return "move operation failed to decode from: operation, missing from field: missing value"
            }
            let missingFrom = "move operation does not apply: doc is missing from path: \(from): missing value"
            guard let f = PatchPointer(from) else { return missingFrom }
            var moved: JSON? = nil
            let taken = withContainer(&doc, f.parents[...]) { c in
                switch containerGet(c, f.key) {
                case .failure(let e): return JSONPatchText("error in move for path: '\(f.key)': \(e.text)")
                case .success(let v): moved = v
                }
                return containerRemove(&c, f.key).map {
                    JSONPatchText("error in move for path: '\(f.key)': \($0.text)")
                }
            }
            if !taken.found { return missingFrom }
            if let e = taken.failure { return e.text }
            guard let path else {
                return "move operation failed to decode path: operation missing path field: missing value"
            }
            let missingTo = "move operation does not apply: doc is missing destination path: \(path): missing value"
            guard let p = PatchPointer(path) else { return missingTo }
            let put = withContainer(&doc, p.parents[...]) { c in containerAdd(&c, p.key, moved ?? .null) }
            if !put.found { return missingTo }
            return put.failure.map { "error in move for path: '\(path)': \($0.text)" }

        case "test":
            guard let path else {
                return "test operation failed to decode path: operation missing path field: missing value"
            }
            let failed = "testing value \(path) failed: test failed"
            if path.isEmpty { return doc == (value ?? .null) ? nil : failed }
            let missing = "test operation does not apply: is missing path: \(path): missing value"
            guard let p = PatchPointer(path) else { return missing }
            var outcome: String? = nil
            let r = withContainer(&doc, p.parents[...]) { c in
                switch containerGet(c, p.key) {
                case .failure(let e): outcome = "error in test for path: '\(path)': \(e.text)"
                case .success(nil):
                    // A missing or null target matches only a null value.
                    if let value, !value.isNull { outcome = failed }
                case .success(let current?):
                    if current != value { outcome = failed }
                }
                return nil
            }
            if !r.found { return missing }
            return outcome

        case "copy":
            guard let from else {
                return "copy operation failed to decode from: operation, missing from field: missing value"
            }
            let missingFrom = "copy operation does not apply: doc is missing from path: \(from): missing value"
            guard let f = PatchPointer(from) else { return missingFrom }
            var copied: JSON? = nil
            var getFailure: String? = nil
            let found = withContainer(&doc, f.parents[...]) { c in
                switch containerGet(c, f.key) {
                case .failure(let e): getFailure = "error in copy for from: '\(from)': \(e.text)"
                case .success(let v): copied = v
                }
                return nil
            }
            if !found.found { return missingFrom }
            if let getFailure { return getFailure }
            guard let path else { return "copy operation failed to decode path: missing value" }
            let missingTo = "copy operation does not apply: doc is missing destination path: \(path): missing value"
            guard let p = PatchPointer(path) else { return missingTo }
            var sizeFailure: String? = nil
            let put = withContainer(&doc, p.parents[...]) { c in
                copiedBytes += copied.map { $0.serialized().utf8.count } ?? 0
                if copiedBytes > jsonPatchMaxCopyBytes {
                    sizeFailure =
                        "Unable to complete the copy, the accumulated size increase of copy is "
                        + "\(copiedBytes), exceeding the limit \(jsonPatchMaxCopyBytes)"
                    return nil
                }
                return containerAdd(&c, p.key, copied ?? .null)
            }
            if !put.found { return missingTo }
            if let sizeFailure { return sizeFailure }
            return put.failure.map { "error while adding value during copy: \($0.text)" }

        default:
            return "Unexpected kind: \(kind)"
        }
    }
}

extension JSON {
    var patchIsContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }
}
