import Foundation

/// Server-side printing: the `metav1.Table` columns and row cells `kubectl get` shows, matching
/// kube-apiserver 1.32 (`pkg/printers/internalversion/printers.go`, always generated with `Wide: true`,
/// so priority-1 cells are present and kubectl hides them unless `-o wide`).
public enum TablePrinter {
    /// metav1.TableColumnDefinition objects: {"name","type","format","description","priority"} exactly as
    /// kube-apiserver 1.32 sends for this resource. Unknown resources get the generic Name / Created At pair.
    public static func columnDefinitions(for resource: ResourceType) -> [JSON] {
        switch (resource.group, resource.kind) {
        case ("", "Service"):
            return [
                nameColumn,
                column("Type", Doc.serviceType),
                column("Cluster-IP", Doc.serviceClusterIP),
                column("External-IP", Doc.serviceExternalIPs),
                column("Port(s)", Doc.servicePorts),
                ageColumn,
                column("Selector", Doc.serviceSelector, priority: 1),
            ]
        case ("", "Endpoints"):
            return [nameColumn, column("Endpoints", Doc.endpointsSubsets), ageColumn]
        case ("discovery.k8s.io", "EndpointSlice"):
            return [
                nameColumn,
                column("AddressType", Doc.sliceAddressType),
                column("Ports", Doc.slicePorts),
                column("Endpoints", Doc.sliceEndpoints),
                ageColumn,
            ]
        case ("", "Pod"):
            return [
                nameColumn,
                column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
                column("Status", "The aggregate status of the containers in this pod."),
                column(
                    "Restarts",
                    "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
                ),
                ageColumn,
                column("IP", Doc.podIP, priority: 1),
                column("Node", Doc.podNodeName, priority: 1),
                column("Nominated Node", Doc.podNominatedNodeName, priority: 1),
                column("Readiness Gates", Doc.podReadinessGates, priority: 1),
            ]
        case ("", "Secret"):
            return [nameColumn, column("Type", Doc.secretType), column("Data", Doc.secretData), ageColumn]
        case ("", "ConfigMap"):
            return [nameColumn, column("Data", Doc.configMapData), ageColumn]
        case ("", "Namespace"):
            return [nameColumn, column("Status", "The status of the namespace"), ageColumn]
        case ("", "Event"):
            return [
                column("Last Seen", Doc.eventLastTimestamp),
                column("Type", Doc.eventType),
                column("Reason", Doc.eventReason),
                column("Object", Doc.eventInvolvedObject),
                column("Subobject", Doc.objectReferenceFieldPath, priority: 1),
                column("Source", Doc.eventSource, priority: 1),
                column("Message", Doc.eventMessage),
                column("First Seen", Doc.eventFirstTimestamp, priority: 1),
                column("Count", Doc.eventCount, priority: 1),
                column("Name", Doc.metaName, format: "name", priority: 1),
            ]
        case ("networking.k8s.io", "Ingress"):
            return [
                nameColumn,
                column("Class", "The name of the IngressClass resource that should be used for additional configuration"),
                column("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
                column("Address", "Address is a list containing ingress points for the load-balancer"),
                column("Ports", "Ports of TLS configurations that open"),
                ageColumn,
            ]
        case ("networking.k8s.io", "IngressClass"):
            return [
                nameColumn,
                column("Controller", "Controller that is responsible for handling this class"),
                column("Parameters", "A reference to a resource with additional parameters"),
                ageColumn,
            ]
        default:
            // apiserver's defaultTableConvertor (k8s.io/apiserver/pkg/registry/rest/table.go).
            return [nameColumn, column("Created At", Doc.metaCreationTimestamp, type: "date")]
        }
    }

    /// The cells of one row for `object` (a full API object as JSON), `now` used for ages.
    /// Cells line up with `columnDefinitions(for:)`; missing or mistyped fields print as upstream's placeholders.
    public static func cells(for object: JSON, resource: ResourceType, now: Date) -> [JSON] {
        let row = Row(object: object, now: now)
        switch (resource.group, resource.kind) {
        case ("", "Service"): return row.service()
        case ("", "Endpoints"): return row.endpoints()
        case ("discovery.k8s.io", "EndpointSlice"): return row.endpointSlice()
        case ("", "Pod"): return row.pod()
        case ("", "Secret"): return row.secret()
        case ("", "ConfigMap"): return row.configMap()
        case ("", "Namespace"): return row.namespace()
        case ("", "Event"): return row.event()
        case ("networking.k8s.io", "Ingress"): return row.ingress()
        case ("networking.k8s.io", "IngressClass"): return row.ingressClass()
        default: return row.generic()
        }
    }

    // MARK: Column helpers

    private static func column(
        _ name: String, _ description: String, type: String = "string", format: String = "", priority: Int64 = 0
    ) -> JSON {
        .object([
            "name": .string(name), "type": .string(type), "format": .string(format),
            "description": .string(description), "priority": .int(priority),
        ])
    }

    private static var nameColumn: JSON { column("Name", Doc.metaName, format: "name") }
    private static var ageColumn: JSON { column("Age", Doc.metaCreationTimestamp) }
}

// MARK: - Row computation

extension TablePrinter {
    /// One object being printed; each method mirrors the upstream `printX` function for its kind.
    fileprivate struct Row {
        let object: JSON
        let now: Date

        var name: String { string(object.at("metadata", "name")) ?? "" }

        var age: String { since(object.at("metadata", "creationTimestamp")) }

        /// `translateTimestampSince`: `<unknown>` for a missing (zero) time, else HumanDuration(now - t).
        func since(_ value: JSON?) -> String {
            guard let t = Timestamp.epochSeconds(value) else { return "<unknown>" }
            return humanDuration(now.timeIntervalSince1970 - t)
        }

        // MARK: Service

        func service() -> [JSON] {
            let spec = object["spec"]
            // Upstream prints the defaulted internal object, so apply the same defaults here.
            let type = string(spec?["type"]) ?? "ClusterIP"
            var clusterIPs = strings(spec?["clusterIPs"])
            if clusterIPs.isEmpty, let ip = string(spec?["clusterIP"]), !ip.isEmpty { clusterIPs = [ip] }
            let internalIP = clusterIPs.first ?? "<none>"

            var ports = array(spec?["ports"]).map { port -> String in
                let number = int(port["port"]) ?? 0
                let proto = string(port["protocol"]) ?? "TCP"
                if let nodePort = int(port["nodePort"]), nodePort > 0 { return "\(number):\(nodePort)/\(proto)" }
                return "\(number)/\(proto)"
            }.joined(separator: ",")
            if ports.isEmpty { ports = "<none>" }

            return [
                .string(name), .string(type), .string(internalIP), .string(serviceExternalIP(type: type, spec: spec)),
                .string(ports), .string(age), .string(formatLabels(spec?["selector"])),
            ]
        }

        private func serviceExternalIP(type: String, spec: JSON?) -> String {
            let externalIPs = strings(spec?["externalIPs"])
            switch type {
            case "ClusterIP", "NodePort":
                return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
            case "LoadBalancer":
                // Server-side tables are generated wide, so the 16-byte truncation never applies.
                let lb = loadBalancerAddresses(object.at("status", "loadBalancer", "ingress"))
                if !externalIPs.isEmpty { return (lb + externalIPs).joined(separator: ",") }
                return lb.isEmpty ? "<pending>" : lb.joined(separator: ",")
            case "ExternalName":
                return string(spec?["externalName"]) ?? ""
            default:
                return "<unknown>"
            }
        }

        // MARK: Endpoints / EndpointSlice

        func endpoints() -> [JSON] {
            [.string(name), .string(formatEndpoints()), .string(age)]
        }

        private func formatEndpoints() -> String {
            let subsets = array(object["subsets"])
            if subsets.isEmpty { return "<none>" }
            let max = 3
            var list: [String] = []
            var more = false
            var count = 0
            for subset in subsets {
                let addresses = array(subset["addresses"]).map { string($0["ip"]) ?? "" }
                let ports = array(subset["ports"])
                if ports.isEmpty {
                    // Headless services may have addresses without ports.
                    count += addresses.count
                    for ip in addresses {
                        if list.count == max { more = true; break }
                        list.append(ip)
                    }
                    continue
                }
                for port in ports {
                    count += addresses.count
                    let number = int(port["port"]) ?? 0
                    for ip in addresses {
                        if list.count == max { more = true; break }
                        list.append(joinHostPort(ip, number))
                    }
                }
            }
            let joined = list.joined(separator: ",")
            return more ? "\(joined) + \(count - max) more..." : joined
        }

        func endpointSlice() -> [JSON] {
            let ports = array(object["ports"]).map { port -> String in
                if let number = int(port["port"]) { return String(number) }
                return string(port["name"]) ?? "*"
            }
            let addresses = array(object["endpoints"]).flatMap { strings($0["addresses"]) }
            return [
                .string(name), .string(string(object["addressType"]) ?? ""),
                .string(listWithMore(ports)), .string(listWithMore(addresses)), .string(age),
            ]
        }

        /// First three entries joined by `,`, then ` + N more...`; `<unset>` when empty.
        private func listWithMore(_ items: [String]) -> String {
            let max = 3
            let joined = items.prefix(max).joined(separator: ",")
            if items.count > max { return "\(joined) + \(items.count - max) more..." }
            return joined.isEmpty ? "<unset>" : joined
        }

        // MARK: Pod

        func pod() -> [JSON] {
            let spec = object["spec"]
            let status = object["status"]
            let phase = string(status?["phase"]) ?? ""
            let conditions = array(status?["conditions"])

            let restartableInit: Set<String> = Set(
                array(spec?["initContainers"]).compactMap { c in
                    string(c["restartPolicy"]) == "Always" ? string(c["name"]) : nil
                })
            let initContainerCount = array(spec?["initContainers"]).count
            let totalContainers = array(spec?["containers"]).count + restartableInit.count
            var readyContainers = 0
            var restarts: Int64 = 0
            var restartableRestarts: Int64 = 0
            var lastRestart: Double?
            var lastRestartableRestart: Double?

            var reason = phase
            if let r = string(status?["reason"]), !r.isEmpty { reason = r }
            for condition in conditions
            where string(condition["type"]) == "PodScheduled" && string(condition["reason"]) == "SchedulingGated" {
                reason = "SchedulingGated"
            }

            var initializing = false
            for (index, container) in array(status?["initContainerStatuses"]).enumerated() {
                let restartCount = int(container["restartCount"]) ?? 0
                let finished = lastTerminationFinish(container)
                restarts += restartCount
                lastRestart = later(lastRestart, finished)
                let restartable = restartableInit.contains(string(container["name"]) ?? "")
                if restartable {
                    restartableRestarts += restartCount
                    lastRestartableRestart = later(lastRestartableRestart, finished)
                }
                let terminated = present(container.at("state", "terminated"))
                let waiting = present(container.at("state", "waiting"))
                if let terminated, (int(terminated["exitCode"]) ?? 0) == 0 { continue }
                if restartable, container["started"]?.boolValue == true {
                    if container["ready"]?.boolValue == true { readyContainers += 1 }
                    continue
                }
                if let terminated {
                    // Initialization failed.
                    let r = string(terminated["reason"]) ?? ""
                    if r.isEmpty {
                        let signal = int(terminated["signal"]) ?? 0
                        reason = signal != 0 ? "Init:Signal:\(signal)" : "Init:ExitCode:\(int(terminated["exitCode"]) ?? 0)"
                    } else {
                        reason = "Init:" + r
                    }
                } else if let waiting, let r = string(waiting["reason"]), !r.isEmpty, r != "PodInitializing" {
                    reason = "Init:" + r
                } else {
                    reason = "Init:\(index)/\(initContainerCount)"
                }
                initializing = true
                break
            }

            let initialized = conditions.first { string($0["type"]) == "Initialized" }.map {
                string($0["status"]) == "True"
            } ?? false
            if !initializing || initialized {
                restarts = restartableRestarts
                lastRestart = lastRestartableRestart
                var hasRunning = false
                // Upstream walks the statuses last to first, so the first container's state wins.
                for container in array(status?["containerStatuses"]).reversed() {
                    restarts += int(container["restartCount"]) ?? 0
                    lastRestart = later(lastRestart, lastTerminationFinish(container))
                    let terminated = present(container.at("state", "terminated"))
                    if let r = string(container.at("state", "waiting", "reason")), !r.isEmpty {
                        reason = r
                    } else if let terminated, let r = string(terminated["reason"]), !r.isEmpty {
                        reason = r
                    } else if let terminated {
                        let signal = int(terminated["signal"]) ?? 0
                        reason = signal != 0 ? "Signal:\(signal)" : "ExitCode:\(int(terminated["exitCode"]) ?? 0)"
                    } else if container["ready"]?.boolValue == true, present(container.at("state", "running")) != nil {
                        hasRunning = true
                        readyContainers += 1
                    }
                }
                // A sidecar-style pod whose main container completed is still running while others run.
                if reason == "Completed" && hasRunning {
                    let ready = conditions.contains { string($0["type"]) == "Ready" && string($0["status"]) == "True" }
                    reason = ready ? "Running" : "NotReady"
                }
            }

            if present(object.at("metadata", "deletionTimestamp")) != nil {
                if string(status?["reason"]) == "NodeLost" {
                    reason = "Unknown"
                } else if phase != "Succeeded" && phase != "Failed" {
                    reason = "Terminating"
                }
            }

            var restartsCell = String(restarts)
            if restarts != 0, let lastRestart {
                restartsCell = "\(restarts) (\(humanDuration(now.timeIntervalSince1970 - lastRestart)) ago)"
            }

            var podIP = array(status?["podIPs"]).first.flatMap { string($0["ip"]) } ?? ""
            if array(status?["podIPs"]).isEmpty { podIP = string(status?["podIP"]) ?? "" }
            let nodeName = string(spec?["nodeName"]) ?? ""
            let nominated = string(status?["nominatedNodeName"]) ?? ""

            var gates = "<none>"
            let readinessGates = array(spec?["readinessGates"])
            if !readinessGates.isEmpty {
                var trueCount = 0
                for gate in readinessGates {
                    let type = string(gate["conditionType"]) ?? ""
                    if let match = conditions.first(where: { string($0["type"]) == type }),
                        string(match["status"]) == "True"
                    {
                        trueCount += 1
                    }
                }
                gates = "\(trueCount)/\(readinessGates.count)"
            }

            return [
                .string(name), .string("\(readyContainers)/\(totalContainers)"), .string(reason), .string(restartsCell),
                .string(age), .string(podIP.isEmpty ? "<none>" : podIP), .string(nodeName.isEmpty ? "<none>" : nodeName),
                .string(nominated.isEmpty ? "<none>" : nominated), .string(gates),
            ]
        }

        private func lastTerminationFinish(_ container: JSON) -> Double? {
            guard let terminated = present(container.at("lastState", "terminated")) else { return nil }
            return Timestamp.epochSeconds(terminated["finishedAt"])
        }

        private func later(_ a: Double?, _ b: Double?) -> Double? {
            guard let b else { return a }
            guard let a else { return b }
            return a < b ? b : a
        }

        // MARK: Secret / ConfigMap / Namespace

        func secret() -> [JSON] {
            // The internal object has stringData already merged into data, so count the union of keys.
            let data = object["data"]?.objectValue ?? [:]
            let stringData = object["stringData"]?.objectValue ?? [:]
            let keys = Set(data.keys).union(stringData.keys)
            let type = string(object["type"]) ?? "Opaque"
            return [.string(name), .string(type), .int(Int64(keys.count)), .string(age)]
        }

        func configMap() -> [JSON] {
            let count = (object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)
            return [.string(name), .int(Int64(count)), .string(age)]
        }

        func namespace() -> [JSON] {
            [.string(name), .string(string(object.at("status", "phase")) ?? "Active"), .string(age)]
        }

        // MARK: Event

        func event() -> [JSON] {
            var first = since(object["firstTimestamp"])
            if Timestamp.epochSeconds(object["firstTimestamp"]) == nil { first = since(object["eventTime"]) }
            var last = since(object["lastTimestamp"])
            if Timestamp.epochSeconds(object["lastTimestamp"]) == nil { last = first }

            var count = int(object["count"]) ?? 0
            if let series = present(object["series"]) {
                last = since(series["lastObservedTime"])
                count = int(series["count"]) ?? 0
            } else if count == 0 {
                // Singleton events from the events.k8s.io API carry no count.
                count = 1
            }

            let kind = (string(object.at("involvedObject", "kind")) ?? "").lowercased()
            let involvedName = string(object.at("involvedObject", "name")) ?? ""
            let target = involvedName.isEmpty ? kind : "\(kind)/\(involvedName)"

            let component = firstNonEmpty(string(object.at("source", "component")), string(object["reportingComponent"]))
            let host = firstNonEmpty(string(object.at("source", "host")), string(object["reportingInstance"]))
            let source = host.isEmpty ? component : "\(component), \(host)"

            return [
                .string(last), .string(string(object["type"]) ?? ""), .string(string(object["reason"]) ?? ""),
                .string(target), .string(string(object.at("involvedObject", "fieldPath")) ?? ""), .string(source),
                .string((string(object["message"]) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)),
                .string(first), .int(count), .string(name),
            ]
        }

        private func firstNonEmpty(_ a: String?, _ b: String?) -> String {
            if let a, !a.isEmpty { return a }
            return b ?? ""
        }

        // MARK: Ingress / IngressClass

        func ingress() -> [JSON] {
            let spec = object["spec"]
            let className = string(spec?["ingressClassName"]) ?? "<none>"
            let address = loadBalancerAddresses(object.at("status", "loadBalancer", "ingress")).joined(separator: ",")
            let ports = array(spec?["tls"]).isEmpty ? "80" : "80, 443"
            return [
                .string(name), .string(className), .string(formatHosts(array(spec?["rules"]))), .string(address),
                .string(ports), .string(age),
            ]
        }

        private func formatHosts(_ rules: [JSON]) -> String {
            let max = 3
            var list: [String] = []
            var more = false
            for rule in rules {
                if list.count == max { more = true }
                if !more, let host = string(rule["host"]), !host.isEmpty { list.append(host) }
            }
            if list.isEmpty { return "*" }
            let joined = list.joined(separator: ",")
            // Upstream subtracts from the rule count, host-less rules included.
            return more ? "\(joined) + \(rules.count - max) more..." : joined
        }

        func ingressClass() -> [JSON] {
            var parameters = "<none>"
            if let p = present(object.at("spec", "parameters")) {
                parameters = string(p["kind"]) ?? ""
                if let group = string(p["apiGroup"]) { parameters += "." + group }
                parameters += "/" + (string(p["name"]) ?? "")
            }
            return [
                .string(name), .string(string(object.at("spec", "controller")) ?? ""), .string(parameters),
                .string(age),
            ]
        }

        // MARK: Fallback

        func generic() -> [JSON] {
            let created = Timestamp.epochSeconds(object.at("metadata", "creationTimestamp")) ?? Timestamp.goZero
            return [.string(name), .string(Timestamp.rfc3339UTC(created))]
        }

        // MARK: Shared formatting

        /// `loadBalancerStatusStringer`: sorted unique ip-or-hostname values.
        private func loadBalancerAddresses(_ ingress: JSON?) -> [String] {
            var set = Set<String>()
            for entry in array(ingress) {
                if let ip = string(entry["ip"]), !ip.isEmpty {
                    set.insert(ip)
                } else if let host = string(entry["hostname"]), !host.isEmpty {
                    set.insert(host)
                }
            }
            return set.sorted()
        }

        /// `labels.FormatLabels`: `k=v` sorted by key, joined by `,`; `<none>` when empty.
        private func formatLabels(_ labels: JSON?) -> String {
            guard let map = labels?.objectValue, !map.isEmpty else { return "<none>" }
            return map.keys.sorted().map { "\($0)=\(string(map[$0]) ?? "")" }.joined(separator: ",")
        }

        /// `net.JoinHostPort`: brackets IPv6 literals.
        private func joinHostPort(_ host: String, _ port: Int64) -> String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }

        // Typed reads that treat a wrongly typed field as absent.
        private func string(_ value: JSON?) -> String? { value?.stringValue }
        private func int(_ value: JSON?) -> Int64? { value?.intValue }
        private func array(_ value: JSON?) -> [JSON] { value?.arrayValue ?? [] }
        private func strings(_ value: JSON?) -> [String] { array(value).compactMap { $0.stringValue } }
        /// A Go pointer field is nil when the key is missing or explicitly null.
        private func present(_ value: JSON?) -> JSON? {
            guard let value, !value.isNull else { return nil }
            return value
        }
    }
}

// MARK: - Timestamps

extension TablePrinter {
    /// RFC 3339 handling for metav1.Time / MicroTime values, without a shared (non-Sendable) formatter.
    enum Timestamp {
        /// Go's zero `time.Time` (0001-01-01T00:00:00Z) in Unix seconds; metav1 treats it as "unset".
        static let goZero: Double = -62_135_596_800

        /// Unix seconds for an RFC 3339 string value; nil when missing, null, malformed or the Go zero time.
        static func epochSeconds(_ value: JSON?) -> Double? {
            guard let text = value?.stringValue, let t = parse(text), t != goZero else { return nil }
            return t
        }

        /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
        static func parse(_ text: String) -> Double? {
            let b = Array(text.utf8)
            func digits(_ at: Int, _ n: Int) -> Int? {
                guard at + n <= b.count else { return nil }
                var v = 0
                for i in at..<(at + n) {
                    guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                    v = v * 10 + Int(b[i] - 0x30)
                }
                return v
            }
            func byte(_ at: Int, _ c: Character) -> Bool { at < b.count && b[at] == c.asciiValue }
            guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"),
                let day = digits(8, 2), byte(10, "T"), let hour = digits(11, 2), byte(13, ":"),
                let minute = digits(14, 2), byte(16, ":"), let second = digits(17, 2)
            else { return nil }
            guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60,
                second < 60
            else { return nil }
            var i = 19
            var fraction = 0.0
            if byte(i, ".") {
                i += 1
                var scale = 0.1
                let start = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    fraction += Double(b[i] - 0x30) * scale
                    scale /= 10
                    i += 1
                }
                guard i > start else { return nil }
            }
            var offset = 0
            if byte(i, "Z") {
                i += 1
            } else if byte(i, "+") || byte(i, "-") {
                let sign = byte(i, "-") ? -1 : 1
                guard let oh = digits(i + 1, 2), byte(i + 3, ":"), let om = digits(i + 4, 2), oh < 24, om < 60 else {
                    return nil
                }
                offset = sign * (oh * 3600 + om * 60)
                i += 6
            } else {
                return nil
            }
            guard i == b.count else { return nil }
            let days = daysFromCivil(year: year, month: month, day: day)
            let whole = days * 86_400 + hour * 3600 + minute * 60 + second - offset
            return Double(whole) + fraction
        }

        /// `time.RFC3339` formatting in UTC (whole seconds), as the default table convertor prints.
        static func rfc3339UTC(_ epoch: Double) -> String {
            let whole = Int(epoch.rounded(.down))
            let days = Int((Double(whole) / 86_400).rounded(.down))
            let secs = whole - days * 86_400
            let (y, m, d) = civilFromDays(days)
            func pad(_ v: Int, _ n: Int) -> String {
                let s = String(v)
                return String(repeating: "0", count: max(0, n - s.count)) + s
            }
            return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):\(pad(secs % 60, 2))Z"
        }

        private static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

        private static func daysIn(month: Int, year: Int) -> Int {
            switch month {
            case 2: return isLeap(year) ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }

        // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian, day 0 = 1970-01-01).
        private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yoe = y - era * 400
            let mp = (month + 9) % 12
            let doy = (153 * mp + 2) / 5 + day - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            return era * 146_097 + doe - 719_468
        }

        private static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
            let z = z0 + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let doe = z - era * 146_097
            let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let d = doy - (153 * mp + 2) / 5 + 1
            let m = mp < 10 ? mp + 3 : mp - 9
            return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
        }
    }
}

// MARK: - Column descriptions (swagger docs of k8s.io/api and apimachinery v0.32)

extension TablePrinter {
    fileprivate enum Doc {
        static let metaName =
            "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
        static let metaCreationTimestamp =
            "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

        static let serviceType =
            "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
        static let serviceClusterIP =
            "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
        static let serviceExternalIPs =
            "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system."
        static let servicePorts =
            "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
        static let serviceSelector =
            "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/"

        static let endpointsSubsets =
            "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service."

        // printers.go takes these from discovery/v1beta1 even when serving discovery/v1.
        static let sliceAddressType =
            "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name."
        static let slicePorts =
            "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates \"all ports\". Each slice may include a maximum of 100 ports."
        static let sliceEndpoints =
            "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints."

        static let podIP =
            "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
        static let podNodeName =
            "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
        static let podNominatedNodeName =
            "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled."
        static let podReadinessGates =
            "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"

        static let secretType =
            "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
        static let secretData =
            "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
        static let configMapData =
            "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process."

        static let eventLastTimestamp = "The time at which the most recent occurrence of this event was recorded."
        static let eventType = "Type of this event (Normal, Warning), new types could be added in the future"
        static let eventReason =
            "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."
        static let eventInvolvedObject = "The object that this event is about."
        static let objectReferenceFieldPath =
            "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object."
        static let eventSource = "The component reporting this event. Should be a short machine understandable string."
        static let eventMessage = "A human-readable description of the status of this operation."
        static let eventFirstTimestamp = "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
        static let eventCount = "The number of times this event has occurred."
    }
}
