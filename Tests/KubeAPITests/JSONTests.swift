import Testing

@testable import KubeAPI

@Suite struct JSONTests {
    @Test(arguments: [
        (#"{"b":1,"a":[true,false,null],"c":"x"}"#, #"{"a":[true,false,null],"b":1,"c":"x"}"#),
        (#" [ 1 , -2 , 3.5 , 1e3 ] "#, "[1,-2,3.5,1000]"),
        (#""\u00e9\n\"\\\/""#, #""é\n\"\\/""#),
        (#""\ud83d\ude00""#, "\"😀\""),
        (#"{"h":"<a&b>"}"#, #"{"h":"\u003ca\u0026b\u003e"}"#),
        ("9223372036854775807", "9223372036854775807"),
        ("{}", "{}"),
        (#""a\u0001\u001f\t\r\b""#, #""a\u0001\u001f\t\r\u0008""#),
        (#"{"é":1,"z":2,"A":[{"b":0,"a":-0.5}]}"#, #"{"A":[{"a":-0.5,"b":0}],"z":2,"é":1}"#),
    ])
    func roundTrip(input: String, serialized: String) throws {
        #expect(try JSON.parse(input).serialized() == serialized)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01x", "{\"a\":1}}", "[1 2]", "\"\u{01}\"", "-", "{1:2}",
    ])
    func rejectsMalformed(input: String) {
        #expect(throws: JSONParseError.self) { _ = try JSON.parse(input) }
    }

    @Test func reportsDuplicateFieldPaths() throws {
        var dups: [String] = []
        let v = try JSON.parse(Array(#"{"metadata":{"name":"a","name":"b"},"spec":{"x":1},"spec":{"y":2}}"#.utf8), duplicates: &dups)
        #expect(dups == ["metadata.name", "spec"])
        #expect(v.at("metadata", "name") == "b")
        #expect(v.at("spec", "y") == 2)
        #expect(v.at("spec", "x") == nil)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { _ = try JSON.parse(deep) }
    }

    @Test func setCreatesIntermediateObjects() {
        var j: JSON = [:]
        j.set(["metadata", "labels", "a"], "b")
        #expect(j.serialized() == #"{"metadata":{"labels":{"a":"b"}}}"#)
        j.set(["metadata", "labels", "a"], nil)
        #expect(j.serialized() == #"{"metadata":{"labels":{}}}"#)
    }
}

@Suite struct SelectorTests {
    @Test(arguments: [
        ("app=nginx", ["app": "nginx"], true),
        ("app=nginx", ["app": "web"], false),
        ("app==nginx,tier=fe", ["app": "nginx", "tier": "fe"], true),
        ("app!=nginx", [:], true),
        ("app!=nginx", ["app": "nginx"], false),
        ("env in (a, b)", ["env": "b"], true),
        ("env in (a,b)", ["env": "c"], false),
        ("env notin (a,b)", [:], true),
        ("env notin (a,b)", ["env": "a"], false),
        ("app", ["app": ""], true),
        ("app", [:], false),
        ("!app", [:], true),
        ("!app", ["app": "x"], false),
        ("n>3", ["n": "4"], true),
        ("n<3", ["n": "4"], false),
        ("", ["x": "y"], true),
    ] as [(String, [String: String], Bool)])
    func labelSelector(text: String, labels: [String: String], matches: Bool) throws {
        #expect(try LabelSelector.parse(text).matches(labels) == matches)
    }

    @Test(arguments: ["app in a", "=x", "a,", "n>x", "env in (a"])
    func labelSelectorRejects(text: String) {
        #expect(throws: LabelSelector.ParseError.self) { _ = try LabelSelector.parse(text) }
    }

    @Test(arguments: [
        ("metadata.name=nginx", ["metadata.name": "nginx"], true),
        ("metadata.name==nginx", ["metadata.name": "web"], false),
        ("metadata.name!=nginx", ["metadata.name": "web"], true),
        (#"involvedObject.name=a\,b,type=Normal"#, ["involvedObject.name": "a,b", "type": "Normal"], true),
        ("spec.type=", ["spec.type": ""], true),
    ] as [(String, [String: String], Bool)])
    func fieldSelector(text: String, fields: [String: String], matches: Bool) throws {
        #expect(try FieldSelector.parse(text).matches(fields) == matches)
    }

    @Test func fieldSelectorRejectsTermWithoutOperator() {
        #expect(throws: FieldSelector.ParseError.self) { _ = try FieldSelector.parse("metadata.name") }
    }

    @Test func selectableFieldsOfEvent() {
        let e: JSON = [
            "metadata": ["name": "e1", "namespace": "default"],
            "involvedObject": ["kind": "Service", "name": "nginx", "uid": "u1"],
            "source": ["component": "ferry"], "type": "Normal", "reason": "Created",
        ]
        let f = ResourceType.event.selectableFields(of: e)
        #expect(f["involvedObject.kind"] == "Service")
        #expect(f["involvedObject.uid"] == "u1")
        #expect(f["source"] == "ferry")
        #expect(f["metadata.namespace"] == "default")
        #expect(f["involvedObject.fieldPath"] == "")
    }
}
