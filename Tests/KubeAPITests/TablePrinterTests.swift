import Foundation
import Testing

@testable import KubeAPI

// Every age below is relative to this instant: 2024-01-01T00:00:00Z.
private let now = Date(timeIntervalSince1970: 1_704_067_200)

/// A kind with no dedicated printer, which gets apiserver's default Name / Created At table.
private let customResource = ResourceType(
    group: "example.com", version: "v1", kind: "Widget", plural: "widgets", singular: "widget",
    namespaced: true, shortNames: [], categories: [], hasStatus: false, fieldLabels: [])

/// One printing case: an object (as JSON text) and the exact cells kube-apiserver would send for it.
struct PrintCase: Sendable, CustomTestStringConvertible {
    let label: String
    let json: String
    let expected: [JSON]
    init(_ label: String, _ json: String, _ expected: [JSON]) {
        self.label = label
        self.json = json
        self.expected = expected
    }
    var testDescription: String { label }
}

private func cells(_ c: PrintCase, _ resource: ResourceType) throws -> [JSON] {
    TablePrinter.cells(for: try JSON.parse(c.json), resource: resource, now: now)
}

@Suite struct HumanDurationTests {
    private static let minute = 60.0
    private static let hour = 3600.0
    private static let day = 86_400.0
    private static let year = 365 * 86_400.0

    // Mirrors apimachinery's TestHumanDuration and TestHumanDurationBoundaries, in seconds.
    static let upstreamCases: [(Double, String)] = [
        (1.0, "1s"), (70, "70s"), (190, "3m10s"), (70 * minute, "70m"), (47 * hour, "47h"), (49 * hour, "2d1h"),
        ((8 * 24 + 2) * hour, "8d"), (367 * day, "367d"), ((365 * 2 * 24 + 25) * hour, "2y1d"),
        ((365 * 8 * 24 + 2) * hour, "8y"),
        (0, "0s"), (0.999, "0s"), (59, "59s"), (119.999, "119s"), (2 * minute, "2m"), (2 * minute + 1, "2m1s"),
        (10 * minute - 0.001, "9m59s"), (10 * minute, "10m"), (10 * minute + 1, "10m"), (3 * hour - 0.001, "179m"),
        (3 * hour, "3h"), (3 * hour + minute, "3h1m"), (8 * hour - 0.001, "7h59m"), (8 * hour, "8h"),
        (8 * hour + 59 * minute, "8h"), (2 * day - 0.001, "47h"), (2 * day, "2d"), (2 * day + hour, "2d1h"),
        (8 * day - 0.001, "7d23h"), (8 * day, "8d"), (8 * day + 23 * hour, "8d"), (2 * year - 0.001, "729d"),
        (2 * year, "2y"), (2 * year + 23 * hour, "2y"), (2 * year + day - 0.001, "2y"), (2 * year + day, "2y1d"),
        (3 * year, "3y"), (7 * year, "7y"), (8 * year - 0.001, "7y364d"), (8 * year, "8y"),
        (8 * year + 364 * day, "8y"), (9 * year, "9y"),
    ]

    @Test(arguments: upstreamCases)
    func formatsLikeApimachinery(seconds: Double, expected: String) {
        #expect(humanDuration(seconds) == expected)
    }

    // Clock skew below two seconds is "now"; anything further in the future, or not a number, is invalid.
    static let outOfRangeCases: [(Double, String)] = [
        (-0.5, "0s"), (-1, "0s"), (-1.5, "0s"), (-1.999_999_999, "0s"), (-2, "<invalid>"), (-60, "<invalid>"),
        (-1e30, "<invalid>"), (Double.nan, "<invalid>"), (-Double.infinity, "<invalid>"),
        // Go durations saturate at ~292 years.
        (1e30, "292y"), (Double.infinity, "292y"),
    ]

    @Test(arguments: outOfRangeCases)
    func outOfRangeInputs(seconds: Double, expected: String) {
        #expect(humanDuration(seconds) == expected)
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2024-01-01T00:00:00Z", 1_704_067_200.0), ("2023-12-31T23:59:55Z", 1_704_067_195),
        ("2024-01-01T01:00:00+01:00", 1_704_067_200), ("2023-12-31T19:00:00-05:00", 1_704_067_200),
        ("2024-01-01T00:00:00.5Z", 1_704_067_200.5), ("2024-02-29T12:00:00Z", 1_709_208_000),
        ("1970-01-01T00:00:00Z", 0), ("1969-12-31T23:59:59Z", -1),
    ])
    func parsesRFC3339(text: String, epoch: Double) {
        #expect(TablePrinter.Timestamp.parse(text) == epoch)
    }

    @Test(arguments: [
        "", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "2024-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zjunk",
        "2024-01-01T00:00:00+0100", "yesterday",
    ])
    func rejectsMalformed(text: String) {
        #expect(TablePrinter.Timestamp.parse(text) == nil)
    }

    @Test func goZeroTimeIsUnset() {
        #expect(TablePrinter.Timestamp.epochSeconds(.string("0001-01-01T00:00:00Z")) == nil)
        #expect(TablePrinter.Timestamp.epochSeconds(.null) == nil)
        #expect(TablePrinter.Timestamp.epochSeconds(.int(5)) == nil)
        #expect(TablePrinter.Timestamp.epochSeconds(.string("2024-01-01T00:00:00Z")) == 1_704_067_200)
    }

    @Test(arguments: [
        (1_704_067_200.0, "2024-01-01T00:00:00Z"), (1_704_067_199.9, "2023-12-31T23:59:59Z"),
        (0, "1970-01-01T00:00:00Z"), (-1, "1969-12-31T23:59:59Z"), (-62_135_596_800, "0001-01-01T00:00:00Z"),
    ])
    func formatsRFC3339UTC(epoch: Double, text: String) {
        #expect(TablePrinter.Timestamp.rfc3339UTC(epoch) == text)
    }
}

@Suite struct ColumnDefinitionTests {
    private static let nameDoc =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    private static let ageDoc =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

    /// "Name/type/format/priority" per column, in order.
    @Test(arguments: [
        (ResourceType.service, [
            "Name/string/name/0", "Type/string//0", "Cluster-IP/string//0", "External-IP/string//0",
            "Port(s)/string//0", "Age/string//0", "Selector/string//1",
        ]),
        (.endpoints, ["Name/string/name/0", "Endpoints/string//0", "Age/string//0"]),
        (.endpointSlice, [
            "Name/string/name/0", "AddressType/string//0", "Ports/string//0", "Endpoints/string//0", "Age/string//0",
        ]),
        (.pod, [
            "Name/string/name/0", "Ready/string//0", "Status/string//0", "Restarts/string//0", "Age/string//0",
            "IP/string//1", "Node/string//1", "Nominated Node/string//1", "Readiness Gates/string//1",
        ]),
        (.secret, ["Name/string/name/0", "Type/string//0", "Data/string//0", "Age/string//0"]),
        (.configMap, ["Name/string/name/0", "Data/string//0", "Age/string//0"]),
        (.namespace, ["Name/string/name/0", "Status/string//0", "Age/string//0"]),
        (.event, [
            "Last Seen/string//0", "Type/string//0", "Reason/string//0", "Object/string//0", "Subobject/string//1",
            "Source/string//1", "Message/string//0", "First Seen/string//1", "Count/string//1", "Name/string/name/1",
        ]),
        (.ingress, [
            "Name/string/name/0", "Class/string//0", "Hosts/string//0", "Address/string//0", "Ports/string//0",
            "Age/string//0",
        ]),
        (.ingressClass, ["Name/string/name/0", "Controller/string//0", "Parameters/string//0", "Age/string//0"]),
        (customResource, ["Name/string/name/0", "Created At/date//0"]),
    ])
    func columnsMatchUpstream(resource: ResourceType, expected: [String]) {
        let columns = TablePrinter.columnDefinitions(for: resource)
        let summary = columns.map { c -> String in
            let name = c["name"]?.stringValue ?? "?"
            let type = c["type"]?.stringValue ?? "?"
            let format = c["format"]?.stringValue ?? "?"
            let priority = c["priority"]?.intValue.map(String.init) ?? "?"
            return "\(name)/\(type)/\(format)/\(priority)"
        }
        #expect(summary == expected)
        // metav1.TableColumnDefinition has no omitempty fields: all five keys are always sent.
        for c in columns {
            #expect(c.objectValue.map { Set($0.keys) } == ["name", "type", "format", "description", "priority"])
        }
        // Every Name/Age column uses the ObjectMeta swagger text.
        for c in columns where c["name"] == "Name" { #expect(c["description"] == .string(Self.nameDoc)) }
        for c in columns where c["name"] == "Age" || c["name"] == "Created At" {
            #expect(c["description"] == .string(Self.ageDoc))
        }
    }

    @Test(arguments: [
        (ResourceType.service, "External-IP",
         "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system."),
        (.pod, "Restarts",
         "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
        (.pod, "IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
        (.namespace, "Status", "The status of the namespace"),
        (.event, "Count", "The number of times this event has occurred."),
        (.event, "Object", "The object that this event is about."),
        (.endpointSlice, "Endpoints",
         "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints."),
        (.ingress, "Ports", "Ports of TLS configurations that open"),
        (.ingressClass, "Parameters", "A reference to a resource with additional parameters"),
    ])
    func descriptionsMatchSwaggerDocs(resource: ResourceType, column: String, description: String) {
        let found = TablePrinter.columnDefinitions(for: resource).first { $0["name"] == .string(column) }
        #expect(found?["description"] == .string(description))
    }

    /// An empty object still yields one cell per column, so kubectl never sees a ragged row.
    @Test(arguments: ResourceType.all + [customResource])
    func emptyObjectRowsMatchColumnCount(resource: ResourceType) {
        let row = TablePrinter.cells(for: .object([:]), resource: resource, now: now)
        #expect(row.count == TablePrinter.columnDefinitions(for: resource).count)
    }
}

@Suite struct ServiceCellTests {
    @Test(arguments: [
        PrintCase(
            "cluster ip with selector",
            #"{"metadata":{"name":"nginx","creationTimestamp":"2023-12-31T23:59:55Z"},"spec":{"type":"ClusterIP","clusterIP":"10.43.0.10","clusterIPs":["10.43.0.10"],"ports":[{"port":80,"protocol":"TCP"}],"selector":{"app":"nginx"}}}"#,
            ["nginx", "ClusterIP", "10.43.0.10", "<none>", "80/TCP", "5s", "app=nginx"]),
        PrintCase(
            "node port with external IPs and sorted selector",
            #"{"metadata":{"name":"web","creationTimestamp":"2023-12-31T23:00:00Z"},"spec":{"type":"NodePort","clusterIP":"10.43.0.11","externalIPs":["1.2.3.4","5.6.7.8"],"ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":53,"nodePort":30053,"protocol":"UDP"}],"selector":{"tier":"web","app":"shop"}}}"#,
            ["web", "NodePort", "10.43.0.11", "1.2.3.4,5.6.7.8", "80:30080/TCP,53:30053/UDP", "60m", "app=shop,tier=web"]),
        PrintCase(
            "load balancer pending",
            #"{"metadata":{"name":"lb","creationTimestamp":"2023-12-29T00:00:00Z"},"spec":{"type":"LoadBalancer","clusterIP":"10.43.0.12","ports":[{"port":443,"nodePort":31443,"protocol":"TCP"}]},"status":{"loadBalancer":{}}}"#,
            ["lb", "LoadBalancer", "10.43.0.12", "<pending>", "443:31443/TCP", "3d", "<none>"]),
        PrintCase(
            "load balancer ingress sorted and deduplicated, never truncated",
            #"{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"10.43.0.12","ports":[{"port":443,"protocol":"TCP"}]},"status":{"loadBalancer":{"ingress":[{"hostname":"a-very-long-lb-name.example.com"},{"ip":"9.9.9.9"},{"ip":"1.1.1.1"},{"ip":"9.9.9.9"},{}]}}}"#,
            ["lb", "LoadBalancer", "10.43.0.12", "1.1.1.1,9.9.9.9,a-very-long-lb-name.example.com", "443/TCP", "<unknown>", "<none>"]),
        PrintCase(
            "load balancer ingress followed by external IPs",
            #"{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"10.43.0.12","externalIPs":["7.7.7.7"],"ports":[{"port":80,"protocol":"TCP"}]},"status":{"loadBalancer":{"ingress":[{"ip":"2.2.2.2"}]}}}"#,
            ["lb", "LoadBalancer", "10.43.0.12", "2.2.2.2,7.7.7.7", "80/TCP", "<unknown>", "<none>"]),
        PrintCase(
            "load balancer with only external IPs",
            #"{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"10.43.0.12","externalIPs":["7.7.7.7"]}}"#,
            ["lb", "LoadBalancer", "10.43.0.12", "7.7.7.7", "<none>", "<unknown>", "<none>"]),
        PrintCase(
            "external name",
            #"{"metadata":{"name":"db","creationTimestamp":"2023-12-31T23:58:00Z"},"spec":{"type":"ExternalName","externalName":"db.example.com"}}"#,
            ["db", "ExternalName", "<none>", "db.example.com", "<none>", "2m", "<none>"]),
        PrintCase(
            "headless",
            #"{"metadata":{"name":"hl","creationTimestamp":"2023-12-31T23:50:30Z"},"spec":{"type":"ClusterIP","clusterIP":"None","clusterIPs":["None"],"selector":{"app":"db"}}}"#,
            ["hl", "ClusterIP", "None", "<none>", "<none>", "9m30s", "app=db"]),
        PrintCase(
            "dual stack prints the primary family",
            #"{"metadata":{"name":"ds"},"spec":{"type":"ClusterIP","clusterIP":"10.43.0.20","clusterIPs":["10.43.0.20","fd00::20"],"ports":[{"port":80,"protocol":"TCP"}]}}"#,
            ["ds", "ClusterIP", "10.43.0.20", "<none>", "80/TCP", "<unknown>", "<none>"]),
        PrintCase(
            "undefaulted type and protocol print their defaults",
            #"{"metadata":{"name":"bare"},"spec":{"clusterIP":"10.43.0.30","ports":[{"port":80},{"port":53,"protocol":"UDP"}]}}"#,
            ["bare", "ClusterIP", "10.43.0.30", "<none>", "80/TCP,53/UDP", "<unknown>", "<none>"]),
        PrintCase(
            "unknown type",
            #"{"metadata":{"name":"odd"},"spec":{"type":"Weird","clusterIP":"10.43.0.31"}}"#,
            ["odd", "Weird", "10.43.0.31", "<unknown>", "<none>", "<unknown>", "<none>"]),
        PrintCase(
            "malformed timestamp and wrongly typed fields",
            #"{"metadata":{"name":"bad","creationTimestamp":"yesterday"},"spec":{"type":"ClusterIP","clusterIP":7,"ports":"80","selector":["app"]}}"#,
            ["bad", "ClusterIP", "<none>", "<none>", "<none>", "<unknown>", "<none>"]),
        PrintCase(
            "creation slightly in the future",
            #"{"metadata":{"name":"skew","creationTimestamp":"2024-01-01T00:00:01Z"},"spec":{"type":"ClusterIP","clusterIP":"10.43.0.32"}}"#,
            ["skew", "ClusterIP", "10.43.0.32", "<none>", "<none>", "0s", "<none>"]),
        PrintCase(
            "creation far in the future",
            #"{"metadata":{"name":"skew","creationTimestamp":"2024-01-01T00:01:00Z"},"spec":{"type":"ClusterIP","clusterIP":"10.43.0.32"}}"#,
            ["skew", "ClusterIP", "10.43.0.32", "<none>", "<none>", "<invalid>", "<none>"]),
    ])
    func service(_ c: PrintCase) throws {
        #expect(try cells(c, .service) == c.expected)
    }
}

@Suite struct EndpointsCellTests {
    @Test(arguments: [
        PrintCase(
            "no subsets", #"{"metadata":{"name":"ep","creationTimestamp":"2023-12-31T23:59:00Z"}}"#,
            ["ep", "<none>", "60s"]),
        PrintCase("empty subsets", #"{"metadata":{"name":"ep"},"subsets":[]}"#, ["ep", "<none>", "<unknown>"]),
        PrintCase(
            "two addresses one port",
            #"{"metadata":{"name":"ep"},"subsets":[{"addresses":[{"ip":"10.42.0.1"},{"ip":"10.42.0.2"}],"ports":[{"port":80}]}]}"#,
            ["ep", "10.42.0.1:80,10.42.0.2:80", "<unknown>"]),
        PrintCase(
            "four addresses",
            #"{"metadata":{"name":"ep"},"subsets":[{"addresses":[{"ip":"10.42.0.1"},{"ip":"10.42.0.2"},{"ip":"10.42.0.3"},{"ip":"10.42.0.4"}],"ports":[{"port":80}]}]}"#,
            ["ep", "10.42.0.1:80,10.42.0.2:80,10.42.0.3:80 + 1 more...", "<unknown>"]),
        PrintCase(
            "two addresses two ports count per port",
            #"{"metadata":{"name":"ep"},"subsets":[{"addresses":[{"ip":"10.42.0.1"},{"ip":"10.42.0.2"}],"ports":[{"port":80},{"port":443}]}]}"#,
            ["ep", "10.42.0.1:80,10.42.0.2:80,10.42.0.1:443 + 1 more...", "<unknown>"]),
        PrintCase(
            "later subsets still counted",
            #"{"metadata":{"name":"ep"},"subsets":[{"addresses":[{"ip":"10.42.0.1"},{"ip":"10.42.0.2"},{"ip":"10.42.0.3"}],"ports":[{"port":80}]},{"addresses":[{"ip":"10.42.1.1"},{"ip":"10.42.1.2"}],"ports":[{"port":8080}]}]}"#,
            ["ep", "10.42.0.1:80,10.42.0.2:80,10.42.0.3:80 + 2 more...", "<unknown>"]),
        PrintCase(
            "headless without ports",
            #"{"metadata":{"name":"ep"},"subsets":[{"addresses":[{"ip":"10.42.0.1"},{"ip":"10.42.0.2"}]}]}"#,
            ["ep", "10.42.0.1,10.42.0.2", "<unknown>"]),
        PrintCase(
            "ipv6 is bracketed",
            #"{"metadata":{"name":"ep"},"subsets":[{"addresses":[{"ip":"fd00::1"}],"ports":[{"port":80}]}]}"#,
            ["ep", "[fd00::1]:80", "<unknown>"]),
        PrintCase(
            "only not-ready addresses print empty",
            #"{"metadata":{"name":"ep"},"subsets":[{"notReadyAddresses":[{"ip":"10.42.0.1"}],"ports":[{"port":80}]}]}"#,
            ["ep", "", "<unknown>"]),
    ])
    func endpoints(_ c: PrintCase) throws {
        #expect(try cells(c, .endpoints) == c.expected)
    }

    @Test(arguments: [
        PrintCase(
            "ports and endpoints",
            #"{"metadata":{"name":"nginx-abc","creationTimestamp":"2023-12-31T23:59:30Z"},"addressType":"IPv4","ports":[{"name":"http","port":80,"protocol":"TCP"}],"endpoints":[{"addresses":["10.42.0.5"]},{"addresses":["10.42.0.6"]}]}"#,
            ["nginx-abc", "IPv4", "80", "10.42.0.5,10.42.0.6", "30s"]),
        PrintCase(
            "empty ports and endpoints are unset",
            #"{"metadata":{"name":"s"},"addressType":"IPv6","ports":[],"endpoints":[]}"#,
            ["s", "IPv6", "<unset>", "<unset>", "<unknown>"]),
        PrintCase(
            "missing ports and endpoints are unset",
            #"{"metadata":{"name":"s"},"addressType":"IPv4"}"#, ["s", "IPv4", "<unset>", "<unset>", "<unknown>"]),
        PrintCase(
            "nil port prints name or star",
            #"{"metadata":{"name":"s"},"addressType":"IPv4","ports":[{"port":53,"name":"dns"},{"name":"all"},{}],"endpoints":[]}"#,
            ["s", "IPv4", "53,all,*", "<unset>", "<unknown>"]),
        PrintCase(
            "more than three of each",
            #"{"metadata":{"name":"s"},"addressType":"IPv4","ports":[{"port":1},{"port":2},{"port":3},{"port":4}],"endpoints":[{"addresses":["10.0.0.1","10.0.0.2"]},{"addresses":["10.0.0.3"]},{"addresses":["10.0.0.4","10.0.0.5"]}]}"#,
            ["s", "IPv4", "1,2,3 + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...", "<unknown>"]),
    ])
    func endpointSlice(_ c: PrintCase) throws {
        #expect(try cells(c, .endpointSlice) == c.expected)
    }
}

@Suite struct PodCellTests {
    @Test(arguments: [
        PrintCase(
            "running and ready",
            #"{"metadata":{"name":"web","creationTimestamp":"2023-12-31T21:00:00Z"},"spec":{"nodeName":"node1","containers":[{"name":"web"}]},"status":{"phase":"Running","podIP":"10.42.0.5","podIPs":[{"ip":"10.42.0.5"},{"ip":"fd00::5"}],"conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"web","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2023-12-31T21:00:05Z"}}}]}}"#,
            ["web", "1/1", "Running", "0", "3h", "10.42.0.5", "node1", "<none>", "<none>"]),
        PrintCase(
            "pending without status",
            #"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Pending"}}"#,
            ["p", "0/2", "Pending", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "crash loop with restart age",
            #"{"metadata":{"name":"c"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running","containerStatuses":[{"name":"c","ready":false,"restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"2023-12-31T23:57:00Z"}}}]}}"#,
            ["c", "0/1", "CrashLoopBackOff", "5 (3m ago)", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "restarts without last termination time",
            #"{"metadata":{"name":"c"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running","containerStatuses":[{"name":"c","ready":true,"restartCount":2,"state":{"running":{}}}]}}"#,
            ["c", "1/1", "Running", "2", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "completed",
            #"{"metadata":{"name":"job"},"spec":{"containers":[{"name":"job"}]},"status":{"phase":"Succeeded","containerStatuses":[{"name":"job","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}"#,
            ["job", "0/1", "Completed", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "terminated without reason shows exit code",
            #"{"metadata":{"name":"x"},"spec":{"containers":[{"name":"x"}]},"status":{"phase":"Failed","containerStatuses":[{"name":"x","state":{"terminated":{"exitCode":137}}}]}}"#,
            ["x", "0/1", "ExitCode:137", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "terminated by signal",
            #"{"metadata":{"name":"x"},"spec":{"containers":[{"name":"x"}]},"status":{"phase":"Failed","containerStatuses":[{"name":"x","state":{"terminated":{"exitCode":0,"signal":9}}}]}}"#,
            ["x", "0/1", "Signal:9", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "first container's state wins",
            #"{"metadata":{"name":"m"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Pending","containerStatuses":[{"name":"a","state":{"waiting":{"reason":"ImagePullBackOff"}}},{"name":"b","state":{"waiting":{"reason":"ContainerCreating"}}}]}}"#,
            ["m", "0/2", "ImagePullBackOff", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "init container waiting",
            #"{"metadata":{"name":"i"},"spec":{"initContainers":[{"name":"init"}],"containers":[{"name":"app"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"init","restartCount":1,"state":{"waiting":{"reason":"ImagePullBackOff"}}}],"containerStatuses":[{"name":"app","restartCount":7,"state":{"waiting":{"reason":"PodInitializing"}}}]}}"#,
            ["i", "0/1", "Init:ImagePullBackOff", "1", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "init container running shows progress",
            #"{"metadata":{"name":"i"},"spec":{"initContainers":[{"name":"one"},{"name":"two"}],"containers":[{"name":"app"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"one","state":{"terminated":{"exitCode":0,"reason":"Completed"}}},{"name":"two","state":{"running":{}}}]}}"#,
            ["i", "0/1", "Init:1/2", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "init container waiting for PodInitializing counts as progress",
            #"{"metadata":{"name":"i"},"spec":{"initContainers":[{"name":"one"}],"containers":[{"name":"app"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"one","state":{"waiting":{"reason":"PodInitializing"}}}]}}"#,
            ["i", "0/1", "Init:0/1", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "init container failed with exit code",
            #"{"metadata":{"name":"i"},"spec":{"initContainers":[{"name":"one"}],"containers":[{"name":"app"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"one","state":{"terminated":{"exitCode":2}}}]}}"#,
            ["i", "0/1", "Init:ExitCode:2", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "init container failed with signal",
            #"{"metadata":{"name":"i"},"spec":{"initContainers":[{"name":"one"}],"containers":[{"name":"app"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"one","state":{"terminated":{"exitCode":1,"signal":15}}}]}}"#,
            ["i", "0/1", "Init:Signal:15", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "init container failed with reason",
            #"{"metadata":{"name":"i"},"spec":{"initContainers":[{"name":"one"}],"containers":[{"name":"app"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"one","state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}}"#,
            ["i", "0/1", "Init:Error", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "sidecar init container counts toward ready and restarts",
            #"{"metadata":{"name":"s"},"spec":{"initContainers":[{"name":"proxy","restartPolicy":"Always"}],"containers":[{"name":"app"}]},"status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],"initContainerStatuses":[{"name":"proxy","ready":true,"started":true,"restartCount":1,"state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2023-12-31T23:50:00Z"}}}],"containerStatuses":[{"name":"app","ready":true,"restartCount":2,"state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"2023-12-31T23:55:00Z"}}}]}}"#,
            ["s", "2/2", "Running", "3 (5m ago)", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "completed main container with running sidecar and ready pod",
            #"{"metadata":{"name":"r"},"spec":{"containers":[{"name":"app"},{"name":"done"}]},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","ready":true,"state":{"running":{}}},{"name":"done","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}"#,
            ["r", "1/2", "Running", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "completed main container with running sidecar and unready pod",
            #"{"metadata":{"name":"r"},"spec":{"containers":[{"name":"app"},{"name":"done"}]},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}],"containerStatuses":[{"name":"app","ready":true,"state":{"running":{}}},{"name":"done","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}"#,
            ["r", "1/2", "NotReady", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "terminating",
            #"{"metadata":{"name":"t","deletionTimestamp":"2024-01-01T00:00:30Z"},"spec":{"containers":[{"name":"t"}]},"status":{"phase":"Running","containerStatuses":[{"name":"t","ready":true,"state":{"running":{}}}]}}"#,
            ["t", "1/1", "Terminating", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "deleted after success is not terminating",
            #"{"metadata":{"name":"t","deletionTimestamp":"2024-01-01T00:00:30Z"},"spec":{"containers":[{"name":"t"}]},"status":{"phase":"Succeeded","containerStatuses":[{"name":"t","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}"#,
            ["t", "0/1", "Completed", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "deleted on a lost node",
            #"{"metadata":{"name":"t","deletionTimestamp":"2024-01-01T00:00:30Z"},"spec":{"containers":[{"name":"t"}]},"status":{"phase":"Running","reason":"NodeLost"}}"#,
            ["t", "0/1", "Unknown", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "null deletion timestamp is ignored",
            #"{"metadata":{"name":"t","deletionTimestamp":null},"spec":{"containers":[{"name":"t"}]},"status":{"phase":"Pending"}}"#,
            ["t", "0/1", "Pending", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "evicted",
            #"{"metadata":{"name":"e"},"spec":{"containers":[{"name":"e"}]},"status":{"phase":"Failed","reason":"Evicted"}}"#,
            ["e", "0/1", "Evicted", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "scheduling gated",
            #"{"metadata":{"name":"g"},"spec":{"containers":[{"name":"g"}]},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}}"#,
            ["g", "0/1", "SchedulingGated", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]),
        PrintCase(
            "wide fields: podIP fallback, nominated node, readiness gates",
            #"{"metadata":{"name":"w"},"spec":{"containers":[{"name":"w"}],"readinessGates":[{"conditionType":"example.com/lb"},{"conditionType":"example.com/dns"}]},"status":{"phase":"Pending","podIP":"10.42.0.9","nominatedNodeName":"node2","conditions":[{"type":"example.com/lb","status":"True"},{"type":"example.com/dns","status":"False"}]}}"#,
            ["w", "0/1", "Pending", "0", "<unknown>", "10.42.0.9", "<none>", "node2", "1/2"]),
        PrintCase(
            "readiness gate without a condition",
            #"{"metadata":{"name":"w"},"spec":{"containers":[],"readinessGates":[{"conditionType":"example.com/lb"}]},"status":{"phase":"Running"}}"#,
            ["w", "0/0", "Running", "0", "<unknown>", "<none>", "<none>", "<none>", "0/1"]),
    ])
    func pod(_ c: PrintCase) throws {
        #expect(try cells(c, .pod) == c.expected)
    }
}

@Suite struct SmallKindCellTests {
    @Test(arguments: [
        PrintCase(
            "tls secret",
            #"{"metadata":{"name":"tls","creationTimestamp":"2023-12-30T00:00:00Z"},"type":"kubernetes.io/tls","data":{"tls.crt":"eA==","tls.key":"eQ=="}}"#,
            ["tls", "kubernetes.io/tls", 2, "2d"]),
        PrintCase(
            "stringData merges into data",
            #"{"metadata":{"name":"s"},"type":"Opaque","data":{"a":"eA=="},"stringData":{"a":"x","b":"y"}}"#,
            ["s", "Opaque", 2, "<unknown>"]),
        PrintCase("empty secret defaults to Opaque", #"{"metadata":{"name":"e"}}"#, ["e", "Opaque", 0, "<unknown>"]),
    ])
    func secret(_ c: PrintCase) throws {
        #expect(try cells(c, .secret) == c.expected)
    }

    @Test(arguments: [
        PrintCase(
            "data and binaryData",
            #"{"metadata":{"name":"cfg","creationTimestamp":"2022-01-02T00:00:00Z"},"data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}}"#,
            ["cfg", 3, "729d"]),
        PrintCase("empty", #"{"metadata":{"name":"none"}}"#, ["none", 0, "<unknown>"]),
        PrintCase("wrongly typed data", #"{"metadata":{"name":"bad"},"data":["a"]}"#, ["bad", 0, "<unknown>"]),
    ])
    func configMap(_ c: PrintCase) throws {
        #expect(try cells(c, .configMap) == c.expected)
    }

    @Test(arguments: [
        PrintCase(
            "active",
            #"{"metadata":{"name":"default","creationTimestamp":"2021-12-31T00:00:00Z"},"status":{"phase":"Active"}}"#,
            ["default", "Active", "2y1d"]),
        PrintCase(
            "terminating", #"{"metadata":{"name":"old"},"status":{"phase":"Terminating"}}"#,
            ["old", "Terminating", "<unknown>"]),
        PrintCase("no status defaults to Active", #"{"metadata":{"name":"new"}}"#, ["new", "Active", "<unknown>"]),
    ])
    func namespace(_ c: PrintCase) throws {
        #expect(try cells(c, .namespace) == c.expected)
    }

    @Test(arguments: [
        PrintCase(
            "core event",
            #"{"metadata":{"name":"web.17a","creationTimestamp":"2023-12-31T23:00:00Z"},"involvedObject":{"kind":"Pod","name":"web","fieldPath":"spec.containers{web}"},"reason":"Pulled","message":"  Successfully pulled image\n","type":"Normal","source":{"component":"kubelet","host":"node1"},"firstTimestamp":"2023-12-31T23:00:00Z","lastTimestamp":"2023-12-31T23:59:55Z","count":3}"#,
            ["5s", "Normal", "Pulled", "pod/web", "spec.containers{web}", "kubelet, node1", "Successfully pulled image", "60m", 3, "web.17a"]),
        PrintCase(
            "events.k8s.io style singleton",
            #"{"metadata":{"name":"sched.1"},"involvedObject":{"kind":"Pod","name":"p"},"reason":"Scheduled","message":"ok","type":"Normal","eventTime":"2023-12-31T23:59:00.123456Z","reportingComponent":"default-scheduler","reportingInstance":"default-scheduler-ferry","firstTimestamp":null,"lastTimestamp":null}"#,
            ["59s", "Normal", "Scheduled", "pod/p", "", "default-scheduler, default-scheduler-ferry", "ok", "59s", 1, "sched.1"]),
        PrintCase(
            "series overrides last seen and count",
            #"{"metadata":{"name":"bo"},"involvedObject":{"kind":"Pod","name":"p"},"reason":"BackOff","type":"Warning","eventTime":"2023-12-31T20:00:00.000000Z","series":{"count":12,"lastObservedTime":"2023-12-31T23:58:00.000000Z"},"reportingComponent":"kubelet"}"#,
            ["2m", "Warning", "BackOff", "pod/p", "", "kubelet", "", "4h", 12, "bo"]),
        PrintCase(
            "object without name",
            #"{"metadata":{"name":"n"},"involvedObject":{"kind":"Node"},"count":2,"lastTimestamp":"2023-12-31T23:59:59Z"}"#,
            ["1s", "", "", "node", "", "", "", "<unknown>", 2, "n"]),
        PrintCase(
            "nothing known",
            #"{"metadata":{"name":"empty"}}"#,
            ["<unknown>", "", "", "", "", "", "", "<unknown>", 1, "empty"]),
    ])
    func event(_ c: PrintCase) throws {
        #expect(try cells(c, .event) == c.expected)
    }

    @Test(arguments: [
        PrintCase(
            "class, hosts, address and tls",
            #"{"metadata":{"name":"web","creationTimestamp":"2023-12-31T23:55:00Z"},"spec":{"ingressClassName":"ferry","rules":[{"host":"a.example.com"},{"host":"b.example.com"}],"tls":[{"hosts":["a.example.com"],"secretName":"tls"}]},"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.10"},{"hostname":"lb.example.com"}]}}}"#,
            ["web", "ferry", "a.example.com,b.example.com", "192.168.1.10,lb.example.com", "80, 443", "5m"]),
        PrintCase(
            "defaults", #"{"metadata":{"name":"bare"},"spec":{"defaultBackend":{"service":{"name":"x","port":{"number":80}}}}}"#,
            ["bare", "<none>", "*", "", "80", "<unknown>"]),
        PrintCase(
            "host-less rules only", #"{"metadata":{"name":"r"},"spec":{"rules":[{"http":{}},{}]}}"#,
            ["r", "<none>", "*", "", "80", "<unknown>"]),
        PrintCase(
            "more than three rules counts host-less ones",
            #"{"metadata":{"name":"many"},"spec":{"rules":[{},{"host":"a"},{"host":"b"},{"host":"c"},{"host":"d"}]}}"#,
            ["many", "<none>", "a,b,c + 2 more...", "", "80", "<unknown>"]),
        PrintCase(
            "empty tls list is plain http", #"{"metadata":{"name":"t"},"spec":{"tls":[]}}"#,
            ["t", "<none>", "*", "", "80", "<unknown>"]),
    ])
    func ingress(_ c: PrintCase) throws {
        #expect(try cells(c, .ingress) == c.expected)
    }

    @Test(arguments: [
        PrintCase(
            "parameters with api group",
            #"{"metadata":{"name":"ferry","creationTimestamp":"2023-12-31T23:59:50Z"},"spec":{"controller":"ferry.dev/ingress","parameters":{"apiGroup":"k8s.example.com","kind":"IngressParameters","name":"external-lb"}}}"#,
            ["ferry", "ferry.dev/ingress", "IngressParameters.k8s.example.com/external-lb", "10s"]),
        PrintCase(
            "parameters without api group",
            #"{"metadata":{"name":"c"},"spec":{"controller":"x/y","parameters":{"kind":"ConfigMap","name":"cfg","namespace":"kube-system","scope":"Namespace"}}}"#,
            ["c", "x/y", "ConfigMap/cfg", "<unknown>"]),
        PrintCase("no parameters", #"{"metadata":{"name":"n"},"spec":{"controller":"x/y"}}"#, ["n", "x/y", "<none>", "<unknown>"]),
        PrintCase("null parameters", #"{"metadata":{"name":"n"},"spec":{"parameters":null}}"#, ["n", "", "<none>", "<unknown>"]),
    ])
    func ingressClass(_ c: PrintCase) throws {
        #expect(try cells(c, .ingressClass) == c.expected)
    }

    @Test(arguments: [
        PrintCase(
            "created at in UTC", #"{"metadata":{"name":"w","creationTimestamp":"2024-01-01T02:00:00+02:00"}}"#,
            ["w", "2024-01-01T00:00:00Z"]),
        PrintCase("missing timestamp prints Go's zero time", #"{"metadata":{"name":"w"}}"#, ["w", "0001-01-01T00:00:00Z"]),
    ])
    func unknownResourceUsesDefaultConvertor(_ c: PrintCase) throws {
        #expect(try cells(c, customResource) == c.expected)
    }
}
