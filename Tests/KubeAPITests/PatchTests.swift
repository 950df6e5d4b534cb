import Testing

@testable import KubeAPI

/// One patch application: inputs as JSON text, and either the exact result or the exact error.
struct PatchCase: Sendable, CustomTestStringConvertible {
    var name: String
    var original: String
    var patch: String
    var expected: String? = nil
    var error: PatchError? = nil
    var resource: ResourceType = .service

    var testDescription: String { name }
}

private func parsed(_ text: String) throws -> JSON { try JSON.parse(text) }

/// Runs `body` and compares with the case's result or error, so each table row is one exact assertion.
private func check(_ c: PatchCase, _ body: (JSON, JSON) throws(PatchError) -> JSON) throws {
    let original = try parsed(c.original)
    let patch = try parsed(c.patch)
    let expected = try c.expected.map(parsed)
    do throws(PatchError) {
        let result = try body(original, patch)
        #expect(c.error == nil, "expected \(String(describing: c.error)), got \(result.serialized())")
        #expect(expected == nil || result == expected, "got \(result.serialized())")
    } catch {
        #expect(c.error == error, "got \(error)")
        #expect(c.expected == nil)
    }
}

// MARK: - JSON merge patch

@Suite struct MergePatchTests {
    static let cases: [PatchCase] = [
        PatchCase(
            name: "adds a label and keeps siblings", original: #"{"metadata":{"labels":{"a":"1"},"name":"x"}}"#,
            patch: #"{"metadata":{"labels":{"b":"2"}}}"#,
            expected: #"{"metadata":{"labels":{"a":"1","b":"2"},"name":"x"}}"#),
        PatchCase(
            name: "null deletes a member", original: #"{"metadata":{"labels":{"a":"1","b":"2"}}}"#,
            patch: #"{"metadata":{"labels":{"a":null}}}"#, expected: #"{"metadata":{"labels":{"b":"2"}}}"#),
        PatchCase(
            name: "null for a missing member is a no-op", original: #"{"a":1}"#, patch: #"{"b":null}"#,
            expected: #"{"a":1}"#),
        PatchCase(
            name: "lists are replaced wholesale", original: #"{"spec":{"ports":[{"port":80},{"port":81}]}}"#,
            patch: #"{"spec":{"ports":[{"port":90}]}}"#, expected: #"{"spec":{"ports":[{"port":90}]}}"#),
        PatchCase(
            name: "nulls inside a new subtree are pruned", original: #"{"a":1}"#,
            patch: #"{"spec":{"x":null,"y":{"z":null,"w":2}}}"#, expected: #"{"a":1,"spec":{"y":{"w":2}}}"#),
        PatchCase(
            name: "nulls in objects inside a new list are pruned (json-patch v4)",
            original: #"{"spec":{"ports":[{"port":80}]}}"#,
            patch: #"{"spec":{"ports":[{"port":81,"nodePort":null},null]}}"#,
            expected: #"{"spec":{"ports":[{"port":81},null]}}"#),
        PatchCase(
            name: "object replaces a scalar", original: #"{"a":"s"}"#, patch: #"{"a":{"b":1,"c":null}}"#,
            expected: #"{"a":{"b":1}}"#),
        PatchCase(
            name: "non-object patch replaces the target", original: #"{"a":1}"#, patch: #"[1,2]"#,
            expected: #"[1,2]"#),
        PatchCase(name: "string patch replaces the target", original: #"{"a":1}"#, patch: #""x""#, expected: #""x""#),
        PatchCase(name: "empty patch changes nothing", original: #"{"a":[1]}"#, patch: #"{}"#, expected: #"{"a":[1]}"#),
    ]

    @Test(arguments: cases)
    func rfc7386(_ c: PatchCase) throws {
        try check(c) { o, p in Patch.mergePatch(o, p) }
    }

    static let checkedCases: [PatchCase] = [
        PatchCase(
            name: "object body applies", original: #"{"a":1}"#, patch: #"{"b":2}"#, expected: #"{"a":1,"b":2}"#),
        PatchCase(
            name: "array body is a 400", original: #"{"a":1}"#, patch: #"[{"op":"add"}]"#,
            error: .undecodable(
                "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}")),
        PatchCase(
            name: "string body is a 400", original: #"{"a":1}"#, patch: #""x""#,
            error: .undecodable(
                "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}")),
        PatchCase(
            name: "number body is a 400", original: #"{"a":1}"#, patch: #"5"#,
            error: .undecodable(
                "error decoding patch: json: cannot unmarshal number into Go value of type map[string]interface {}")),
        PatchCase(
            name: "null body is Invalid JSON Patch", original: #"{"a":1}"#, patch: #"null"#,
            error: .undecodable("Invalid JSON Patch")),
    ]

    @Test(arguments: checkedCases)
    func asKubeAPIServer(_ c: PatchCase) throws {
        try check(c) { o, p throws(PatchError) in try Patch.checkedMergePatch(o, p) }
    }
}

// MARK: - JSON patch

@Suite struct JSONPatchTests {
    static let doc =
        #"{"metadata":{"name":"web","labels":{"app":"web"},"finalizers":["a","b","c"]},"spec":{"ports":[{"port":80},{"port":81}]}}"#

    static let cases: [PatchCase] = [
        PatchCase(
            name: "add a member", original: #"{"metadata":{"labels":{"a":"1"}}}"#,
            patch: #"[{"op":"add","path":"/metadata/labels/z","value":"w"}]"#,
            expected: #"{"metadata":{"labels":{"a":"1","z":"w"}}}"#),
        PatchCase(
            name: "add replaces an existing member", original: #"{"a":1}"#,
            patch: #"[{"op":"add","path":"/a","value":[2]}]"#, expected: #"{"a":[2]}"#),
        PatchCase(
            name: "add inserts at an index", original: #"{"l":["a","c"]}"#,
            patch: #"[{"op":"add","path":"/l/1","value":"b"}]"#, expected: #"{"l":["a","b","c"]}"#),
        PatchCase(
            name: "add at index == length appends", original: #"{"l":["a"]}"#,
            patch: #"[{"op":"add","path":"/l/1","value":"b"}]"#, expected: #"{"l":["a","b"]}"#),
        PatchCase(
            name: "dash appends", original: #"{"l":["a"]}"#, patch: #"[{"op":"add","path":"/l/-","value":{"x":1}}]"#,
            expected: #"{"l":["a",{"x":1}]}"#),
        PatchCase(
            name: "negative index counts from the end (v4)", original: #"{"l":["a","b"]}"#,
            patch: #"[{"op":"add","path":"/l/-1","value":"z"},{"op":"remove","path":"/l/-3"}]"#,
            expected: #"{"l":["b","z"]}"#),
        PatchCase(
            name: "add without value stores null", original: #"{"a":1}"#, patch: #"[{"op":"add","path":"/b"}]"#,
            expected: #"{"a":1,"b":null}"#),
        PatchCase(
            name: "remove a member and an element", original: doc,
            patch: #"[{"op":"remove","path":"/metadata/labels"},{"op":"remove","path":"/spec/ports/0"}]"#,
            expected: #"{"metadata":{"name":"web","finalizers":["a","b","c"]},"spec":{"ports":[{"port":81}]}}"#),
        PatchCase(
            name: "replace an element field", original: doc,
            patch: #"[{"op":"replace","path":"/spec/ports/1/port","value":8080}]"#,
            expected:
                #"{"metadata":{"name":"web","labels":{"app":"web"},"finalizers":["a","b","c"]},"spec":{"ports":[{"port":80},{"port":8080}]}}"#
        ),
        PatchCase(
            name: "replace of a missing member adds it (v4)", original: #"{"a":1}"#,
            patch: #"[{"op":"replace","path":"/b","value":2}]"#, expected: #"{"a":1,"b":2}"#),
        PatchCase(
            name: "replace the root with an object", original: #"{"a":1}"#,
            patch: #"[{"op":"replace","path":"","value":{"b":2}}]"#, expected: #"{"b":2}"#),
        PatchCase(
            name: "replace the root with a scalar does nothing (v4)", original: #"{"a":1}"#,
            patch: #"[{"op":"replace","path":"","value":3}]"#, expected: #"{"a":1}"#),
        PatchCase(
            name: "move between containers", original: #"{"a":{"x":1},"b":{}}"#,
            patch: #"[{"op":"move","from":"/a/x","path":"/b/y"}]"#, expected: #"{"a":{},"b":{"y":1}}"#),
        PatchCase(
            name: "move within a list", original: #"{"l":["a","b","c"]}"#,
            patch: #"[{"op":"move","from":"/l/0","path":"/l/-"}]"#, expected: #"{"l":["b","c","a"]}"#),
        PatchCase(
            name: "copy deep-copies", original: #"{"a":{"x":[1]},"b":{}}"#,
            patch: #"[{"op":"copy","from":"/a","path":"/b/c"},{"op":"add","path":"/b/c/x/-","value":2}]"#,
            expected: #"{"a":{"x":[1]},"b":{"c":{"x":[1,2]}}}"#),
        PatchCase(
            name: "copy from a missing member copies null (v4)", original: #"{"a":{}}"#,
            patch: #"[{"op":"copy","from":"/a/nope","path":"/b"}]"#, expected: #"{"a":{},"b":null}"#),
        PatchCase(
            name: "test passes then later ops apply", original: doc,
            patch:
                #"[{"op":"test","path":"/metadata/finalizers","value":["a","b","c"]},{"op":"test","path":"/spec/ports/-1","value":{"port":81}},{"op":"remove","path":"/metadata/finalizers/1"}]"#,
            expected:
                #"{"metadata":{"name":"web","labels":{"app":"web"},"finalizers":["a","c"]},"spec":{"ports":[{"port":80},{"port":81}]}}"#
        ),
        PatchCase(
            name: "test null matches a missing member", original: #"{"a":1}"#,
            patch: #"[{"op":"test","path":"/b","value":null}]"#, expected: #"{"a":1}"#),
        PatchCase(
            name: "escapes ~1 and ~0 in keys", original: #"{"metadata":{"annotations":{"a/b":"1","c~d":"2"}}}"#,
            patch:
                #"[{"op":"replace","path":"/metadata/annotations/a~1b","value":"x"},{"op":"remove","path":"/metadata/annotations/c~0d"}]"#,
            expected: #"{"metadata":{"annotations":{"a/b":"x"}}}"#),
        PatchCase(
            name: "the first pointer segment is ignored (v4)", original: #"{"a":{"b":1}}"#,
            patch: #"[{"op":"replace","path":"a/b","value":2}]"#, expected: #"{"a":{"b":1},"b":2}"#),
        PatchCase(name: "null body is an empty patch", original: #"{"a":1}"#, patch: "null", expected: #"{"a":1}"#),
        PatchCase(name: "empty list is an empty patch", original: #"{"a":1}"#, patch: "[]", expected: #"{"a":1}"#),
    ]

    @Test(arguments: cases)
    func applies(_ c: PatchCase) throws {
        try check(c) { o, p throws(PatchError) in try Patch.jsonPatch(o, operations: p) }
    }

    static let failures: [PatchCase] = [
        PatchCase(
            name: "failed test", original: doc, patch: #"[{"op":"test","path":"/metadata/name","value":"api"}]"#,
            error: .operationFailed("testing value /metadata/name failed: test failed")),
        PatchCase(
            name: "test int against double", original: #"{"a":1}"#, patch: #"[{"op":"test","path":"/a","value":1.5}]"#,
            error: .operationFailed("testing value /a failed: test failed")),
        PatchCase(
            name: "test of a missing member against a value", original: #"{"a":1}"#,
            patch: #"[{"op":"test","path":"/b","value":1}]"#,
            error: .operationFailed("testing value /b failed: test failed")),
        PatchCase(
            name: "add under a missing parent", original: doc,
            patch: #"[{"op":"add","path":"/metadata/annotations/x","value":"y"}]"#,
            error: .operationFailed(
                #"add operation does not apply: doc is missing path: "/metadata/annotations/x": missing value"#)),
        PatchCase(
            name: "add at the root", original: #"{"a":1}"#, patch: #"[{"op":"add","path":"","value":{}}]"#,
            error: .operationFailed(#"add operation does not apply: doc is missing path: "": missing value"#)),
        PatchCase(
            name: "add past the end", original: #"{"l":[1]}"#, patch: #"[{"op":"add","path":"/l/3","value":2}]"#,
            error: .operationFailed(
                "error in add for path: '/l/3': Unable to access invalid index: 3: invalid index referenced")),
        PatchCase(
            name: "add with a non-numeric index", original: #"{"l":[1]}"#,
            patch: #"[{"op":"add","path":"/l/x","value":2}]"#,
            error: .operationFailed(
                #"error in add for path: '/l/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax"#
            )),
        PatchCase(
            name: "remove a missing member", original: doc, patch: #"[{"op":"remove","path":"/metadata/uid"}]"#,
            error: .operationFailed(
                "error in remove for path: '/metadata/uid': Unable to remove nonexistent key: uid: missing value")),
        PatchCase(
            name: "remove out of range", original: doc, patch: #"[{"op":"remove","path":"/spec/ports/2"}]"#,
            error: .operationFailed(
                "error in remove for path: '/spec/ports/2': Unable to access invalid index: 2: invalid index referenced"
            )),
        PatchCase(
            name: "remove with dash", original: doc, patch: #"[{"op":"remove","path":"/spec/ports/-"}]"#,
            error: .operationFailed(
                #"error in remove for path: '/spec/ports/-': strconv.Atoi: parsing "-": invalid syntax"#)),
        PatchCase(
            name: "replace out of range", original: doc, patch: #"[{"op":"replace","path":"/spec/ports/5","value":1}]"#,
            error: .operationFailed(
                "replace operation does not apply: doc is missing key: /spec/ports/5: missing value")),
        PatchCase(
            name: "replace through a scalar", original: doc,
            patch: #"[{"op":"replace","path":"/metadata/name/x","value":1}]"#,
            error: .operationFailed(
                "replace operation does not apply: doc is missing path: /metadata/name/x: missing value")),
        PatchCase(
            name: "move from a missing member", original: #"{"a":{}}"#,
            patch: #"[{"op":"move","from":"/a/b","path":"/c"}]"#,
            error: .operationFailed("error in move for path: 'b': Unable to remove nonexistent key: b: missing value")),
        PatchCase(
            name: "move without from", original: #"{"a":{}}"#, patch: #"[{"op":"move","path":"/c"}]"#,
            error: .operationFailed(
                "move operation failed to decode from: operation, missing from field: missing value")),
        PatchCase(
            name: "move into its own child", original: #"{"a":{"b":1}}"#,
            patch: #"[{"op":"move","from":"/a","path":"/a/c"}]"#,
            error: .operationFailed(
                "move operation does not apply: doc is missing destination path: /a/c: missing value")),
        PatchCase(
            name: "copy from out of range", original: #"{"l":[]}"#,
            patch: #"[{"op":"copy","from":"/l/0","path":"/m"}]"#,
            error: .operationFailed(
                "error in copy for from: '/l/0': Unable to access invalid index: 0: invalid index referenced")),
        PatchCase(
            name: "remove without path", original: #"{"a":1}"#, patch: #"[{"op":"remove"}]"#,
            error: .operationFailed("remove operation failed to decode path: missing value")),
        PatchCase(
            name: "unknown op", original: #"{"a":1}"#, patch: #"[{"op":"merge","path":"/a"}]"#,
            error: .operationFailed("Unexpected kind: merge")),
        PatchCase(
            name: "missing op", original: #"{"a":1}"#, patch: #"[{"path":"/a"}]"#,
            error: .operationFailed("Unexpected kind: unknown")),
        PatchCase(
            name: "null operation", original: #"{"a":1}"#, patch: #"[null]"#,
            error: .operationFailed("Unexpected kind: unknown")),
        PatchCase(
            name: "a later failure discards earlier operations", original: #"{"a":1}"#,
            patch: #"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}]"#,
            error: .operationFailed("testing value /a failed: test failed")),
        PatchCase(
            name: "object body", original: #"{"a":1}"#, patch: #"{"op":"add","path":"/b","value":1}"#,
            error: .undecodable(
                "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp")),
        PatchCase(
            name: "string element", original: #"{"a":1}"#, patch: #"["add"]"#,
            error: .undecodable(
                "error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp")),
        PatchCase(
            name: "numeric op", original: #"{"a":1}"#, patch: #"[{"op":1,"path":"/a"}]"#,
            error: .undecodable(
                "error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string"
            )),
        PatchCase(
            name: "array path", original: #"{"a":1}"#, patch: #"[{"op":"remove","path":["a"]}]"#,
            error: .undecodable(
                "error decoding patch: json: cannot unmarshal array into Go struct field jsonPatchOp.path of type string"
            )),
    ]

    @Test(arguments: failures)
    func fails(_ c: PatchCase) throws {
        try check(c) { o, p throws(PatchError) in try Patch.jsonPatch(o, operations: p) }
    }

    @Test func operationLimit() throws {
        let op: JSON = ["op": "test", "path": "/a", "value": 1]
        let ok = try Patch.jsonPatch(["a": 1], operations: .array(Array(repeating: op, count: 10000)))
        #expect(ok == ["a": 1])
        #expect(throws: PatchError.tooManyOperations(10001)) {
            try Patch.jsonPatch(["a": 1], operations: .array(Array(repeating: op, count: 10001)))
        }
    }

    @Test func copyByteLimit() throws {
        // A 1 MiB string (1048578 bytes as JSON) copied three times exceeds kube-apiserver's 3 MiB accumulated-copy limit.
        let big = JSON.string(String(repeating: "x", count: 1 << 20))
        let copy: JSON = ["op": "copy", "from": "/a", "path": "/b"]
        _ = try Patch.jsonPatch(["a": big], operations: [copy, copy])
        #expect(
            throws: PatchError.operationFailed(
                "Unable to complete the copy, the accumulated size increase of copy is 3145734, exceeding the limit 3145728"
            )
        ) {
            try Patch.jsonPatch(["a": big], operations: [copy, copy, copy])
        }
    }
}

// MARK: - Strategic merge patch

@Suite struct StrategicMergePatchTests {
    static let service =
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx","finalizers":["a","b"]},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}],"selector":{"app":"nginx"},"externalIPs":["1.1.1.1","2.2.2.2"]}}"#

    static let cases: [PatchCase] = [
        PatchCase(
            name: "kubectl apply: $setElementOrder keeps unmentioned fields of the item",
            original:
                #"{"metadata":{"name":"nginx","annotations":{"x":"y"}},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}]}}"#,
            patch:
                #"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},"spec":{"$setElementOrder/ports":[{"port":80}],"ports":[{"port":80,"targetPort":9090}]}}"#,
            expected:
                #"{"metadata":{"name":"nginx","annotations":{"x":"y","kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":9090}]}}"#
        ),
        PatchCase(
            name: "kubectl patch: a new port merges in front of the live ones",
            original: #"{"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}]}}"#,
            patch: #"{"spec":{"ports":[{"port":81,"name":"h2"}]}}"#,
            expected:
                #"{"spec":{"ports":[{"name":"h2","port":81},{"name":"http","port":80,"protocol":"TCP","targetPort":80}]}}"#
        ),
        PatchCase(
            name: "patch items keep patch order, server-only items slot in by live order",
            original: #"{"spec":{"ports":[{"port":1},{"port":2,"name":"b"},{"port":3}]}}"#,
            patch: #"{"spec":{"ports":[{"port":3,"name":"c"},{"port":1,"name":"a"}]}}"#,
            expected: #"{"spec":{"ports":[{"port":2,"name":"b"},{"port":3,"name":"c"},{"port":1,"name":"a"}]}}"#),
        PatchCase(
            name: "null deletes, maps merge, atomic lists are replaced", original: service,
            patch:
                #"{"metadata":{"labels":{"l":"1"}},"spec":{"selector":{"app":null,"tier":"web"},"externalIPs":["3.3.3.3"]}}"#,
            expected:
                #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx","finalizers":["a","b"],"labels":{"l":"1"}},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}],"selector":{"tier":"web"},"externalIPs":["3.3.3.3"]}}"#
        ),
        PatchCase(
            name: "null inside a merged item deletes that field",
            original: #"{"spec":{"ports":[{"port":80,"nodePort":30080,"name":"http"}]}}"#,
            patch: #"{"spec":{"ports":[{"port":80,"nodePort":null}]}}"#,
            expected: #"{"spec":{"ports":[{"port":80,"name":"http"}]}}"#),
        PatchCase(
            name: "$patch: delete removes every item with the key",
            original: #"{"spec":{"ports":[{"port":53,"protocol":"TCP"},{"port":80},{"port":53,"protocol":"UDP"}]}}"#,
            patch: #"{"spec":{"ports":[{"port":53,"$patch":"delete"}]}}"#,
            expected: #"{"spec":{"ports":[{"port":80}]}}"#),
        PatchCase(
            name: "$patch: replace in a list replaces it with the other items",
            original: #"{"spec":{"ports":[{"port":80,"name":"a"},{"port":81}]}}"#,
            patch: #"{"spec":{"ports":[{"port":81,"name":"b","nodePort":null},{"$patch":"replace"}]}}"#,
            expected: #"{"spec":{"ports":[{"port":81,"name":"b"}]}}"#),
        PatchCase(
            name: "lone $patch: replace empties the list",
            original: #"{"spec":{"ports":[{"port":80}]}}"#, patch: #"{"spec":{"ports":[{"$patch":"replace"}]}}"#,
            expected: #"{"spec":{"ports":[]}}"#),
        PatchCase(
            name: "$patch: replace on a map drops its other keys",
            original: #"{"spec":{"selector":{"app":"a","tier":"t"}}}"#,
            patch: #"{"spec":{"selector":{"$patch":"replace","app":"b","gone":null}}}"#,
            expected: #"{"spec":{"selector":{"app":"b"}}}"#),
        PatchCase(
            name: "$patch: delete on a map empties it",
            original: #"{"spec":{"selector":{"app":"a"},"type":"ClusterIP"}}"#,
            patch: #"{"spec":{"selector":{"$patch":"delete"}}}"#,
            expected: #"{"spec":{"selector":{},"type":"ClusterIP"}}"#),
        PatchCase(
            name: "$patch: delete for an absent map adds nothing", original: #"{"spec":{}}"#,
            patch: #"{"spec":{"selector":{"$patch":"delete"}}}"#, expected: #"{"spec":{}}"#),
        PatchCase(
            name: "merged primitive list: patch values first in patch order, duplicates dropped", original: service,
            patch: #"{"metadata":{"finalizers":["c","a"]}}"#,
            expected:
                #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx","finalizers":["c","a","b"]},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}],"selector":{"app":"nginx"},"externalIPs":["1.1.1.1","2.2.2.2"]}}"#
        ),
        PatchCase(
            name: "$deleteFromPrimitiveList removes from merge and atomic lists", original: service,
            patch:
                #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a","zz"]},"spec":{"$deleteFromPrimitiveList/externalIPs":["1.1.1.1"]}}"#,
            expected:
                #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx","finalizers":["b"]},"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}],"selector":{"app":"nginx"},"externalIPs":["2.2.2.2"]}}"#
        ),
        PatchCase(
            name: "$deleteFromPrimitiveList never creates the list", original: #"{"metadata":{"name":"x"}}"#,
            patch: #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#,
            expected: #"{"metadata":{"name":"x"}}"#),
        PatchCase(
            name: "kubectl apply changing a finalizer",
            original: #"{"metadata":{"finalizers":["a","server"]}}"#,
            patch:
                #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"$setElementOrder/finalizers":["b"],"finalizers":["b"]}}"#,
            expected: #"{"metadata":{"finalizers":["b","server"]}}"#),
        PatchCase(
            name: "$setElementOrder alone reorders",
            original: #"{"spec":{"ports":[{"port":1},{"port":3,"name":"c"},{"port":4},{"port":2}]}}"#,
            patch: #"{"spec":{"$setElementOrder/ports":[{"port":4},{"port":2},{"port":3},{"port":1}]}}"#,
            expected: #"{"spec":{"ports":[{"port":4},{"port":2},{"port":3,"name":"c"},{"port":1}]}}"#),
        PatchCase(
            name: "$setElementOrder interleaves server-only items by live order",
            original:
                #"{"spec":{"ports":[{"port":1,"name":"a"},{"port":2},{"port":7},{"port":9},{"port":8},{"port":3},{"port":4}]}}"#,
            patch: #"{"spec":{"$setElementOrder/ports":[{"port":2},{"port":1},{"port":4},{"port":3}]}}"#,
            expected:
                #"{"spec":{"ports":[{"port":2},{"port":1,"name":"a"},{"port":7},{"port":9},{"port":8},{"port":4},{"port":3}]}}"#
        ),
        PatchCase(
            name: "$setElementOrder with additions and a deletion",
            original: #"{"spec":{"ports":[{"port":1,"name":"x"},{"port":3},{"port":2,"name":"y"}]}}"#,
            patch:
                #"{"spec":{"$setElementOrder/ports":[{"port":4},{"port":2},{"port":1}],"ports":[{"port":4,"name":"n"},{"port":3,"$patch":"delete"}]}}"#,
            expected: #"{"spec":{"ports":[{"port":4,"name":"n"},{"port":2,"name":"y"},{"port":1,"name":"x"}]}}"#),
        PatchCase(
            // Go shifts survivors left and appends into the same backing array, so the live order it
            // consults afterwards is [1, 5, 4]: server-only 5 now sorts before the new 4.
            name: "$setElementOrder ordering after delete+add sees Go's aliased live list",
            original: #"{"spec":{"ports":[{"port":1},{"port":3},{"port":5}]}}"#,
            patch:
                #"{"spec":{"$setElementOrder/ports":[{"port":4},{"port":1}],"ports":[{"port":4},{"port":3,"$patch":"delete"}]}}"#,
            expected: #"{"spec":{"ports":[{"port":5},{"port":4},{"port":1}]}}"#),
        PatchCase(
            name: "$setElementOrder for a list the object lacks",
            original: #"{"spec":{"type":"ClusterIP"}}"#,
            patch:
                #"{"spec":{"$setElementOrder/ports":[{"port":80},{"port":81}],"ports":[{"port":80,"$retainKeys":["port"]},{"port":81,"name":null}]}}"#,
            expected: #"{"spec":{"type":"ClusterIP","ports":[{"port":80},{"port":81}]}}"#),
        PatchCase(
            name: "directives in brand-new content never leak", original: #"{"metadata":{"name":"x"}}"#,
            patch:
                #"{"spec":{"$retainKeys":["ports"],"ports":[{"port":1,"$patch":"delete"},{"port":2,"x":null}],"selector":{"$patch":"replace"}}}"#,
            expected: #"{"metadata":{"name":"x"},"spec":{"ports":[{"port":2}]}}"#),
        PatchCase(
            name: "null patch changes nothing", original: #"{"a":1}"#, patch: "null", expected: #"{"a":1}"#),
        PatchCase(
            name: "service status load balancer ingress is atomic, conditions merge by type",
            original:
                #"{"status":{"loadBalancer":{"ingress":[{"ip":"1.1.1.1"},{"ip":"2.2.2.2"}]},"conditions":[{"type":"A","status":"True"},{"type":"B","status":"False"}]}}"#,
            patch:
                #"{"status":{"loadBalancer":{"ingress":[{"ip":"3.3.3.3"}]},"conditions":[{"type":"B","status":"True"}]}}"#,
            expected:
                #"{"status":{"loadBalancer":{"ingress":[{"ip":"3.3.3.3"}]},"conditions":[{"type":"A","status":"True"},{"type":"B","status":"True"}]}}"#
        ),
        PatchCase(
            name: "pod containers merge by name, their env by name and ports by containerPort",
            original:
                #"{"spec":{"containers":[{"name":"app","image":"a:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80,"name":"http"}]},{"name":"side","image":"s:1"}],"tolerations":[{"key":"k"}]}}"#,
            patch:
                #"{"spec":{"containers":[{"name":"app","$setElementOrder/env":[{"name":"B"},{"name":"A"},{"name":"C"}],"env":[{"name":"A","value":"9"},{"name":"C","value":"3"}],"ports":[{"containerPort":80,"protocol":"TCP"}]}],"tolerations":[{"key":"t"}]}}"#,
            expected:
                #"{"spec":{"containers":[{"name":"app","image":"a:1","env":[{"name":"B","value":"2"},{"name":"A","value":"9"},{"name":"C","value":"3"}],"ports":[{"containerPort":80,"name":"http","protocol":"TCP"}]},{"name":"side","image":"s:1"}],"tolerations":[{"key":"t"}]}}"#,
            resource: .pod),
        PatchCase(
            name: "pod volumes honour $retainKeys",
            original: #"{"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","secret":{"secretName":"s"}}]}}"#,
            patch: #"{"spec":{"volumes":[{"name":"v","$retainKeys":["configMap","name"],"configMap":{"name":"cm"}}]}}"#,
            expected:
                #"{"spec":{"volumes":[{"name":"v","configMap":{"name":"cm"}},{"name":"w","secret":{"secretName":"s"}}]}}"#,
            resource: .pod),
        PatchCase(
            name: "pod status conditions by type, podIPs by ip",
            original: #"{"status":{"conditions":[{"type":"Ready","status":"False"}],"podIPs":[{"ip":"10.0.0.1"}]}}"#,
            patch: #"{"status":{"conditions":[{"type":"Ready","status":"True"}],"podIPs":[{"ip":"fd00::1"}]}}"#,
            expected:
                #"{"status":{"conditions":[{"type":"Ready","status":"True"}],"podIPs":[{"ip":"fd00::1"},{"ip":"10.0.0.1"}]}}"#,
            resource: .pod),
        PatchCase(
            name: "ownerReferences merge by uid",
            original: #"{"metadata":{"ownerReferences":[{"uid":"u1","name":"a"}]}}"#,
            patch: #"{"metadata":{"ownerReferences":[{"uid":"u1","controller":true}]}}"#,
            expected: #"{"metadata":{"ownerReferences":[{"uid":"u1","name":"a","controller":true}]}}"#,
            resource: .configMap),
        PatchCase(
            name: "namespace spec.finalizers is atomic, metadata.finalizers merges",
            original: #"{"metadata":{"finalizers":["x"]},"spec":{"finalizers":["kubernetes"]}}"#,
            patch: #"{"metadata":{"finalizers":["y"]},"spec":{"finalizers":["other"]}}"#,
            expected: #"{"metadata":{"finalizers":["y","x"]},"spec":{"finalizers":["other"]}}"#, resource: .namespace),
        PatchCase(
            name: "ingress rules are atomic",
            original: #"{"spec":{"rules":[{"host":"a"},{"host":"b"}]}}"#, patch: #"{"spec":{"rules":[{"host":"c"}]}}"#,
            expected: #"{"spec":{"rules":[{"host":"c"}]}}"#, resource: .ingress),
        PatchCase(
            name: "configmap data merges key by key", original: #"{"data":{"a":"1","b":"2"}}"#,
            patch: #"{"data":{"a":null,"c":"3"}}"#, expected: #"{"data":{"b":"2","c":"3"}}"#, resource: .configMap),
        PatchCase(
            name: "a value of another type replaces the live one", original: #"{"spec":{"ports":"bogus","x":[1]}}"#,
            patch: #"{"spec":{"ports":[{"port":1,"name":null}],"x":{"y":1}}}"#,
            expected: #"{"spec":{"ports":[{"port":1}],"x":{"y":1}}}"#),
    ]

    @Test(arguments: cases)
    func applies(_ c: PatchCase) throws {
        try check(c) { o, p throws(PatchError) in try Patch.strategicMergePatch(o, p, resource: c.resource) }
    }

    static let failures: [PatchCase] = [
        PatchCase(
            name: "item without its merge key", original: #"{"spec":{"ports":[{"port":80}]}}"#,
            patch: #"{"spec":{"ports":[{"name":"h2","targetPort":8080}]}}"#,
            error: .mergeFailed("map: map[name:h2 targetPort:8080] does not contain declared merge key: port")),
        PatchCase(
            name: "$patch: delete without the merge key", original: #"{"spec":{"ports":[{"port":80}]}}"#,
            patch: #"{"spec":{"ports":[{"$patch":"delete"}]}}"#,
            error: .mergeFailed("map: map[$patch:delete] does not contain declared merge key: port")),
        PatchCase(
            name: "patch list out of $setElementOrder order",
            original: #"{"spec":{"ports":[{"port":1},{"port":3},{"port":2}]}}"#,
            patch:
                #"{"spec":{"$setElementOrder/ports":[{"port":1},{"port":2},{"port":3}],"ports":[{"port":3,"name":"c"},{"port":1}]}}"#,
            error: .mergeFailed(
                "The order in patch list:\n[map[name:c port:3] map[port:1]]\n doesn't match $setElementOrder list:\n[map[port:1] map[port:2] map[port:3]]\n"
            )),
        PatchCase(
            name: "$setElementOrder that is not a list", original: #"{"spec":{"ports":[]}}"#,
            patch: #"{"spec":{"$setElementOrder/ports":"port"}}"#,
            error: .mergeFailed("expected a []interface {}, but received a string")),
        PatchCase(
            name: "$setElementOrder without a list name", original: #"{"spec":{}}"#,
            patch: #"{"spec":{"$setElementOrderports":[]}}"#,
            error: .badDirective("invalid patch format of setElementOrder list")),
        PatchCase(
            name: "$deleteFromPrimitiveList without a list name", original: #"{"metadata":{}}"#,
            patch: #"{"metadata":{"$deleteFromPrimitiveList":["a"]}}"#,
            error: .badDirective("invalid patch format of primitive list")),
        PatchCase(
            name: "$retainKeys that is not a list", original: #"{"spec":{}}"#,
            patch: #"{"spec":{"$retainKeys":"type"}}"#,
            error: .badDirective("invalid patch format of retainKeys")),
        PatchCase(
            name: "patch key outside $retainKeys", original: #"{"spec":{}}"#,
            patch: #"{"spec":{"$retainKeys":["type"],"type":"NodePort","selector":{"a":"b"}}}"#,
            error: .badDirective("invalid patch format of retainKeys")),
        PatchCase(
            name: "$patch: merge on a map", original: #"{"spec":{"selector":{}}}"#,
            patch: #"{"spec":{"selector":{"$patch":"merge","a":"b"}}}"#,
            error: .mergeFailed("unknown patch type: merge in map: map[$patch:merge a:b]")),
        PatchCase(
            name: "$patch: merge in a list", original: #"{"spec":{"ports":[{"port":80}]}}"#,
            patch: #"{"spec":{"ports":[{"$patch":"merge"}]}}"#,
            error: .mergeFailed("merging lists cannot yet be specified in the patch")),
        PatchCase(
            name: "unknown $patch in a list item", original: #"{"spec":{"ports":[{"port":80}]}}"#,
            patch: #"{"spec":{"ports":[{"port":80,"$patch":"bogus"}]}}"#,
            error: .mergeFailed("unknown patch type: bogus in map: map[$patch:bogus port:80]")),
        PatchCase(
            name: "non-string $patch", original: #"{"spec":{}}"#, patch: #"{"spec":{"$patch":true}}"#,
            error: .mergeFailed("unknown patch type: %!s(bool=true) in map: map[$patch:true]")),
        PatchCase(
            name: "mixed element types", original: #"{"metadata":{"finalizers":["a"]}}"#,
            patch: #"{"metadata":{"finalizers":[{"x":1.5}]}}"#,
            error: .mergeFailed("list element types are not identical: [[a] [map[x:1.5]]]")),
        PatchCase(
            name: "lists of lists", original: #"{"metadata":{"finalizers":[]}}"#,
            patch: #"{"metadata":{"finalizers":[["a"]]}}"#, error: .unprocessable("lists of lists are not supported")),
        PatchCase(
            name: "maps into a merged primitive list", original: #"{"metadata":{"finalizers":[]}}"#,
            patch: #"{"metadata":{"finalizers":[{"a":1}]}}"#,
            error: .mergeFailed("cannot merge lists without merge key for string")),
        PatchCase(
            name: "$deleteFromPrimitiveList on an atomic list of maps",
            original: #"{"spec":{"tolerations":[{"key":"a"}]}}"#,
            patch: #"{"spec":{"$deleteFromPrimitiveList/tolerations":[{"key":"a"}]}}"#,
            error: .mergeFailed("cannot merge lists without merge key for struct"), resource: .pod),
        PatchCase(
            name: "array body", original: #"{"a":1}"#, patch: #"[{"a":2}]"#,
            error: .undecodable("json: cannot unmarshal array into Go value of type map[string]interface {}")),
        PatchCase(
            name: "string body", original: #"{"a":1}"#, patch: #""x""#,
            error: .undecodable("json: cannot unmarshal string into Go value of type map[string]interface {}")),
    ]

    @Test(arguments: failures)
    func fails(_ c: PatchCase) throws {
        try check(c) { o, p throws(PatchError) in try Patch.strategicMergePatch(o, p, resource: c.resource) }
    }

    @Test func kubectlApplyResultKeepsEverythingButTargetPort() throws {
        let live = try parsed(#"{"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80}]}}"#)
        let patch = try parsed(
            #"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"..."}},"spec":{"$setElementOrder/ports":[{"port":80}],"ports":[{"port":80,"targetPort":9090}]}}"#
        )
        let out = try Patch.strategicMergePatch(live, patch, resource: .service)
        #expect(out.at("spec", "ports") == [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090]])
        #expect(out.at("metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration") == "...")
        #expect(!out.serialized().contains("$"))
    }
}

// MARK: - Error mapping and Go formatting

@Suite struct PatchErrorTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var error: PatchError
        var code: Int
        var reason: String
        var message: String
        var testDescription: String { "\(error)" }
    }

    static let rows: [Row] = [
        Row(error: .undecodable("bad"), code: 400, reason: "BadRequest", message: "bad"),
        Row(
            error: .badDirective("invalid patch format of retainKeys"), code: 400, reason: "BadRequest",
            message: "invalid patch format of retainKeys"),
        Row(
            error: .operationFailed("testing value /a failed: test failed"), code: 422, reason: "Invalid",
            message: "the server rejected our request due to an error in our request"),
        Row(
            error: .unprocessable("lists of lists are not supported"), code: 422, reason: "Invalid",
            message: "the server rejected our request due to an error in our request"),
        Row(
            error: .mergeFailed("map: map[] does not contain declared merge key: port"), code: 500, reason: "",
            message: "map: map[] does not contain declared merge key: port"),
        Row(
            error: .tooManyOperations(10001), code: 413, reason: "RequestEntityTooLarge",
            message: "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"),
    ]

    @Test(arguments: rows)
    func status(_ row: Row) {
        #expect(row.error.code == row.code)
        #expect(row.error.reason == row.reason)
        #expect(row.error.message == row.message)
        #expect(row.error.isInvalid == (row.code == 422))
    }

    @Test func detailKeepsTheHiddenText() {
        #expect(
            PatchError.operationFailed("testing value /a failed: test failed").detail
                == "testing value /a failed: test failed")
    }

    @Test(arguments: [
        (1_000_000.0, "1e+06"), (123_456.0, "123456"), (1.5, "1.5"), (0.0001, "0.0001"), (0.00001, "1e-05"),
        (123_456_789.0, "1.23456789e+08"), (-2.5, "-2.5"), (1e21, "1e+21"), (80.0, "80"), (1.25e-7, "1.25e-07"),
    ])
    func goFloat(_ value: Double, _ text: String) {
        #expect(JSON.patchGoFloat(value) == text)
    }

    @Test func goDescriptionOfNestedValues() throws {
        let v = try parsed(#"{"b":[1,"x",null,true],"a":{"z":2.5}}"#)
        #expect(v.patchGoDescription == "map[a:map[z:2.5] b:[1 x <nil> true]]")
        #expect(JSON.int(3).patchGoStringVerb == "%!s(int64=3)")
    }
}
