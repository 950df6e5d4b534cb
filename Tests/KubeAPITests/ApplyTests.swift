import Testing

@testable import KubeAPI

// MARK: - Fixtures

private let t0 = "2026-01-01T00:00:00Z"
private let t1 = "2026-01-01T00:01:00Z"
private let t2 = "2026-01-01T00:02:00Z"
private let lastAppliedKey = "kubectl.kubernetes.io/last-applied-configuration"
private let port80 = #"k:{"port":80,"protocol":"TCP"}"#
private let targetPortPath = #".spec.ports[port=80,protocol="TCP"].targetPort"#

/// The manifest a user applies.
private func svcConfig(targetPort: Int64 = 8080, labels: JSON = ["app": "nginx"], ports: JSON? = nil) -> JSON {
    [
        "apiVersion": "v1", "kind": "Service",
        "metadata": ["name": "nginx", "namespace": "default", "labels": labels],
        "spec": ["selector": ["app": "nginx"], "ports": ports ?? [["port": 80, "targetPort": .int(targetPort)]]],
    ]
}

/// A Service as stored after a client-side create: server fields and defaults filled in.
private func storedService(targetPort: Int64 = 8080, annotations: JSON? = nil) -> JSON {
    var meta: JSON = [
        "name": "nginx", "namespace": "default", "uid": "u-1", "resourceVersion": "1", "creationTimestamp": .string(t0),
        "labels": ["app": "nginx"],
    ]
    if let annotations { meta["annotations"] = annotations }
    return [
        "apiVersion": "v1", "kind": "Service", "metadata": meta,
        "spec": [
            "ports": [["name": "http", "port": 80, "protocol": "TCP", "targetPort": .int(targetPort)]],
            "selector": ["app": "nginx"], "type": "ClusterIP", "sessionAffinity": "None",
        ],
        "status": ["loadBalancer": [:]],
    ]
}

private func managedFields(_ object: JSON) -> [JSON] { object.at("metadata", "managedFields")?.arrayValue ?? [] }

private func fieldsV1(_ object: JSON, manager: String) -> String? {
    managedFields(object).first { $0["manager"]?.stringValue == manager }?["fieldsV1"]?.serialized()
}

private func parseFields(_ text: String) throws -> FieldSet { try FieldSet(fieldsV1: try JSON.parse(text)) }

private func applyConflict(_ body: () throws(ApplyConflict) -> JSON) -> ApplyConflict? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// A Service created by `kubectl apply` (client-side): Update entry of kubectl-client-side-apply.
private func csaCreated(annotations: JSON? = nil) -> JSON {
    ManagedFields.recordUpdate(
        old: nil, new: storedService(annotations: annotations), resource: .service,
        manager: "kubectl-client-side-apply", subresource: nil, time: t0)
}

// MARK: - FieldSet encoding

@Suite struct FieldPathElementTests {
    static let encodings: [(FieldPathElement, String, String)] = [
        (.field("spec"), "f:spec", ".spec"),
        (.key(normalizing: ["port": 80, "protocol": "TCP"]), #"k:{"port":80,"protocol":"TCP"}"#, #"[port=80,protocol="TCP"]"#),
        (.key(normalizing: ["name": "a\"b"]), #"k:{"name":"a\"b"}"#, #"[name="a\"b"]"#),
        (.value(normalizing: "example.com/fin"), #"v:"example.com/fin""#, #"[="example.com/fin"]"#),
        (.value(normalizing: 8.0), "v:8", "[=8]"),
        (.index(3), "i:3", "[3]"),
    ]

    @Test(arguments: encodings)
    func encodesAndParses(element: FieldPathElement, key: String, printed: String) throws {
        #expect(element.fieldsV1Key == key)
        #expect(element.pathString == printed)
        #expect(try FieldPathElement(fieldsV1Key: key) == element)
    }

    static let invalidKeys: [(String, FieldSetError)] = [
        ("f", .invalidElement("f", reason: "key must be 2 characters long")),
        ("fx", .invalidElement("fx", reason: "missing colon")),
        ("k:[1]", .invalidElement("k:[1]", reason: "key is not an object")),
        ("i:x", .invalidElement("i:x", reason: "invalid index")),
    ]

    @Test(arguments: invalidKeys)
    func rejectsMalformedKeys(key: String, expected: FieldSetError) {
        #expect(throws: expected) { _ = try FieldPathElement(fieldsV1Key: key) }
    }

    @Test func unknownElementTypeIsSkipped() throws {
        #expect(try FieldPathElement(fieldsV1Key: "z:whatever") == nil)
        #expect(try parseFields(#"{"f:a":{},"z:b":{}}"#) == FieldSet([[.field("a")]]))
    }

    @Test func keyNumbersAreNormalised() {
        #expect(FieldPathElement.key(normalizing: ["port": 80.0]) == .key(normalizing: ["port": 80]))
        #expect(FieldPathElement.key(normalizing: ["port": 80]) != .key(normalizing: ["port": 81]))
    }

    @Test func conflictPathString() {
        let path: FieldPath = [.field("spec"), .field("ports"), .key(normalizing: ["port": 80, "protocol": "TCP"]), .field("targetPort")]
        #expect(path.pathString == targetPortPath)
    }
}

@Suite struct FieldSetTests {
    static let ports: FieldPath = [.field("spec"), .field("ports")]
    static let item = ports + [.key(normalizing: ["port": 80, "protocol": "TCP"])]

    @Test func encodesMemberWithChildrenAsDot() throws {
        let set = FieldSet([Self.ports, Self.item, Self.item + [.field("port")], [.field("spec"), .field("type")]])
        let text = #"{"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{}}},"f:type":{}}}"#
        #expect(set.fieldsV1.serialized() == text)
        #expect(try parseFields(text) == set)
    }

    static let decodeCases: [(String, [String])] = [
        (#"{}"#, []),
        (#"{"f:a":{}}"#, [".a"]),
        (#"{"f:a":{".":{},"f:b":{}}}"#, [".a", ".a.b"]),
        (#"{"f:a":{"f:b":{}}}"#, [".a.b"]),
        (#"{"f:m":{"v:\"x\"":{},"i:2":{}}}"#, [#".m[="x"]"#, ".m[2]"]),
    ]

    @Test(arguments: decodeCases)
    func decodes(text: String, paths: [String]) throws {
        #expect(try parseFields(text).paths.map(\.pathString) == paths)
    }

    static let badDocuments: [(JSON, FieldSetError)] = [
        ("x", .notAnObject(path: "")),
        (["f:a": 1], .notAnObject(path: "/f:a")),
        (["f:a": ["q": [:]]], .invalidElement("q", reason: "key must be 2 characters long")),
    ]

    @Test(arguments: badDocuments)
    func rejectsBadDocuments(doc: JSON, expected: FieldSetError) {
        #expect(throws: expected) { _ = try FieldSet(fieldsV1: doc) }
    }

    @Test func setAlgebra() {
        let a = FieldSet([[.field("a")], [.field("a"), .field("b")], [.field("c"), .field("d")]])
        let memberA = FieldSet([[.field("a")]])
        // Exact difference keeps paths below a removed member; the recursive one drops them.
        #expect(a.subtracting(memberA).paths.map(\.pathString) == [".a.b", ".c.d"])
        #expect(a.recursivelySubtracting(memberA).paths.map(\.pathString) == [".c.d"])
        #expect(a.intersection(FieldSet([[.field("c"), .field("d")], [.field("x")]])) == FieldSet([[.field("c"), .field("d")]]))
        #expect(a.intersection(FieldSet([[.field("c")]])).isEmpty)
        #expect(a.union(memberA) == a)
        #expect(a.contains([.field("a"), .field("b")]))
        #expect(!a.contains([.field("c")]))
        #expect(!a.contains([]))
    }
}

// MARK: - TypeStructure

@Suite struct TypeStructureTests {
    static let nodes: [(ResourceType, String, TypeStructure.Node?)] = [
        (.service, "spec.ports", .listMap(keys: ["port", "protocol"], defaults: ["port": 0, "protocol": "TCP"], element: .structure([:]))),
        (.service, "spec.selector", .atomic),
        (.service, "metadata.finalizers", .set),
        (.service, "metadata.ownerReferences", .listMap(keys: ["uid"], defaults: ["uid": ""], element: .atomic)),
        (.service, "status.loadBalancer.ingress", .deduced),
        (.pod, "spec.containers[].volumeMounts[].bindMountOptions", .set),
        (.pod, "spec.containers[].env[].valueFrom.secretKeyRef", .atomic),
        (.pod, "spec.imagePullSecrets", .listMap(keys: ["name"], defaults: ["name": ""], element: .atomic)),
        (.pod, "spec.hostAliases", .listMap(keys: ["ip"], defaults: ["ip": ""], element: .structure([:]))),
        (.pod, "status.conditions", .listMap(keys: ["type"], defaults: ["type": ""], element: .structure([:]))),
        (.configMap, "data", .map(.atomic)),
        (.endpointSlice, "endpoints", .deduced),
        (.ingress, "spec.rules", .deduced),
        (.ingress, "spec.defaultBackend.service.port", .atomic),
        // Steps through a set or atomic node do not exist.
        (.service, "spec.selector.app", nil),
        (.service, "metadata.finalizers[]", nil),
    ]

    @Test(arguments: nodes)
    func tableNodes(resource: ResourceType, path: String, expected: TypeStructure.Node?) {
        #expect(TypeStructure.of(resource).node(at: path) == expected)
    }

    @Test func appliedConfigFieldSet() {
        let set = TypeStructure.of(.service).fieldSet(of: svcConfig())
        #expect(
            set.fieldsV1.serialized()
                == #"{"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:app":{}},"f:name":{},"f:namespace":{}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}"#
        )
    }

    @Test func emptyListIsNotOwnedButEmptyMapIs() {
        let set = TypeStructure.of(.service).fieldSet(of: ["spec": ["ports": [], "selector": [:]], "metadata": ["labels": [:]]])
        #expect(set.paths.map(\.pathString) == [".metadata.labels", ".spec.selector"])
    }

    @Test func listMapMergeKeepsLiveOnlyItemsInPlace() {
        let ts = TypeStructure.of(.service)
        let live: JSON = ["spec": ["ports": [["port": 1], ["port": 2], ["port": 3]]]]
        let config: JSON = ["spec": ["ports": [["port": 3, "name": "c"], ["port": 4], ["port": 1]]]]
        let merged = ts.merge(live: live, config: config)
        #expect(merged.at("spec", "ports") == [["port": 2], ["port": 3, "name": "c"], ["port": 4], ["port": 1]])
    }

    static let nullMerges: [(JSON, JSON, JSON)] = [
        // A null clears scalars and atomic values...
        (["spec": ["type": "NodePort", "clusterIP": "10.0.0.1"]], ["spec": ["type": nil]], ["spec": ["clusterIP": "10.0.0.1"]]),
        (["spec": ["selector": ["a": "b"], "type": "X"]], ["spec": ["selector": nil]], ["spec": ["type": "X"]]),
        // ...but counts as empty for structs and list-maps, keeping live content.
        (["spec": ["sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 10]]]], ["spec": ["sessionAffinityConfig": nil]],
         ["spec": ["sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 10]]]]),
        (["spec": ["ports": [["port": 1]]]], ["spec": ["ports": nil]], ["spec": ["ports": [["port": 1]]]]),
        // Nulls inside new content are dropped.
        (["spec": [:]], ["spec": ["sessionAffinityConfig": ["clientIP": nil]]], ["spec": ["sessionAffinityConfig": [:]]]),
    ]

    @Test(arguments: nullMerges)
    func nullInConfig(live: JSON, config: JSON, expected: JSON) {
        #expect(TypeStructure.of(.service).merge(live: live, config: config) == expected)
    }

    @Test func atomicListIsReplaced() {
        let ts = TypeStructure.of(.ingress)
        let merged = ts.merge(
            live: ["spec": ["rules": [["host": "a"], ["host": "b"]]]], config: ["spec": ["rules": [["host": "c"]]]])
        #expect(merged.at("spec", "rules") == [["host": "c"]])
    }
}

// MARK: - Server-side apply

@Suite struct ServerSideApplyTests {
    static let kubectlFields =
        #"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}"#

    @Test func createViaApply() throws {
        let out = try ServerSideApply.apply(
            live: nil, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t0)
        var expected = svcConfig()
        expected.set(
            ["metadata", "managedFields"],
            [["manager": "kubectl", "operation": "Apply", "apiVersion": "v1", "time": .string(t0), "fieldsType": "FieldsV1",
              "fieldsV1": try JSON.parse(Self.kubectlFields)]])
        #expect(out == expected)
    }

    @Test func reapplyIsNoOp() throws {
        let created = try ServerSideApply.apply(
            live: nil, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t0)
        let again = try ServerSideApply.apply(
            live: created, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t1)
        #expect(again == created)
        #expect(managedFields(again).first?["time"] == .string(t0))
    }

    @Test func changingOwnedFieldUpdatesValueAndTime() throws {
        let created = try ServerSideApply.apply(
            live: nil, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t0)
        let out = try ServerSideApply.apply(
            live: created, applied: svcConfig(targetPort: 9090), resource: .service, manager: "kubectl", force: false,
            time: t1)
        #expect(out.at("spec", "ports") == [["port": 80, "targetPort": 9090]])
        #expect(managedFields(out).count == 1)
        #expect(managedFields(out).first?["time"] == .string(t1))
        #expect(fieldsV1(out, manager: "kubectl") == Self.kubectlFields)
    }

    @Test func conflictWithClientSideApply() {
        let live = csaCreated()
        let error = applyConflict { () throws(ApplyConflict) -> JSON in
            try ServerSideApply.apply(
                live: live, applied: svcConfig(targetPort: 9090), resource: .service, manager: "kubectl", force: false,
                time: t1)
        }
        #expect(
            error?.message
                == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.ports[port=80,protocol="TCP"].targetPort"#
        )
        #expect(error?.conflicts == [.init(manager: "kubectl-client-side-apply", field: targetPortPath)])
        #expect(
            error?.causes.map { $0.serialized() } == [
                #"{"field":".spec.ports[port=80,protocol=\"TCP\"].targetPort","message":"conflict with \"kubectl-client-side-apply\" using v1","reason":"FieldManagerConflict"}"#
            ])
    }

    @Test func sameValueIsSharedOwnershipNotConflict() throws {
        let live = csaCreated()
        let out = try ServerSideApply.apply(
            live: live, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t1)
        // Nothing changed in the object; both managers now own the applied fields.
        #expect(out.at("spec") == live.at("spec"))
        #expect(fieldsV1(out, manager: "kubectl") == Self.kubectlFields)
        let csa = try parseFields(fieldsV1(out, manager: "kubectl-client-side-apply") ?? "{}")
        #expect(csa.contains([.field("spec"), .field("ports"), .key(normalizing: ["port": 80, "protocol": "TCP"]), .field("targetPort")]))
        #expect(managedFields(out).map { $0["manager"]?.stringValue } == ["kubectl", "kubectl-client-side-apply"])
        let again = try ServerSideApply.apply(
            live: out, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t2)
        #expect(again == out)
    }

    @Test func forceTakesOwnership() throws {
        let live = csaCreated()
        let out = try ServerSideApply.apply(
            live: live, applied: svcConfig(targetPort: 9090), resource: .service, manager: "kubectl", force: true,
            time: t1)
        #expect(out.at("spec", "ports") == [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090]])
        let csa = try parseFields(fieldsV1(out, manager: "kubectl-client-side-apply") ?? "{}")
        let target: FieldPath = [.field("spec"), .field("ports"), .key(normalizing: ["port": 80, "protocol": "TCP"]), .field("targetPort")]
        #expect(!csa.contains(target))
        #expect(csa.contains([.field("spec"), .field("ports"), .key(normalizing: ["port": 80, "protocol": "TCP"]), .field("name")]))
        #expect(try parseFields(fieldsV1(out, manager: "kubectl") ?? "{}").contains(target))
        // The client-side entry keeps its own time; only the applier's entry is stamped.
        #expect(managedFields(out).map { $0["time"] } == [.string(t1), .string(t0)])
    }

    @Test func lastAppliedAnnotationLetsKubectlTakeOver() throws {
        let lastApplied = svcConfig().serialized() + "\n"
        let live = csaCreated(annotations: [lastAppliedKey: .string(lastApplied)])
        let out = try ServerSideApply.apply(
            live: live, applied: svcConfig(targetPort: 9090), resource: .service, manager: "kubectl", force: false,
            time: t1)
        #expect(out.at("spec", "ports")?.arrayValue?.first?["targetPort"] == 9090)
        // The annotation now records the server-side applied configuration.
        #expect(out.at("metadata", "annotations", lastAppliedKey) == .string(svcConfig(targetPort: 9090).serialized() + "\n"))
    }

    @Test func lastAppliedAnnotationDoesNotHelpOtherManagers() {
        let live = csaCreated(annotations: [lastAppliedKey: .string(svcConfig().serialized() + "\n")])
        let error = applyConflict { () throws(ApplyConflict) -> JSON in
            try ServerSideApply.apply(
                live: live, applied: svcConfig(targetPort: 9090), resource: .service, manager: "me", force: false,
                time: t1)
        }
        #expect(error?.conflicts == [.init(manager: "kubectl-client-side-apply", field: targetPortPath)])
    }

    @Test func lastAppliedOutOfDateStillConflicts() {
        // Someone changed targetPort after the client-side apply: the annotation no longer matches.
        let live = csaCreated(annotations: [lastAppliedKey: .string(svcConfig(targetPort: 7070).serialized() + "\n")])
        let error = applyConflict { () throws(ApplyConflict) -> JSON in
            try ServerSideApply.apply(
                live: live, applied: svcConfig(targetPort: 9090), resource: .service, manager: "kubectl", force: false,
                time: t1)
        }
        #expect(error?.conflicts == [.init(manager: "kubectl-client-side-apply", field: targetPortPath)])
    }

    @Test func conflictWithApplyManagerAndSeveralFields() throws {
        let first = try ServerSideApply.apply(
            live: nil, applied: svcConfig(labels: ["app": "nginx", "tier": "web"]), resource: .service, manager: "alice",
            force: false, time: t0)
        let error = applyConflict { () throws(ApplyConflict) -> JSON in
            try ServerSideApply.apply(
                live: first, applied: svcConfig(targetPort: 1, labels: ["app": "other", "tier": "web"]),
                resource: .service, manager: "bob", force: false, time: t1)
        }
        #expect(
            error?.message
                == "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .metadata.labels.app\n- \(targetPortPath)")
        #expect(error?.causes.map { $0["message"] } == [#"conflict with "alice""#, #"conflict with "alice""#])
    }

    @Test func conflictsAreGroupedByManager() throws {
        var live = try ServerSideApply.apply(
            live: nil, applied: svcConfig(), resource: .service, manager: "alice", force: false, time: t0)
        live = ManagedFields.recordUpdate(
            old: live, new: { var v = live; v.set(["spec", "type"], "NodePort"); return v }(), resource: .service,
            manager: "editor", subresource: nil, time: t1)
        var config = svcConfig(targetPort: 1)
        config.set(["spec", "type"], "ClusterIP")
        let error = applyConflict { () throws(ApplyConflict) -> JSON in
            try ServerSideApply.apply(live: live, applied: config, resource: .service, manager: "bob", force: false, time: t2)
        }
        #expect(
            error?.message
                == "Apply failed with 2 conflicts: conflicts with \"alice\":\n- \(targetPortPath)\nconflicts with \"editor\" using v1:\n- .spec.type"
        )
    }

    @Test func removingFieldFromConfigDeletesIt() throws {
        let first = try ServerSideApply.apply(
            live: nil,
            applied: svcConfig(labels: ["app": "nginx", "tier": "web"], ports: [["port": 80], ["port": 443]]),
            resource: .service, manager: "kubectl", force: false, time: t0)
        let out = try ServerSideApply.apply(
            live: first, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t1)
        #expect(out.at("metadata", "labels") == ["app": "nginx"])
        #expect(out.at("spec", "ports") == [["port": 80, "targetPort": 8080]])
        #expect(fieldsV1(out, manager: "kubectl") == Self.kubectlFields)
    }

    @Test func removedFieldOwnedByAnotherManagerStays() throws {
        let first = try ServerSideApply.apply(
            live: nil, applied: svcConfig(labels: ["app": "nginx", "tier": "web"]), resource: .service,
            manager: "alice", force: false, time: t0)
        let shared = try ServerSideApply.apply(
            live: first, applied: svcConfig(labels: ["app": "nginx", "tier": "web"]), resource: .service,
            manager: "bob", force: false, time: t1)
        let out = try ServerSideApply.apply(
            live: shared, applied: svcConfig(), resource: .service, manager: "alice", force: false, time: t2)
        #expect(out.at("metadata", "labels") == ["app": "nginx", "tier": "web"])
    }

    @Test func unownedFieldsSurvivePruning() throws {
        // clusterIP was set by the server and is owned by nobody; dropping a label must not drop it.
        var first = try ServerSideApply.apply(
            live: nil, applied: svcConfig(labels: ["app": "nginx", "tier": "web"]), resource: .service,
            manager: "kubectl", force: false, time: t0)
        first.set(["spec", "clusterIP"], "10.0.0.10")
        first.set(["metadata", "uid"], "u-1")
        let out = try ServerSideApply.apply(
            live: first, applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t1)
        #expect(out.at("spec", "clusterIP") == "10.0.0.10")
        #expect(out.at("metadata", "uid") == "u-1")
        #expect(out.at("metadata", "labels") == ["app": "nginx"])
    }

    @Test func portsMergeByPortAndProtocol() throws {
        let dnsTCP: JSON = ["name": "dns-tcp", "port": 53, "protocol": "TCP"]
        let dnsUDP: JSON = ["name": "dns", "port": 53, "protocol": "UDP"]
        let first = try ServerSideApply.apply(
            live: nil, applied: svcConfig(ports: [dnsUDP]), resource: .service, manager: "alice", force: false, time: t0)
        var bobConfig = svcConfig(ports: [dnsTCP])
        bobConfig.set(["metadata", "labels"], nil)
        bobConfig.set(["spec", "selector"], nil)
        let out = try ServerSideApply.apply(
            live: first, applied: bobConfig, resource: .service, manager: "bob", force: false, time: t1)
        #expect(out.at("spec", "ports") == [dnsUDP, dnsTCP])
        #expect(
            fieldsV1(out, manager: "bob")
                == #"{"f:spec":{"f:ports":{"k:{\"port\":53,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{}}}}}"#
        )
    }

    @Test func portWithoutProtocolMatchesDefaultedTCP() throws {
        let live = csaCreated()  // stored port has protocol: TCP
        let out = try ServerSideApply.apply(
            live: live, applied: svcConfig(ports: [["port": 80, "name": "http"]]), resource: .service, manager: "me",
            force: false, time: t1)
        #expect(out.at("spec", "ports")?.arrayValue?.count == 1)
    }

    @Test func finalizersAreASet() throws {
        func config(_ finalizers: JSON) -> JSON {
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "finalizers": finalizers]]
        }
        let a = try ServerSideApply.apply(
            live: nil, applied: config(["example.com/a"]), resource: .configMap, manager: "alice", force: false, time: t0)
        let ab = try ServerSideApply.apply(
            live: a, applied: config(["example.com/b"]), resource: .configMap, manager: "bob", force: false, time: t1)
        #expect(ab.at("metadata", "finalizers") == ["example.com/a", "example.com/b"])
        #expect(fieldsV1(ab, manager: "bob") == #"{"f:metadata":{"f:finalizers":{"v:\"example.com/b\"":{}}}}"#)
        // Bob stops applying his finalizer: only his is removed.
        let out = try ServerSideApply.apply(
            live: ab, applied: config([]), resource: .configMap, manager: "bob", force: false, time: t2)
        #expect(out.at("metadata", "finalizers") == ["example.com/a"])
        #expect(fieldsV1(out, manager: "bob") == nil)
    }

    @Test func beforeFirstApplyOwnsUntrackedFields() {
        var live = storedService()  // no managedFields
        live.set(["metadata", "managedFields"], nil)
        let error = applyConflict { () throws(ApplyConflict) -> JSON in
            try ServerSideApply.apply(
                live: live, applied: svcConfig(targetPort: 9090), resource: .service, manager: "kubectl", force: false,
                time: t1)
        }
        #expect(error?.conflicts == [.init(manager: "before-first-apply", field: targetPortPath)])
    }

    @Test func beforeFirstApplyEntryIsRecorded() throws {
        let out = try ServerSideApply.apply(
            live: storedService(), applied: svcConfig(), resource: .service, manager: "kubectl", force: false, time: t1)
        #expect(managedFields(out).map { $0["manager"]?.stringValue } == ["kubectl", "before-first-apply"])
        #expect(managedFields(out).last?["operation"] == "Update")
    }

    @Test func statusInMainResourceApplyIsNotOwnedOrWritten() throws {
        var config = svcConfig()
        config["status"] = ["loadBalancer": ["ingress": [["ip": "1.2.3.4"]]]]
        let out = try ServerSideApply.apply(
            live: nil, applied: config, resource: .service, manager: "kubectl", force: false, time: t0)
        #expect(out["status"] == nil)
        #expect(fieldsV1(out, manager: "kubectl") == Self.kubectlFields)
    }

    @Test func statusSubresourceApply() throws {
        let live = csaCreated()
        let config: JSON = [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": "nginx", "namespace": "default"],
            "spec": ["type": "LoadBalancer"], "status": ["loadBalancer": ["ingress": [["ip": "1.2.3.4"]]]],
        ]
        let out = try ServerSideApply.apply(
            live: live, applied: config, resource: .service, manager: "lb", force: false, time: t1, subresource: "status")
        #expect(out.at("spec", "type") == "ClusterIP")
        #expect(out.at("status", "loadBalancer", "ingress") == [["ip": "1.2.3.4"]])
        let entry = managedFields(out).first { $0["manager"] == "lb" }
        #expect(entry?["subresource"] == "status")
        #expect(entry?["fieldsV1"]?.serialized() == #"{"f:status":{"f:loadBalancer":{"f:ingress":{}}}}"#)
    }

    static let invalidPatches: [(JSON, ApplyPatchError)] = [
        (["apiVersion": "v1", "kind": "Servic", "metadata": ["name": "x"]], .invalidObjectType("/v1, Kind=Servic")),
        (["apiVersion": "apps/v1", "kind": "Service"], .invalidObjectType("apps/v1, Kind=Service")),
        (["apiVersion": "a/b/c", "kind": "Service"], .invalidObjectType("/, Kind=")),
        (["kind": "Service"], .invalidObjectType("/, Kind=Service")),
        (["apiVersion": "v1", "kind": "Service", "metadata": ["managedFields": []]], .managedFieldsNotNil),
        (
            ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "x", "namespace": "d"],
             "spec": ["ports": [["port": 80], ["port": 80, "protocol": "TCP"]]]],
            .invalidPatch(#"failed to create typed patch object (d/x; /v1, Kind=Service): .spec.ports: duplicate entries for key [port=80,protocol="TCP"]"#)
        ),
        (
            ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "x", "finalizers": ["a", ["b": 1], "a"]]],
            .invalidPatch(
                "failed to create typed patch object (/x; /v1, Kind=Service): errors:\n  .metadata.finalizers: element 1: associative list without keys has an element that's a map type\n  .metadata.finalizers: duplicate entries for key [=\"a\"]"
            )
        ),
        (
            ["apiVersion": "v1", "kind": "Service", "spec": ["ports": [80]]],
            .invalidPatch("failed to create typed patch object (/; /v1, Kind=Service): .spec.ports: element 0: associative list with keys may not have non-map elements")
        ),
    ]

    @Test(arguments: invalidPatches)
    func validateRejects(applied: JSON, expected: ApplyPatchError) {
        #expect(throws: expected) { try ServerSideApply.validate(applied: applied, resource: .service) }
    }

    @Test func validateAccepts() throws {
        try ServerSideApply.validate(applied: svcConfig(), resource: .service)
        try ServerSideApply.validate(
            applied: ["apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": ["name": "i"]], resource: .ingress)
        #expect(ApplyPatchError.managedFieldsNotNil.message == "metadata.managedFields must be nil")
    }
}

// MARK: - Update bookkeeping

@Suite struct RecordUpdateTests {
    static let csaFields =
        #"{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{},"f:targetPort":{}}},"f:selector":{},"f:sessionAffinity":{},"f:type":{}}}"#

    @Test func createRecordsAddedFields() throws {
        let out = csaCreated(annotations: [lastAppliedKey: "{}\n"])
        #expect(
            out.at("metadata", "managedFields")
                == [[
                    "manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "v1", "time": .string(t0),
                    "fieldsType": "FieldsV1", "fieldsV1": try JSON.parse(Self.csaFields),
                ]])
    }

    @Test func updateMovesOwnershipOfChangedField() throws {
        let live = csaCreated()
        var edited = live
        edited.set(["spec", "ports"], [["name": "http", "port": 80, "protocol": "TCP", "targetPort": 9090]])
        let out = ManagedFields.recordUpdate(
            old: live, new: edited, resource: .service, manager: "kubectl-edit", subresource: nil, time: t1)
        #expect(
            fieldsV1(out, manager: "kubectl-edit")
                == #"{"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{"f:targetPort":{}}}}}"#)
        let csa = try parseFields(fieldsV1(out, manager: "kubectl-client-side-apply") ?? "{}")
        #expect(!csa.contains([.field("spec"), .field("ports"), .key(normalizing: ["port": 80, "protocol": "TCP"]), .field("targetPort")]))
        #expect(managedFields(out).map { $0["time"] } == [.string(t0), .string(t1)])
    }

    @Test func unchangedUpdateKeepsManagedFields() {
        let live = csaCreated()
        var same = live
        // Server-owned fields are never tracked.
        same.set(["metadata", "resourceVersion"], "2")
        same.set(["metadata", "deletionTimestamp"], .string(t1))
        same.set(["metadata", "generation"], 2)
        let out = ManagedFields.recordUpdate(
            old: live, new: same, resource: .service, manager: "other", subresource: nil, time: t1)
        #expect(out.at("metadata", "managedFields") == live.at("metadata", "managedFields"))
    }

    @Test func removedFieldLeavesOwnersAndEmptyEntriesDrop() {
        let live = csaCreated()
        let labelled = ManagedFields.recordUpdate(
            old: live, new: { var v = live; v.set(["metadata", "labels", "team"], "x"); return v }(), resource: .service,
            manager: "labeller", subresource: nil, time: t1)
        #expect(fieldsV1(labelled, manager: "labeller") == #"{"f:metadata":{"f:labels":{"f:team":{}}}}"#)
        let out = ManagedFields.recordUpdate(
            old: labelled, new: { var v = labelled; v.set(["metadata", "labels", "team"], nil); return v }(),
            resource: .service, manager: "kubectl-client-side-apply", subresource: nil, time: t2)
        #expect(fieldsV1(out, manager: "labeller") == nil)
        #expect(managedFields(out).count == 1)
    }

    @Test func untrackedExistingObjectStaysUntracked() {
        let out = ManagedFields.recordUpdate(
            old: storedService(), new: storedService(targetPort: 1), resource: .service, manager: "m", subresource: nil,
            time: t1)
        #expect(out.at("metadata", "managedFields") == nil)
        #expect(out.at("spec", "ports")?.arrayValue?.first?["targetPort"] == 1)
    }

    static let resets: [JSON] = [[], [[:]]]

    @Test(arguments: resets)
    func emptyManagedFieldsInRequestClearsThem(sent: JSON) {
        let live = csaCreated()
        var new = live
        new.set(["metadata", "managedFields"], sent)
        let out = ManagedFields.recordUpdate(old: live, new: new, resource: .service, manager: "m", subresource: nil, time: t1)
        #expect(out.at("metadata", "managedFields") == nil)
    }

    @Test func managedFieldsSentWithFullUpdateReplaceStored() {
        let live = csaCreated()
        let sent: JSON = [[
            "manager": "restored", "operation": "Update", "apiVersion": "v1", "time": .string(t0), "fieldsType": "FieldsV1",
            "fieldsV1": ["f:spec": ["f:type": [:]]],
        ]]
        var new = live
        new.set(["metadata", "managedFields"], sent)
        let out = ManagedFields.recordUpdate(old: live, new: new, resource: .service, manager: "m", subresource: nil, time: t1)
        #expect(out.at("metadata", "managedFields") == sent)
    }

    @Test func undecodableManagedFieldsInRequestFallBackToStored() {
        let live = csaCreated()
        var new = live
        new.set(["metadata", "managedFields"], [["manager": "x", "operation": "Bogus", "apiVersion": "v1"]])
        let out = ManagedFields.recordUpdate(old: live, new: new, resource: .service, manager: "m", subresource: nil, time: t1)
        #expect(out.at("metadata", "managedFields") == live.at("metadata", "managedFields"))
    }

    @Test func statusSubresourceUpdate() {
        let live = csaCreated()
        var new = live
        new.set(["status", "loadBalancer", "ingress"], [["ip": "1.2.3.4"]])
        new.set(["spec", "type"], "LoadBalancer")  // the /status strategy resets spec; never owned here
        let out = ManagedFields.recordUpdate(
            old: live, new: new, resource: .service, manager: "lb-controller", subresource: "status", time: t1)
        let entry = managedFields(out).first { $0["manager"] == "lb-controller" }
        #expect(entry?["subresource"] == "status")
        #expect(entry?["fieldsV1"]?.serialized() == #"{"f:status":{"f:loadBalancer":{"f:ingress":{}}}}"#)
        #expect(fieldsV1(out, manager: "kubectl-client-side-apply") == fieldsV1(live, manager: "kubectl-client-side-apply"))
    }

    @Test func mainResourceUpdateIgnoresStatus() {
        let live = csaCreated()
        var new = live
        new.set(["status", "loadBalancer", "ingress"], [["ip": "1.2.3.4"]])
        let out = ManagedFields.recordUpdate(old: live, new: new, resource: .service, manager: "m", subresource: nil, time: t1)
        #expect(fieldsV1(out, manager: "m") == nil)
    }

    @Test func updateManagersAreCappedAtTen() {
        var obj = csaCreated()
        for i in 1...11 {
            let time = "2026-01-01T01:\(i < 10 ? "0" : "")\(i):00Z"
            obj = ManagedFields.recordUpdate(
                old: obj, new: { var v = obj; v.set(["metadata", "labels", "l\(i)"], "x"); return v }(), resource: .service,
                manager: "m\(i)", subresource: nil, time: time)
        }
        let managers = managedFields(obj).compactMap { $0["manager"]?.stringValue }
        #expect(managers.count == 10)
        #expect(managers.first == "ancient-changes")
        #expect(!managers.contains("kubectl-client-side-apply") && !managers.contains("m1"))
        // csa (oldest) became the bucket; m1 and then m2 were folded into it, taking their times.
        #expect(managedFields(obj).first?["time"] == "2026-01-01T01:02:00Z")
        #expect(
            fieldsV1(obj, manager: "ancient-changes")
                == #"{"f:metadata":{"f:labels":{".":{},"f:app":{},"f:l1":{},"f:l2":{}}},"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{},"f:targetPort":{}}},"f:selector":{},"f:sessionAffinity":{},"f:type":{}}}"#
        )
    }

    static let badEntries: [(JSON, ManagedFieldsError)] = [
        ([["manager": "a", "operation": "Patch", "apiVersion": "v1", "fieldsType": "FieldsV1"]],
         .invalid(index: 0, reason: "operation must be `Apply` or `Update`")),
        ([["manager": "a", "operation": "Update", "fieldsType": "FieldsV1"]], .invalid(index: 0, reason: "apiVersion must not be empty")),
        ([["manager": "a", "operation": "Update", "apiVersion": "v1"]],
         .invalid(index: 0, reason: "missing fieldsType in managed fields entry 0")),
        ([["manager": "a", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV2"]],
         .invalid(index: 0, reason: "invalid fieldsType \"FieldsV2\" in managed fields entry 0")),
        (["manager": "a"], .notAList),
    ]

    @Test(arguments: badEntries)
    func decodeRejects(list: JSON, expected: ManagedFieldsError) {
        #expect(throws: expected) { _ = try ManagedFields.decode(list) }
    }

    @Test func encodeOrdersApplyFirstThenTime() throws {
        let fields = FieldSet([[.field("a")]])
        let entries = [
            ManagedFieldsEntry(manager: "z", operation: .update, apiVersion: "v1", time: t0, fields: fields),
            ManagedFieldsEntry(manager: "b", operation: .apply, apiVersion: "v1", time: t2, fields: fields),
            ManagedFieldsEntry(manager: "a", operation: .update, apiVersion: "v1", time: t1, fields: fields),
            ManagedFieldsEntry(manager: "a", operation: .apply, apiVersion: "v1", time: t2, fields: fields),
        ]
        let encoded = ManagedFields.encode(entries).arrayValue ?? []
        #expect(encoded.map { "\($0["operation"]!.stringValue!)/\($0["manager"]!.stringValue!)" } == ["Apply/a", "Apply/b", "Update/z", "Update/a"])
        #expect(try ManagedFields.decode(.array(encoded)).map(\.manager) == ["a", "b", "z", "a"])
    }
}
