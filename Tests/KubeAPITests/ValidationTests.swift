import Foundation
import Testing

@testable import KubeAPI

/// Parses a JSON literal used as a test fixture.
private func obj(_ text: String) -> JSON {
    (try? JSON.parse(text)) ?? .null
}

/// Defaults then validates, as the API server does; returns the full messages.
private func check(_ text: String, _ resource: ResourceType, old: String? = nil) -> [String] {
    var o = obj(text)
    let oldObject = old.map(obj)
    Validation.applyDefaults(&o, resource: resource, old: oldObject, primaryIPFamily: "IPv4")
    return Validation.validate(o, resource: resource, old: oldObject).map(\.fullMessage)
}

private let dns1035Message =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
private let dns1123LabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
private let dns1123SubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

@Suite struct FieldErrorTests {
    @Test func rendering() {
        let e = FieldError(
            .invalid, field: "spec.ports[0].port", badValue: "70000", detail: "must be between 1 and 65535, inclusive")
        #expect(e.message == "Invalid value: 70000: must be between 1 and 65535, inclusive")
        #expect(e.fullMessage == "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive")
        #expect(e.reason == "FieldValueInvalid")
        #expect(FieldError.required("spec.ports").fullMessage == "spec.ports: Required value")
        #expect(
            FieldError.required("metadata.name", "name or generateName is required").message
                == "Required value: name or generateName is required")
        #expect(FieldError(.forbidden, field: "x", badValue: "\"v\"", detail: "d").message == "Forbidden: d")
        #expect(
            FieldError.notSupported("spec.type", "Foo", Validation.serviceTypes).message
                == "Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
        )
        #expect(FieldError.duplicate("spec.ports[1].name", rendered: "\"http\"").message == "Duplicate value: \"http\"")
        #expect(
            FieldError.tooLong("data", maxBytes: 1_048_576).message == "Too long: may not be more than 1048576 bytes")
        #expect(FieldError.tooMany("x", actual: 5, max: 4).message == "Too many: 5: must have at most 4 items")
        #expect(FieldError.required("a").reason == "FieldValueRequired")
        #expect(FieldError.tooLong("a", maxBytes: 1).reason == "FieldValueTooLong")
    }

    @Test(arguments: [
        ("plain", "\"plain\""), ("a\"b", "\"a\\\"b\""), ("back\\slash", "\"back\\\\slash\""),
        ("tab\there", "\"tab\\there\""),
        ("nl\n", "\"nl\\n\""), ("\u{01}", "\"\\x01\""), ("ünï", "\"ünï\""),
    ])
    func goQuote(input: String, expected: String) {
        #expect(ValidationGo.quote(input) == expected)
    }

    @Test func slices() {
        #expect(ValidationGo.slice(["10.0.0.1", "fd00::1"]) == "[]string{\"10.0.0.1\", \"fd00::1\"}")
        #expect(ValidationGo.slice([]) == "[]string{}")
        #expect(ValidationGo.slice(nil) == "[]string(nil)")
    }

    @Test func invalidMessages() {
        let a = FieldError.required("spec.ports")
        let b = FieldError.notSupported("spec.type", "Foo", Validation.serviceTypes)
        #expect(
            Validation.invalidMessage(kind: "Service", name: "x", errors: [a])
                == "Service \"x\" is invalid: spec.ports: Required value")
        #expect(
            Validation.invalidMessage(kind: "Service", name: "x", errors: [a, b, a])
                == "Service \"x\" is invalid: [spec.ports: Required value, spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"]"
        )
        #expect(
            Validation.invalidMessage(kind: "Service", name: "x", errors: [a, a])
                == "Service \"x\" is invalid: spec.ports: Required value")
        #expect(Validation.invalidMessage(kind: "Service", name: "x", errors: []) == "Service \"x\" is invalid")
        #expect(
            Validation.invalidMessage(resource: .ingress, name: "web", errors: [a])
                == "Ingress.networking.k8s.io \"web\" is invalid: spec.ports: Required value")
    }
}

@Suite struct NameValidationTests {
    @Test(arguments: ["a", "abc", "a-b", "0ab", "a1", String(repeating: "a", count: 63)])
    func validLabels(name: String) { #expect(NameValidation.dns1123Label(name).isEmpty) }

    @Test(arguments: [
        ("Bad_Name", [dns1123LabelMessage]), ("-a", [dns1123LabelMessage]), ("a-", [dns1123LabelMessage]),
        ("", [dns1123LabelMessage]), ("a.b", ["must not contain dots"]),
        (String(repeating: "a", count: 64), ["must be no more than 63 characters"]),
    ])
    func invalidLabels(name: String, expected: [String]) { #expect(NameValidation.dns1123Label(name) == expected) }

    @Test(arguments: [
        ("nginx", true), ("a-1", true), ("1abc", false), ("Nginx", false), ("a_b", false), ("a.b", false),
        ("a-", false),
    ])
    func dns1035(name: String, valid: Bool) {
        #expect(NameValidation.dns1035Label(name) == (valid ? [] : [dns1035Message]))
    }

    @Test(arguments: [
        ("example.com", true), ("a.b-c.d", true), ("a..b", false), (".a", false), ("A.com", false), ("a.", false),
    ])
    func subdomain(name: String, valid: Bool) {
        #expect(NameValidation.dns1123Subdomain(name) == (valid ? [] : [dns1123SubdomainMessage]))
    }

    @Test func qualifiedNames() {
        #expect(NameValidation.qualifiedName("app").isEmpty)
        #expect(NameValidation.qualifiedName("example.com/My_Name.1").isEmpty)
        #expect(NameValidation.qualifiedName("/a") == ["prefix part must be non-empty"])
        #expect(
            NameValidation.qualifiedName("a/b/c") == [
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ])
        #expect(
            NameValidation.qualifiedName("a/") == [
                "name part must be non-empty",
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ])
        #expect(NameValidation.qualifiedName("Ex.com/a") == ["prefix part " + dns1123SubdomainMessage])
    }

    @Test(arguments: [
        ("", true), ("v1", true), ("a_b.c-d", true), ("-a", false), ("a b", false),
        (String(repeating: "x", count: 64), false),
    ])
    func labelValues(value: String, valid: Bool) { #expect(NameValidation.labelValue(value).isEmpty == valid) }

    @Test(arguments: [
        ("http", [String]()), ("h-t-t-p", []), ("http1", []),
        ("8080", ["must contain at least one letter (a-z)"]),
        (
            "HTTP",
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)",
            ]
        ),
        ("a--b", ["must not contain consecutive hyphens"]), ("-ab", ["must not begin or end with a hyphen"]),
        ("abcdefghijklmnop", ["must be no more than 15 characters"]),
    ])
    func portNames(name: String, expected: [String]) { #expect(NameValidation.portName(name) == expected) }

    @Test(arguments: [
        ("10.0.0.1", "10.0.0.1"), ("010.000.000.001", "10.0.0.1"), ("::1", "::1"), ("fd00:0:0:0:0:0:0:a", "fd00::a"),
        ("::ffff:1.2.3.4", "1.2.3.4"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("::", "::"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("64:ff9b::10.0.0.1", "64:ff9b::a00:1"),
    ])
    func ipParsing(input: String, canonical: String) { #expect(ParsedIP(input)?.text == canonical) }

    @Test(arguments: [
        "", "abc", "10.0.0", "10.0.0.256", "1::2::3", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "10.0.0.1 ", "12345::1",
        ":::",
    ])
    func ipRejects(input: String) { #expect(ParsedIP(input) == nil) }
}

private let baseService = """
    {"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx","namespace":"default"},
     "spec":{"selector":{"app":"nginx"},"ports":[{"port":80}]}}
    """

private func service(spec: String, name: String = "nginx") -> String {
    """
    {"apiVersion":"v1","kind":"Service","metadata":{"name":"\(name)","namespace":"default","resourceVersion":"5"},"spec":\(spec)}
    """
}

@Suite struct ServiceDefaultsTests {
    @Test func clusterIPDefaults() {
        var s = obj(baseService)
        Validation.applyDefaults(&s, resource: .service, old: nil, primaryIPFamily: "IPv4")
        let expected = obj(
            """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"nginx","namespace":"default"},
             "spec":{"selector":{"app":"nginx"},"ports":[{"port":80,"protocol":"TCP","targetPort":80}],
              "type":"ClusterIP","sessionAffinity":"None","internalTrafficPolicy":"Cluster",
              "ipFamilyPolicy":"SingleStack","ipFamilies":["IPv4"]},
             "status":{"loadBalancer":{}}}
            """)
        #expect(s == expected)
    }

    @Test func loadBalancerAndAffinityDefaults() {
        var s = obj(
            service(
                spec:
                    #"{"type":"LoadBalancer","sessionAffinity":"ClientIP","ports":[{"port":443,"targetPort":"https","protocol":"UDP"}]}"#
            ))
        Validation.applyDefaults(&s, resource: .service, old: nil, primaryIPFamily: "IPv6")
        #expect(s.at("spec", "externalTrafficPolicy") == "Cluster")
        #expect(s.at("spec", "allocateLoadBalancerNodePorts") == true)
        #expect(s.at("spec", "sessionAffinityConfig") == ["clientIP": ["timeoutSeconds": 10800]])
        #expect(s.at("spec", "ports") == [["port": 443, "targetPort": "https", "protocol": "UDP"]])
        #expect(s.at("spec", "ipFamilies") == ["IPv6"])
    }

    @Test func externalNameGetsNoFamilies() {
        var s = obj(service(spec: #"{"type":"ExternalName","externalName":"example.com"}"#))
        Validation.applyDefaults(&s, resource: .service, old: nil, primaryIPFamily: "IPv4")
        #expect(s.at("spec", "ipFamilies") == nil)
        #expect(s.at("spec", "ipFamilyPolicy") == nil)
        #expect(s.at("spec", "internalTrafficPolicy") == nil)
        #expect(s.at("spec", "externalTrafficPolicy") == nil)
    }

    @Test func headlessFamilies() {
        var withSelector = obj(service(spec: #"{"clusterIP":"None","selector":{"a":"b"}}"#))
        Validation.applyDefaults(&withSelector, resource: .service, old: nil, primaryIPFamily: "IPv4")
        #expect(withSelector.at("spec", "clusterIPs") == ["None"])
        #expect(withSelector.at("spec", "ipFamilyPolicy") == "SingleStack")
        #expect(withSelector.at("spec", "ipFamilies") == ["IPv4"])
        var selectorless = obj(service(spec: #"{"clusterIP":"None"}"#))
        Validation.applyDefaults(&selectorless, resource: .service, old: nil, primaryIPFamily: "IPv4")
        #expect(selectorless.at("spec", "ipFamilyPolicy") == "RequireDualStack")
        #expect(selectorless.at("spec", "ipFamilies") == ["IPv4", "IPv6"])
    }

    @Test func clusterIPInfersFamily() {
        var s = obj(service(spec: #"{"clusterIP":"fd00::10","ports":[{"port":53}]}"#))
        Validation.applyDefaults(&s, resource: .service, old: nil, primaryIPFamily: "IPv4")
        #expect(s.at("spec", "clusterIPs") == ["fd00::10"])
        #expect(s.at("spec", "ipFamilies") == ["IPv6"])
    }

    private static let storedNodePort = service(
        spec: #"""
            {"type":"NodePort","clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20"],"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack",
             "sessionAffinity":"None","externalTrafficPolicy":"Cluster","internalTrafficPolicy":"Cluster",
             "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":80,"nodePort":30080},
                      {"name":"https","port":443,"protocol":"TCP","targetPort":443,"nodePort":30443}]}
            """#)

    @Test func updateKeepsAllocatedValues() {
        var s = obj(
            service(spec: #"{"type":"NodePort","ports":[{"name":"http","port":80},{"name":"https","port":443}]}"#))
        Validation.applyDefaults(&s, resource: .service, old: obj(Self.storedNodePort), primaryIPFamily: "IPv4")
        #expect(s.at("spec", "clusterIP") == "10.43.0.20")
        #expect(s.at("spec", "clusterIPs") == ["10.43.0.20"])
        #expect(s.at("spec", "ipFamilies") == ["IPv4"])
        #expect(s.at("spec", "ipFamilyPolicy") == "SingleStack")
        #expect(s.at("spec", "ports")?.arrayValue?.map { $0["nodePort"] } == [30080, 30443])
        #expect(Validation.validate(s, resource: .service, old: obj(Self.storedNodePort)).isEmpty)
    }

    @Test func updateDoesNotReuseNodePortTakenElsewhere() {
        // The new first port asks for 30443 explicitly, so the "https" port must not get it back.
        var s = obj(
            service(
                spec:
                    #"{"type":"NodePort","ports":[{"name":"http","port":80,"nodePort":30443},{"name":"https","port":443}]}"#
            ))
        Validation.applyDefaults(&s, resource: .service, old: obj(Self.storedNodePort), primaryIPFamily: "IPv4")
        #expect(s.at("spec", "ports")?.arrayValue?.map { $0["nodePort"] } == [30443, nil])
    }

    @Test func typeChangeToClusterIPDropsNodePorts() {
        var s = obj(
            service(
                spec:
                    #"{"type":"ClusterIP","ports":[{"name":"http","port":80,"nodePort":30080},{"name":"https","port":443}]}"#
            ))
        Validation.applyDefaults(&s, resource: .service, old: obj(Self.storedNodePort), primaryIPFamily: "IPv4")
        #expect(s.at("spec", "ports")?.arrayValue?.map { $0["nodePort"] } == [nil, nil])
        #expect(s.at("spec", "externalTrafficPolicy") == nil)
        #expect(s.at("spec", "clusterIP") == "10.43.0.20")
    }

    @Test func typeChangeToExternalNameDropsClusterIP() {
        let old = obj(Self.storedNodePort)
        var s = old
        s.set(["spec", "type"], "ExternalName")
        s.set(["spec", "externalName"], "example.com")
        s.set(["spec", "externalTrafficPolicy"], nil)
        s.set(["spec", "internalTrafficPolicy"], nil)
        Validation.applyDefaults(&s, resource: .service, old: old, primaryIPFamily: "IPv4")
        #expect(s.at("spec", "clusterIP") == nil)
        #expect(s.at("spec", "clusterIPs") == nil)
        #expect(s.at("spec", "ipFamilies") == nil)
        #expect(s.at("spec", "ipFamilyPolicy") == nil)
        #expect(s.at("spec", "ports")?.arrayValue?.map { $0["nodePort"] } == [nil, nil])
        #expect(Validation.validate(s, resource: .service, old: old) == [])
    }
}

@Suite struct ServiceValidationTests {
    @Test func validServiceHasNoErrors() {
        #expect(check(baseService, .service).isEmpty)
        #expect(check(service(spec: #"{"type":"ExternalName","externalName":"db.example.com."}"#), .service).isEmpty)
        #expect(check(service(spec: #"{"clusterIP":"None"}"#), .service).isEmpty)
        #expect(
            check(
                service(
                    spec:
                        #"{"type":"LoadBalancer","ports":[{"name":"a","port":80},{"name":"b","port":80,"protocol":"UDP"}]}"#
                ), .service
            ).isEmpty)
    }

    @Test(arguments: [
        // targetPort defaults to port, so upstream reports both.
        (
            #"{"ports":[{"port":70000}]}"#,
            [
                "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ]
        ),
        (
            #"{"ports":[{"port":70000,"targetPort":80}]}"#,
            ["spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"]
        ),
        (
            #"{"ports":[{"port":0,"targetPort":8080}]}"#,
            ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"]
        ),
        (#"{"selector":{"a":"b"}}"#, ["spec.ports: Required value"]),
        (#"{"ports":[{"port":80},{"name":"b","port":81}]}"#, ["spec.ports[0].name: Required value"]),
        (
            #"{"ports":[{"name":"http","port":80},{"name":"http","port":81}]}"#,
            ["spec.ports[1].name: Duplicate value: \"http\""]
        ),
        (
            #"{"ports":[{"name":"Http","port":80}]}"#,
            ["spec.ports[0].name: Invalid value: \"Http\": " + dns1123LabelMessage]
        ),
        (
            #"{"ports":[{"port":80,"protocol":"HTTP"}]}"#,
            ["spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""]
        ),
        (
            #"{"ports":[{"port":80,"targetPort":"HTTP"}]}"#,
            [
                "spec.ports[0].targetPort: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.ports[0].targetPort: Invalid value: \"HTTP\": must contain at least one letter (a-z)",
            ]
        ),
        (
            #"{"ports":[{"port":80,"targetPort":70000}]}"#,
            ["spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]
        ),
        (
            #"{"type":"Foo","ports":[{"port":80}]}"#,
            [
                "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
            ]
        ),
        (
            #"{"ports":[{"port":80,"nodePort":30080}]}"#,
            ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]
        ),
        (
            #"{"type":"NodePort","clusterIP":"None","ports":[{"port":80}]}"#,
            ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"]
        ),
        (
            #"{"type":"LoadBalancer","clusterIP":"None","ports":[{"port":80}]}"#,
            ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"]
        ),
        (#"{"type":"ExternalName"}"#, ["spec.externalName: Required value"]),
        (
            #"{"type":"ExternalName","externalName":"Bad_Host"}"#,
            ["spec.externalName: Invalid value: \"Bad_Host\": " + dns1123SubdomainMessage]
        ),
        (
            #"{"type":"ExternalName","externalName":"a.com","clusterIP":"10.0.0.1"}"#,
            ["spec.clusterIPs: Forbidden: may not be set for ExternalName services"]
        ),
        (
            #"{"ports":[{"name":"a","port":80},{"name":"b","port":80}]}"#,
            [
                "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"
            ]
        ),
        (
            #"{"type":"NodePort","ports":[{"name":"a","port":80,"nodePort":30080},{"name":"b","port":81,"nodePort":30080}]}"#,
            ["spec.ports[1].nodePort: Duplicate value: 30080"]
        ),
        (
            #"{"externalTrafficPolicy":"Local","ports":[{"port":80}]}"#,
            ["spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services"]
        ),
        (
            #"{"type":"NodePort","externalTrafficPolicy":"Foo","ports":[{"port":80}]}"#,
            ["spec.externalTrafficPolicy: Unsupported value: \"Foo\": supported values: \"Cluster\", \"Local\""]
        ),
        (
            #"{"allocateLoadBalancerNodePorts":false,"ports":[{"port":80}]}"#,
            ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"]
        ),
        (
            #"{"sessionAffinity":"Sticky","ports":[{"port":80}]}"#,
            ["spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\""]
        ),
        (
            #"{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":90000}},"ports":[{"port":80}]}"#,
            [
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400"
            ]
        ),
        (
            #"{"clusterIP":"abc","ports":[{"port":80}]}"#,
            [
                "spec.clusterIPs[0]: Invalid value: \"abc\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
            ]
        ),
        (
            #"{"clusterIP":"10.0.0.1","clusterIPs":["10.0.0.2"],"ports":[{"port":80}]}"#,
            ["spec.clusterIPs: Invalid value: []string{\"10.0.0.2\"}: first value must match `clusterIP`"]
        ),
        (
            #"{"ipFamilyPolicy":"Dual","ports":[{"port":80}]}"#,
            [
                "spec.ipFamilyPolicy: Unsupported value: \"Dual\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\""
            ]
        ),
        (#"{"ipFamilies":["IPv4","IPv4"],"ports":[{"port":80}]}"#, ["spec.ipFamilies[1]: Duplicate value: \"IPv4\""]),
        (
            #"{"externalIPs":["127.0.0.1"],"ports":[{"port":80}]}"#,
            [
                "spec.externalIPs[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"
            ]
        ),
        (
            #"{"type":"LoadBalancer","ports":[{"port":10250}]}"#,
            ["spec.ports[0]: Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet"]
        ),
        (
            #"{"internalTrafficPolicy":"Node","ports":[{"port":80}]}"#,
            ["spec.internalTrafficPolicy: Unsupported value: \"Node\": supported values: \"Cluster\", \"Local\""]
        ),
    ])
    func createErrors(spec: String, expected: [String]) {
        #expect(check(service(spec: spec), .service) == expected)
    }

    @Test func badServiceName() {
        #expect(
            check(service(spec: #"{"ports":[{"port":80}]}"#, name: "Bad_Name"), .service) == [
                "metadata.name: Invalid value: \"Bad_Name\": " + dns1035Message
            ])
    }

    @Test func metadataErrors() {
        let text = """
            {"metadata":{"namespace":"Bad NS","labels":{"ok":"-bad"},"annotations":{"a/b/c":"x"}},"spec":{"ports":[{"port":80}]}}
            """
        #expect(
            check(text, .service) == [
                "metadata.name: Required value: name or generateName is required",
                "metadata.namespace: Invalid value: \"Bad NS\": " + dns1123LabelMessage,
                "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            ])
        #expect(
            check(
                #"{"metadata":{"generateName":"web-","namespace":"default","name":"web-abcde","finalizers":["custom"]},"spec":{"ports":[{"port":80}]}}"#,
                .service)
                == [
                    "metadata.finalizers[0]: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified"
                ])
    }

    private static let stored = service(
        spec: #"""
            {"type":"ClusterIP","clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20"],"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack",
             "sessionAffinity":"None","internalTrafficPolicy":"Cluster","selector":{"app":"nginx"},
             "ports":[{"port":80,"protocol":"TCP","targetPort":80}]}
            """#)

    @Test func updateErrors() {
        #expect(
            check(service(spec: #"{"ports":[{"port":80}],"selector":{"app":"nginx"}}"#), .service, old: Self.stored)
                .isEmpty)
        #expect(
            check(
                service(spec: #"{"clusterIP":"10.43.0.21","clusterIPs":["10.43.0.21"],"ports":[{"port":80}]}"#),
                .service, old: Self.stored)
                == ["spec.clusterIPs[0]: Invalid value: []string{\"10.43.0.21\"}: may not change once set"])
        #expect(
            check(service(spec: #"{"clusterIP":"None","ports":[{"port":80}]}"#), .service, old: Self.stored)
                == ["spec.clusterIPs[0]: Invalid value: []string{\"None\"}: may not change once set"])
        #expect(
            check(service(spec: #"{"type":"NodePort","ports":[{"port":80}]}"#), .service, old: Self.stored).isEmpty)
        #expect(
            check(service(spec: #"{"ipFamilies":["IPv6"],"ports":[{"port":80}]}"#), .service, old: Self.stored)
                == [
                    "spec.ipFamilies[0]: Invalid value: []core.IPFamily{\"IPv6\"}: may not change once set",
                    "spec.clusterIPs[0]: Invalid value: \"10.43.0.20\": expected an IPv6 value as indicated by `ipFamilies[0]`",
                ])
        var noRV = obj(service(spec: #"{"ports":[{"port":80}]}"#))
        noRV.set(["metadata", "resourceVersion"], nil)
        Validation.applyDefaults(&noRV, resource: .service, old: obj(Self.stored), primaryIPFamily: "IPv4")
        // The generic registry checks metadata before the Service rules do, so upstream lists it twice;
        // the Status message dedups.
        let noRVErrors = Validation.validate(noRV, resource: .service, old: obj(Self.stored))
        #expect(
            noRVErrors.map(\.fullMessage)
                == Array(
                    repeating: "metadata.resourceVersion: Invalid value: \"\": must be specified for an update",
                    count: 2))
        #expect(
            Validation.invalidMessage(kind: "Service", name: "nginx", errors: noRVErrors)
                == "Service \"nginx\" is invalid: metadata.resourceVersion: Invalid value: \"\": must be specified for an update"
        )
        var renamed = obj(service(spec: #"{"ports":[{"port":80}]}"#, name: "other"))
        Validation.applyDefaults(&renamed, resource: .service, old: obj(Self.stored), primaryIPFamily: "IPv4")
        #expect(
            Validation.validate(renamed, resource: .service, old: obj(Self.stored)).map(\.fullMessage)
                == Array(repeating: "metadata.name: Invalid value: \"other\": field is immutable", count: 2))
    }

    @Test func ipFamilyErrorsNeedClusterConfig() {
        var s = obj(service(spec: #"{"ipFamilyPolicy":"RequireDualStack","ports":[{"port":80}]}"#))
        Validation.applyDefaults(&s, resource: .service, old: nil, primaryIPFamily: "IPv4")
        #expect(
            Validation.serviceIPFamilyErrors(s, old: nil, clusterFamilies: ["IPv4"]).map(\.fullMessage)
                == [
                    "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services"
                ])
        #expect(Validation.serviceIPFamilyErrors(s, old: nil, clusterFamilies: ["IPv4", "IPv6"]).isEmpty)
        var v6 = obj(service(spec: #"{"clusterIP":"fd00::1","ports":[{"port":80}]}"#))
        Validation.applyDefaults(&v6, resource: .service, old: nil, primaryIPFamily: "IPv4")
        #expect(
            Validation.serviceIPFamilyErrors(v6, old: nil, clusterFamilies: ["IPv4"]).map(\.fullMessage)
                == ["spec.clusterIPs[0]: Invalid value: []string{\"fd00::1\"}: IPv6 is not configured on this cluster"])
        var headless = obj(service(spec: #"{"clusterIP":"None"}"#))
        Validation.applyDefaults(&headless, resource: .service, old: nil, primaryIPFamily: "IPv4")
        #expect(Validation.serviceIPFamilyErrors(headless, old: nil, clusterFamilies: ["IPv4"]).isEmpty)
    }
}

@Suite struct NamespaceSecretConfigMapTests {
    @Test func namespace() {
        #expect(check(#"{"metadata":{"name":"team-a"}}"#, .namespace).isEmpty)
        #expect(
            check(#"{"metadata":{"name":"Bad_NS"}}"#, .namespace) == [
                "metadata.name: Invalid value: \"Bad_NS\": " + dns1123LabelMessage
            ])
        #expect(
            check(#"{"metadata":{"name":"a.b"}}"#, .namespace) == [
                "metadata.name: Invalid value: \"a.b\": must not contain dots"
            ])
        #expect(
            check(#"{"metadata":{"name":"a","namespace":"x"}}"#, .namespace) == [
                "metadata.namespace: Forbidden: not allowed on this type"
            ])
        #expect(
            check(#"{"metadata":{"name":"a"},"spec":{"finalizers":["custom"]}}"#, .namespace)
                == [
                    "spec.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified"
                ])
    }

    @Test func namespaceDefaults() {
        var ns = obj(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}"#)
        Validation.applyDefaults(&ns, resource: .namespace, old: nil, primaryIPFamily: "IPv4")
        #expect(
            ns
                == obj(
                    #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"kubernetes.io/metadata.name":"team-a"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#
                ))
        var update = obj(
            #"{"metadata":{"name":"team-a","labels":{"kubernetes.io/metadata.name":"other"}},"status":{"phase":"Terminating"}}"#
        )
        Validation.applyDefaults(&update, resource: .namespace, old: ns, primaryIPFamily: "IPv4")
        #expect(update.at("metadata", "labels", "kubernetes.io/metadata.name") == "team-a")
        #expect(update.at("status", "phase") == "Active")
        #expect(update.at("spec", "finalizers") == ["kubernetes"])
    }

    private static let tls =
        #"{"metadata":{"name":"cert","namespace":"default","resourceVersion":"1"},"type":"kubernetes.io/tls","data":{"tls.crt":"YQ==","tls.key":"Yg=="}}"#

    @Test func secrets() {
        #expect(check(Self.tls, .secret).isEmpty)
        #expect(
            check(#"{"metadata":{"name":"cert","namespace":"default"},"type":"kubernetes.io/tls"}"#, .secret)
                == ["data[tls.crt]: Required value", "data[tls.key]: Required value"])
        #expect(
            check(#"{"metadata":{"name":"s","namespace":"default"},"data":{"a b":"YQ=="}}"#, .secret) == [
                "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
            ])
        let big = [UInt8](repeating: 0, count: 1_048_577)
        let bigSecret = JSON.object([
            "metadata": ["name": "s", "namespace": "default"],
            "data": ["blob": .string(Data(big).base64EncodedString())],
        ])
        #expect(
            Validation.validate(bigSecret, resource: .secret, old: nil).map(\.fullMessage) == [
                "data: Too long: may not be more than 1048576 bytes"
            ])
        let exact = JSON.object([
            "metadata": ["name": "s", "namespace": "default"],
            "data": ["blob": .string(Data([UInt8](repeating: 0, count: 1_048_576)).base64EncodedString())],
        ])
        #expect(Validation.validate(exact, resource: .secret, old: nil).isEmpty)
        #expect(
            check(
                #"{"metadata":{"name":"s","namespace":"default"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"W10="}}"#,
                .secret)
                == [
                    "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}"
                ])
        #expect(
            check(#"{"metadata":{"name":"s","namespace":"default"},"type":"kubernetes.io/basic-auth"}"#, .secret) == [
                "data[username]: Required value", "data[password]: Required value",
            ])
    }

    @Test func secretUpdate() {
        let changed =
            #"{"metadata":{"name":"cert","namespace":"default","resourceVersion":"1"},"type":"Opaque","data":{"tls.crt":"YQ=="}}"#
        #expect(check(changed, .secret, old: Self.tls) == ["type: Invalid value: \"Opaque\": field is immutable"])
        let immutableOld =
            #"{"metadata":{"name":"s","namespace":"default"},"type":"Opaque","immutable":true,"data":{"a":"YQ=="}}"#
        let edit =
            #"{"metadata":{"name":"s","namespace":"default","resourceVersion":"2"},"type":"Opaque","data":{"a":"Yg=="}}"#
        #expect(
            check(edit, .secret, old: immutableOld) == [
                "immutable: Forbidden: field is immutable when `immutable` is set",
                "data: Forbidden: field is immutable when `immutable` is set",
            ])
    }

    @Test func secretDefaults() {
        var s = obj(#"{"metadata":{"name":"s"},"data":{"a":"eA==","b":"eQ=="},"stringData":{"b":"hello"}}"#)
        Validation.applyDefaults(&s, resource: .secret, old: nil, primaryIPFamily: "IPv4")
        #expect(s == obj(#"{"metadata":{"name":"s"},"type":"Opaque","data":{"a":"eA==","b":"aGVsbG8="}}"#))
    }

    @Test func configMaps() {
        #expect(
            check(
                #"{"metadata":{"name":"c","namespace":"default"},"data":{"k":"v"},"binaryData":{"b":"YQ=="}}"#,
                .configMap
            ).isEmpty)
        #expect(
            check(#"{"metadata":{"name":"c","namespace":"default"},"data":{"..":"v"}}"#, .configMap) == [
                "data[..]: Invalid value: \"..\": must not be '..'"
            ])
        #expect(
            check(
                #"{"metadata":{"name":"c","namespace":"default"},"data":{"k":"v"},"binaryData":{"k":"YQ=="}}"#,
                .configMap)
                == ["data[k]: Invalid value: \"k\": duplicate of key present in binaryData"])
        let huge = JSON.object([
            "metadata": ["name": "c", "namespace": "default"],
            "data": ["k": .string(String(repeating: "x", count: 1_048_577))],
        ])
        #expect(
            Validation.validate(huge, resource: .configMap, old: nil).map(\.fullMessage) == [
                ": Too long: may not be more than 1048576 bytes"
            ])
        #expect(
            check(
                #"{"metadata":{"name":"c","namespace":"default","resourceVersion":"3"},"data":{"k":"w"}}"#, .configMap,
                old: #"{"metadata":{"name":"c","namespace":"default"},"immutable":true,"data":{"k":"v"}}"#)
                == [
                    "immutable: Forbidden: field is immutable when `immutable` is set",
                    "data: Forbidden: field is immutable when `immutable` is set",
                ])
    }
}

@Suite struct EndpointsTests {
    private func endpoints(_ subsets: String) -> String {
        #"{"metadata":{"name":"web","namespace":"default"},"subsets":"# + subsets + "}"
    }

    @Test(arguments: [
        (#"[{"addresses":[{"ip":"10.1.0.5"}],"ports":[{"port":80}]}]"#, [String]()),
        (#"[{"addresses":[{"ip":"127.0.0.1"},{"ip":"::1"}],"ports":[{"port":80}]}]"#, []),
        (
            #"[{"addresses":[{"ip":"169.254.1.1"}]}]"#,
            [
                "subsets[0].addresses[0].ip: Invalid value: \"169.254.1.1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)"
            ]
        ),
        (
            #"[{"addresses":[{"ip":"224.0.0.1"}]}]"#,
            [
                "subsets[0].addresses[0].ip: Invalid value: \"224.0.0.1\": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
            ]
        ),
        (
            #"[{"notReadyAddresses":[{"ip":"0.0.0.0"}]}]"#,
            ["subsets[0].notReadyAddresses[0].ip: Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)"]
        ),
        (
            #"[{"addresses":[{"ip":"abc"}]}]"#,
            [
                "subsets[0].addresses[0].ip: Invalid value: \"abc\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                "subsets[0].addresses[0].ip: Invalid value: \"abc\": must be a valid IP address",
            ]
        ),
        (
            #"[{"ports":[{"port":80}]}]"#,
            ["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]
        ),
        (
            #"[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80},{"name":"b","port":0}]}]"#,
            [
                "subsets[0].ports[0].name: Required value",
                "subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            ]
        ),
    ])
    func subsets(subsets: String, expected: [String]) {
        #expect(check(endpoints(subsets), .endpoints) == expected)
    }

    private func slice(_ body: String) -> String {
        #"{"metadata":{"name":"web-abc","namespace":"default","resourceVersion":"1"},"# + body + "}"
    }

    @Test(arguments: [
        (#""addressType":"IPv4","endpoints":[{"addresses":["10.1.0.5"]}],"ports":[{"port":80}]"#, [String]()),
        (#""addressType":"IPv4","endpoints":[{"addresses":["127.0.0.1"]}]"#, []),
        (#""addressType":"IPv6","endpoints":[{"addresses":["::1"]}]"#, []),
        (#""addressType":"FQDN","endpoints":[{"addresses":["db.example.com"]}]"#, []),
        (#""endpoints":[]"#, ["addressType: Required value"]),
        (
            #""addressType":"IP""#,
            ["addressType: Unsupported value: \"IP\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""]
        ),
        (
            #""addressType":"IPv4","endpoints":[{"addresses":["fd00::1"]}]"#,
            ["endpoints[0].addresses[0]: Invalid value: \"fd00::1\": must be a valid IPv4 address"]
        ),
        (
            #""addressType":"IPv6","endpoints":[{"addresses":["fe80::1"]}]"#,
            [
                "endpoints[0].addresses[0]: Invalid value: \"fe80::1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)"
            ]
        ),
        (
            #""addressType":"IPv6","endpoints":[{"addresses":["ff02::1"]}]"#,
            [
                "endpoints[0].addresses[0]: Invalid value: \"ff02::1\": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"
            ]
        ),
        (
            #""addressType":"IPv4","endpoints":[{"addresses":[]}]"#,
            ["endpoints[0].addresses: Required value: must contain at least 1 address"]
        ),
        (
            #""addressType":"FQDN","endpoints":[{"addresses":["localhost"]}]"#,
            [
                "endpoints[0].addresses[0]: Invalid value: \"localhost\": should be a domain with at least two segments separated by dots"
            ]
        ),
        (
            #""addressType":"IPv4","ports":[{"name":"http","port":80},{"name":"http","port":81,"protocol":"QUIC"}]"#,
            [
                "ports[1].name: Duplicate value: \"http\"",
                "ports[1].protocol: Unsupported value: \"QUIC\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ]
        ),
    ])
    func slices(body: String, expected: [String]) {
        #expect(check(slice(body), .endpointSlice) == expected)
    }

    @Test func sliceUpdateAndDefaults() {
        let old = slice(#""addressType":"IPv4""#)
        #expect(
            check(slice(#""addressType":"IPv6""#), .endpointSlice, old: old) == [
                "addressType: Invalid value: \"IPv6\": field is immutable"
            ])
        var s = obj(slice(#""addressType":"IPv4","ports":[{"port":80}]"#))
        Validation.applyDefaults(&s, resource: .endpointSlice, old: nil, primaryIPFamily: "IPv4")
        #expect(s["ports"] == [["port": 80, "name": "", "protocol": "TCP"]])
    }
}

@Suite struct IngressValidationTests {
    private func ingress(_ spec: String, annotations: String = "{}") -> String {
        #"{"metadata":{"name":"web","namespace":"default","resourceVersion":"1","annotations":"# + annotations
            + #"},"spec":"# + spec + "}"
    }

    private static let backend = #"{"service":{"name":"web","port":{"number":80}}}"#

    private static func rule(
        host: String = "", path: String = "/", pathType: String? = "Prefix", backend: String = backend
    ) -> String {
        let type = pathType.map { #","pathType":"\#($0)""# } ?? ""
        return #"{"rules":[{"host":"\#(host)","http":{"paths":[{"path":"\#(path)"\#(type),"backend":\#(backend)}]}}]}"#
    }

    @Test(arguments: [
        (rule(), [String]()),
        (rule(host: "*.example.com", path: "", pathType: "ImplementationSpecific"), []),
        (#"{"defaultBackend":\#(backend)}"#, []),
        (
            "{}",
            ["spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"]
        ),
        (rule(pathType: nil), ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]),
        (
            rule(pathType: "Regex"),
            [
                "spec.rules[0].http.paths[0].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""
            ]
        ),
        (rule(path: "foo"), ["spec.rules[0].http.paths[0].path: Invalid value: \"foo\": must be an absolute path"]),
        (
            rule(path: "/a//b", pathType: "Exact"),
            ["spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain '//'"]
        ),
        (rule(path: "/a/.."), ["spec.rules[0].http.paths[0].path: Invalid value: \"/a/..\": cannot end with '/..'"]),
        (
            rule(path: "regex(.*)", pathType: "ImplementationSpecific"),
            ["spec.rules[0].http.paths[0].path: Invalid value: \"regex(.*)\": must be an absolute path"]
        ),
        (
            rule(host: "1.2.3.4"),
            ["spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a DNS name, not an IP address"]
        ),
        (
            rule(host: "foo.*.com"),
            [
                "spec.rules[0].host: Invalid value: \"foo.*.com\": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ]
        ),
        (
            rule(backend: #"{"service":{"name":"web"}}"#),
            ["spec.rules[0].http.paths[0].backend: Required value: port name or number is required"]
        ),
        (
            rule(backend: #"{"service":{"name":"web","port":{"name":"http","number":80}}}"#),
            ["spec.rules[0].http.paths[0].backend: Invalid value: \"\": cannot set both port name & port number"]
        ),
        (
            rule(backend: #"{"service":{"name":"1web","port":{"number":80}}}"#),
            ["spec.rules[0].http.paths[0].backend.service.name: Invalid value: \"1web\": " + dns1035Message]
        ),
        (
            rule(backend: #"{"service":{"name":"web","port":{"number":70000}}}"#),
            [
                "spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive"
            ]
        ),
        (
            rule(backend: "{}"),
            ["spec.rules[0].http.paths[0].backend: Invalid value: \"\": resource or service backend is required"]
        ),
        (#"{"rules":[{"host":"a.com","http":{"paths":[]}}]}"#, ["spec.rules[0].http.paths: Required value"]),
        (
            #"{"defaultBackend":\#(backend),"tls":[{"hosts":["A.com"],"secretName":"Bad_Secret"}]}"#,
            [
                "spec.tls[0].hosts[0]: Invalid value: \"A.com\": " + dns1123SubdomainMessage,
                "spec.tls[0].secretName: Invalid value: \"Bad_Secret\": " + dns1123SubdomainMessage,
            ]
        ),
    ])
    func specs(spec: String, expected: [String]) {
        #expect(check(ingress(spec), .ingress) == expected)
    }

    @Test func classAnnotationMustMatch() {
        let text = ingress(
            #"{"ingressClassName":"nginx","defaultBackend":\#(Self.backend)}"#,
            annotations: #"{"kubernetes.io/ingress.class":"traefik"}"#)
        #expect(
            check(text, .ingress) == [
                "annotations.kubernetes.io/ingress.class: Invalid value: \"traefik\": must match `ingressClassName` when both are specified"
            ])
        // Only checked on create.
        #expect(check(text, .ingress, old: text).isEmpty)
    }

    @Test func storedInvalidSecretNameStaysUpdatable() {
        let old = ingress(#"{"defaultBackend":\#(Self.backend),"tls":[{"secretName":"Bad_Secret"}]}"#)
        #expect(check(old, .ingress, old: old).isEmpty)
    }

    @Test func ingressClasses() {
        let ok = #"{"metadata":{"name":"nginx","resourceVersion":"1"},"spec":{"controller":"k8s.io/ingress-nginx"}}"#
        #expect(check(ok, .ingressClass).isEmpty)
        #expect(
            check(#"{"metadata":{"name":"nginx"},"spec":{}}"#, .ingressClass) == ["spec.controller: Required value"])
        #expect(
            check(#"{"metadata":{"name":"nginx"},"spec":{"controller":"nginx"}}"#, .ingressClass)
                == [
                    "spec.controller: Invalid value: \"nginx\": must be a domain-prefixed path (such as \"acme.io/foo\")"
                ])
        #expect(
            check(
                #"{"metadata":{"name":"nginx","resourceVersion":"1"},"spec":{"controller":"example.com/other"}}"#,
                .ingressClass, old: ok)
                == ["spec.controller: Invalid value: \"example.com/other\": field is immutable"])
        #expect(
            check(
                #"{"metadata":{"name":"nginx"},"spec":{"controller":"k8s.io/x","parameters":{"kind":"Cfg","name":"c","scope":"Namespace"}}}"#,
                .ingressClass)
                == ["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"])
    }
}

@Suite struct PodAndEventTests {
    private static let pod =
        #"{"metadata":{"name":"web","namespace":"default","resourceVersion":"1"},"spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}]}]}}"#

    @Test func podDefaults() {
        var p = obj(Self.pod)
        Validation.applyDefaults(&p, resource: .pod, old: nil, primaryIPFamily: "IPv4")
        #expect(
            p["spec"]
                == obj(
                    #"""
                    {"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"imagePullPolicy":"Always",
                      "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","resources":{}}],
                     "dnsPolicy":"ClusterFirst","restartPolicy":"Always","securityContext":{},"terminationGracePeriodSeconds":30,
                     "schedulerName":"default-scheduler","enableServiceLinks":true}
                    """#))
        #expect(p["status"] == ["phase": "Pending", "qosClass": "BestEffort"])
        #expect(Validation.validate(p, resource: .pod, old: nil).isEmpty)
    }

    @Test(arguments: [
        ("nginx", "latest"), ("nginx:1.25", "1.25"), ("localhost:5000/nginx", "latest"), ("repo/nginx@sha256:abc", ""),
        ("a:1@sha256:abc", "1"),
    ])
    func imageTags(image: String, tag: String) { #expect(Validation.imageTag(image) == tag) }

    @Test(arguments: [
        (#"{"containers":[]}"#, ["spec.containers: Required value"]),
        (#"{"containers":[{"name":"web"}]}"#, ["spec.containers[0].image: Required value"]),
        (
            #"{"containers":[{"name":"Web","image":"x"}]}"#,
            ["spec.containers[0].name: Invalid value: \"Web\": " + dns1123LabelMessage]
        ),
        (
            #"{"containers":[{"name":"a","image":"x"},{"name":"a","image":"y"}]}"#,
            ["spec.containers[1].name: Duplicate value: \"a\""]
        ),
        (
            #"{"restartPolicy":"Sometimes","containers":[{"name":"a","image":"x"}]}"#,
            [
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
            ]
        ),
        (
            #"{"containers":[{"name":"a","image":"x","ports":[{"name":"http"},{"name":"http","containerPort":81}]}]}"#,
            [
                "spec.containers[0].ports[0].containerPort: Required value",
                "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
            ]
        ),
        (
            #"{"containers":[{"name":"a","image":"x","imagePullPolicy":"Sometimes"}]}"#,
            [
                "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""
            ]
        ),
    ])
    func podErrors(spec: String, expected: [String]) {
        #expect(check(#"{"metadata":{"name":"p","namespace":"default"},"spec":"# + spec + "}", .pod) == expected)
    }

    @Test func podUpdate() {
        var old = obj(Self.pod)
        Validation.applyDefaults(&old, resource: .pod, old: nil, primaryIPFamily: "IPv4")
        var newImage = old
        newImage.set(
            ["spec", "containers"],
            [
                [
                    "name": "web", "image": "nginx:1.27", "ports": [["containerPort": 80, "protocol": "TCP"]],
                    "imagePullPolicy": "Always", "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File", "resources": [:],
                ]
            ])
        #expect(Validation.validate(newImage, resource: .pod, old: old).isEmpty)
        var newPolicy = old
        newPolicy.set(["spec", "restartPolicy"], "Never")
        let errs = Validation.validate(newPolicy, resource: .pod, old: old)
        #expect(errs.count == 1)
        #expect(errs.first?.field == "spec")
        #expect(
            errs.first?.message.hasPrefix(
                "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,") == true)
    }

    @Test func genericNameCheckRunsAfterKindChecks() {
        // v1 Events skip ObjectMeta validation, so only the registry's path-segment check sees the name.
        #expect(
            check(
                #"{"metadata":{"name":"a/b","namespace":"default"},"involvedObject":{"namespace":"default"}}"#, .event)
                == ["metadata.name: Invalid value: \"a/b\": may not contain '/'"])
        #expect(
            check(#"{"metadata":{"name":"e","namespace":"default"},"involvedObject":{"namespace":"other"}}"#, .event)
                .count == 1)
    }

    @Test func events() {
        let ok =
            #"{"metadata":{"name":"e1","namespace":"default"},"involvedObject":{"kind":"Pod","namespace":"default","name":"web"},"reason":"Started"}"#
        #expect(check(ok, .event).isEmpty)
        #expect(
            check(#"{"metadata":{"name":"e1","namespace":"default"},"involvedObject":{"namespace":"other"}}"#, .event)
                == ["involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"])
        #expect(
            check(
                #"{"metadata":{"name":"e1","namespace":"default"},"eventTime":"2024-01-01T00:00:00.000000Z","involvedObject":{}}"#,
                .event)
                == [
                    // Upstream also runs the qualified-name check on the empty value.
                    "reportingComponent: Required value",
                    "reportingComponent: Invalid value: \"\": name part must be non-empty",
                    "reportingComponent: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                    "reportingInstance: Required value", "action: Required value", "reason: Required value",
                ])
    }
}
