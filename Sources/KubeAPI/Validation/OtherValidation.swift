import Foundation

/// Validation and defaulting for Namespace, Secret, ConfigMap, Endpoints, EndpointSlice, Pod (the common
/// fields) and Event, following kube-apiserver 1.32's rules and messages.
extension Validation {
    static let maxSecretSize = 1024 * 1024

    // MARK: Namespace

    static func validateNamespace(_ ns: JSON, old: JSON?) -> [FieldError] {
        var errs = validateObjectMeta(ns, requiresNamespace: false, nameCheck: nameIsDNSLabel)
        for f in ns.validationStringArray("spec", "finalizers") ?? [] {
            errs += NameValidation.qualifiedName(f).map { .invalid("spec.finalizers", f, $0) }
            if !f.contains("/") && !standardFinalizers.contains(f) {
                errs.append(
                    .invalid(
                        "spec.finalizers", f, "name is neither a standard finalizer name nor is it fully qualified"))
            }
        }
        if let old { errs += validateObjectMetaUpdate(ns, old: old) }
        return errs
    }

    /// SetDefaults_Namespace plus the namespace strategy: the `kubernetes.io/metadata.name` label always;
    /// on create phase Active and the `kubernetes` finalizer; on update spec.finalizers and status are
    /// kept from `old` (they change only through /finalize and /status).
    static func applyNamespaceDefaults(_ ns: inout JSON, old: JSON?) {
        let name = ns.validationString("metadata", "name")
        if !name.isEmpty { ns.set(["metadata", "labels", "kubernetes.io/metadata.name"], .string(name)) }
        if let old {
            ns.set(["spec", "finalizers"], old.at("spec", "finalizers"))
            ns["status"] = old["status"]
            if ns["spec"]?.objectValue?.isEmpty == true && old["spec"] == nil { ns["spec"] = nil }
        } else {
            var finalizers = ns.validationStringArray("spec", "finalizers") ?? []
            if !finalizers.contains("kubernetes") { finalizers.append("kubernetes") }
            ns.set(["spec", "finalizers"], .array(finalizers.map(JSON.string)))
            ns["status"] = ["phase": "Active"]
        }
    }

    // MARK: Secret

    /// Decoded size of a base64 `data` value (upstream counts bytes, not base64 characters).
    static func decodedSize(_ value: JSON?) -> Int {
        guard let s = value?.stringValue else { return 0 }
        if let d = Data(base64Encoded: s) { return d.count }
        return s.utf8.count * 3 / 4
    }

    static func validateSecret(_ secret: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        let type = secret.validationString("type")
        if let old {
            errs += validateObjectMetaUpdate(secret, old: old)
            if type != old.validationString("type") { errs.append(.invalid("type", type, "field is immutable")) }
            if old["immutable"]?.boolValue == true {
                if secret["immutable"]?.boolValue != true {
                    errs.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
                }
                if (secret["data"] ?? .null) != (old["data"] ?? .null) {
                    errs.append(.forbidden("data", "field is immutable when `immutable` is set"))
                }
            }
        }
        errs += validateObjectMeta(secret, requiresNamespace: true, nameCheck: nameIsDNSSubdomain)
        let data = secret["data"]?.objectValue ?? [:]
        var total = 0
        for key in data.keys.sorted() {
            errs += NameValidation.configMapKey(key).map { .invalid("data[\(key)]", key, $0) }
            total += decodedSize(data[key])
        }
        if total > maxSecretSize { errs.append(.tooLong("data", maxBytes: maxSecretSize)) }
        switch type {
        case "kubernetes.io/service-account-token":
            if secret.validationString("metadata", "annotations", "kubernetes.io/service-account.name").isEmpty {
                errs.append(.required("metadata.annotations[kubernetes.io/service-account.name]"))
            }
        case "kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson":
            let key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson"
            guard let value = data[key] else {
                errs.append(.required("data[\(key)]"))
                break
            }
            if let problem = jsonObjectProblem(value) {
                errs.append(.invalid("data[\(key)]", "<secret contents redacted>", problem))
            }
        case "kubernetes.io/basic-auth":
            if data["username"] == nil && data["password"] == nil {
                errs.append(.required("data[username]"))
                errs.append(.required("data[password]"))
            }
        case "kubernetes.io/ssh-auth":
            if decodedSize(data["ssh-privatekey"]) == 0 { errs.append(.required("data[ssh-privatekey]")) }
        case "kubernetes.io/tls":
            if data["tls.crt"] == nil { errs.append(.required("data[tls.crt]")) }
            if data["tls.key"] == nil { errs.append(.required("data[tls.key]")) }
        default:
            break
        }
        return errs
    }

    /// Why a base64 docker config is not a JSON object, in the words of Go's `encoding/json` where practical.
    static func jsonObjectProblem(_ value: JSON) -> String? {
        guard let s = value.stringValue, let bytes = Data(base64Encoded: s) else {
            return "illegal base64 data at input byte 0"
        }
        let trimmed = Array(bytes).drop(while: { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 })
        guard let first = trimmed.first else { return "unexpected end of JSON input" }
        guard let parsed = try? JSON.parse(Array(bytes)) else {
            if "{[\"-0123456789tfn".utf8.contains(first) { return "unexpected end of JSON input" }
            return "invalid character '\(Character(Unicode.Scalar(first)))' looking for beginning of value"
        }
        switch parsed {
        case .object, .null: return nil
        case .array: return "json: cannot unmarshal array into Go value of type map[string]interface {}"
        case .string: return "json: cannot unmarshal string into Go value of type map[string]interface {}"
        case .bool: return "json: cannot unmarshal bool into Go value of type map[string]interface {}"
        case .int, .double: return "json: cannot unmarshal number into Go value of type map[string]interface {}"
        }
    }

    /// SetDefaults_Secret (type Opaque) plus the v1 conversion that folds `stringData` into `data`
    /// (stringData wins) and drops it, as the stored object never carries stringData.
    static func applySecretDefaults(_ secret: inout JSON) {
        if secret.validationString("type").isEmpty { secret["type"] = "Opaque" }
        if let stringData = secret["stringData"]?.objectValue {
            var data = secret["data"]?.objectValue ?? [:]
            for (k, v) in stringData {
                data[k] = .string(Data((v.stringValue ?? "").utf8).base64EncodedString())
            }
            secret["data"] = .object(data)
            secret["stringData"] = nil
        }
    }

    // MARK: ConfigMap

    static func validateConfigMap(_ cm: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        if let old {
            errs += validateObjectMetaUpdate(cm, old: old)
            if old["immutable"]?.boolValue == true {
                if cm["immutable"]?.boolValue != true {
                    errs.append(.forbidden("immutable", "field is immutable when `immutable` is set"))
                }
                if (cm["data"] ?? .null) != (old["data"] ?? .null) {
                    errs.append(.forbidden("data", "field is immutable when `immutable` is set"))
                }
                if (cm["binaryData"] ?? .null) != (old["binaryData"] ?? .null) {
                    errs.append(.forbidden("binaryData", "field is immutable when `immutable` is set"))
                }
            }
        }
        errs += validateObjectMeta(cm, requiresNamespace: true, nameCheck: nameIsDNSSubdomain)
        let data = cm["data"]?.objectValue ?? [:]
        let binary = cm["binaryData"]?.objectValue ?? [:]
        var total = 0
        for key in data.keys.sorted() {
            errs += NameValidation.configMapKey(key).map { .invalid("data[\(key)]", key, $0) }
            if binary[key] != nil {
                errs.append(.invalid("data[\(key)]", key, "duplicate of key present in binaryData"))
            }
            total += data[key]?.stringValue?.utf8.count ?? 0
        }
        for key in binary.keys.sorted() {
            errs += NameValidation.configMapKey(key).map { .invalid("binaryData[\(key)]", key, $0) }
            total += decodedSize(binary[key])
        }
        // Upstream reports this against an empty path.
        if total > maxSecretSize { errs.append(.tooLong("", maxBytes: maxSecretSize)) }
        return errs
    }

    // MARK: Endpoints

    static func validateEndpoints(_ ep: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        if let old { errs += validateObjectMetaUpdate(ep, old: old) }
        errs += validateObjectMeta(ep, requiresNamespace: true, nameCheck: nameIsDNSSubdomain)
        for (i, subset) in ep.validationArray("subsets").enumerated() {
            let path = "subsets[\(i)]"
            let addresses = subset.validationArray("addresses")
            let notReady = subset.validationArray("notReadyAddresses")
            if addresses.isEmpty && notReady.isEmpty {
                errs.append(.required(path, "must specify `addresses` or `notReadyAddresses`"))
            }
            for (j, a) in addresses.enumerated() { errs += validateEndpointAddress(a, path: "\(path).addresses[\(j)]") }
            for (j, a) in notReady.enumerated() {
                errs += validateEndpointAddress(a, path: "\(path).notReadyAddresses[\(j)]")
            }
            let ports = subset.validationArray("ports")
            for (j, p) in ports.enumerated() {
                let portPath = "\(path).ports[\(j)]"
                let name = p.validationString("name")
                if ports.count > 1 && name.isEmpty {
                    errs.append(.required(portPath + ".name"))
                } else if !name.isEmpty {
                    errs += validateDNS1123Label(portPath + ".name", name)
                }
                let port = p.validationInt("port")
                errs += NameValidation.portNumber(port).map { .invalid(portPath + ".port", port, $0) }
                let proto = p.validationString("protocol")
                if proto.isEmpty {
                    errs.append(.required(portPath + ".protocol"))
                } else if !portProtocols.contains(proto) {
                    errs.append(.notSupported(portPath + ".protocol", proto, portProtocols))
                }
                if let app = p["appProtocol"]?.stringValue {
                    errs += validateQualifiedName(portPath + ".appProtocol", app)
                }
            }
        }
        return errs
    }

    static func validateEndpointAddress(_ a: JSON, path: String) -> [FieldError] {
        let ip = a.validationString("ip")
        var errs = validateIP(path + ".ip", ip)
        let hostname = a.validationString("hostname")
        if !hostname.isEmpty { errs += validateDNS1123Label(path + ".hostname", hostname) }
        if let node = a["nodeName"]?.stringValue {
            errs += nameIsDNSSubdomain(node, false).map { .invalid(path + ".nodeName", node, $0) }
        }
        errs += validateNonSpecialIP(path + ".ip", ip, allowLoopback: true)
        return errs
    }

    static func applyEndpointsDefaults(_ ep: inout JSON) {
        guard var subsets = ep["subsets"]?.arrayValue else { return }
        for i in subsets.indices {
            guard var ports = subsets[i]["ports"]?.arrayValue else { continue }
            for j in ports.indices where ports[j].validationString("protocol").isEmpty { ports[j]["protocol"] = "TCP" }
            subsets[i]["ports"] = .array(ports)
        }
        ep["subsets"] = .array(subsets)
    }

    // MARK: EndpointSlice

    static func validateEndpointSlice(_ slice: JSON, old: JSON?) -> [FieldError] {
        var errs = validateObjectMeta(slice, requiresNamespace: true, nameCheck: nameIsDNSSubdomain)
        let addressType = slice.validationString("addressType")
        // The deprecated "IP" type is only accepted on objects that already have it.
        let validTypes = old == nil ? ["FQDN", "IPv4", "IPv6"] : ["FQDN", "IP", "IPv4", "IPv6"]
        if addressType.isEmpty {
            errs.append(.required("addressType"))
        } else if !validTypes.contains(addressType) {
            errs.append(.notSupported("addressType", addressType, validTypes))
        }
        let endpoints = slice.validationArray("endpoints")
        if endpoints.count > 1000 {
            errs.append(.tooMany("endpoints", actual: endpoints.count, max: 1000))
        } else {
            for (i, e) in endpoints.enumerated() {
                errs += validateSliceEndpoint(e, addressType: addressType, path: "endpoints[\(i)]")
            }
        }
        let ports = slice.validationArray("ports")
        if ports.count > 20000 {
            errs.append(.tooMany("ports", actual: ports.count, max: 20000))
        } else {
            var names = Set<String>()
            for (i, p) in ports.enumerated() {
                let path = "ports[\(i)]"
                let name = p.validationString("name")
                if !name.isEmpty { errs += validateDNS1123Label(path + ".name", name) }
                if !names.insert(name).inserted {
                    errs.append(.duplicate(path + ".name", rendered: ValidationGo.quote(name)))
                }
                if let proto = p["protocol"]?.stringValue {
                    if !portProtocols.contains(proto) {
                        errs.append(.notSupported(path + ".protocol", proto, portProtocols))
                    }
                } else {
                    errs.append(.required(path + ".protocol"))
                }
                if let app = p["appProtocol"]?.stringValue { errs += validateQualifiedName(path + ".appProtocol", app) }
            }
        }
        if let old, addressType != old.validationString("addressType") {
            errs.append(.invalid("addressType", addressType, "field is immutable"))
        }
        return errs
    }

    static func validateSliceEndpoint(_ e: JSON, addressType: String, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        let addresses = e.validationStringArray("addresses") ?? []
        let addrPath = path + ".addresses"
        if addresses.isEmpty {
            errs.append(.required(addrPath, "must contain at least 1 address"))
        } else if addresses.count > 100 {
            errs.append(.tooMany(addrPath, actual: addresses.count, max: 100))
        }
        for (i, a) in addresses.enumerated() {
            let p = "\(addrPath)[\(i)]"
            switch addressType {
            case "IPv4", "IPv6":
                let parsed = ParsedIP(a)
                if parsed == nil || parsed?.family != addressType {
                    errs.append(.invalid(p, a, "must be a valid \(addressType) address"))
                }
                errs += validateNonSpecialIP(p, a, allowLoopback: true)
            case "FQDN":
                errs += validateFullyQualifiedDomainName(p, a)
            default:
                break
            }
        }
        if let node = e["nodeName"]?.stringValue {
            errs += nameIsDNSSubdomain(node, false).map { .invalid(path + ".nodeName", node, $0) }
        }
        let topology = e.validationStringMap("deprecatedTopology")
        if topology.count > 16 { errs.append(.tooMany(path + ".deprecatedTopology", actual: topology.count, max: 16)) }
        errs += validateLabels(topology, path + ".deprecatedTopology")
        if let hostname = e["hostname"]?.stringValue { errs += validateDNS1123Label(path + ".hostname", hostname) }
        let zones = e.validationArray("hints", "forZones")
        if zones.count > 8 {
            errs.append(.tooMany(path + ".hints.forZones", actual: zones.count, max: 8))
        } else {
            var seen = Set<String>()
            for (i, z) in zones.enumerated() {
                let zp = "\(path).hints.forZones[\(i)].name"
                let name = z.validationString("name")
                if !seen.insert(name).inserted { errs.append(.duplicate(zp, rendered: ValidationGo.quote(name))) }
                errs += NameValidation.labelValue(name).map { .invalid(zp, name, $0) }
            }
        }
        return errs
    }

    /// apimachinery `IsFullyQualifiedDomainName`: a subdomain with at least two labels, trailing dot allowed.
    static func validateFullyQualifiedDomainName(_ path: String, _ value: String) -> [FieldError] {
        if value.isEmpty { return [.required(path)] }
        let name = value.hasSuffix(".") ? String(value.dropLast()) : value
        let errs = NameValidation.dns1123Subdomain(name)
        if !errs.isEmpty { return [.invalid(path, name, errs.joined(separator: ","))] }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if labels.count < 2 {
            return [.invalid(path, name, "should be a domain with at least two segments separated by dots")]
        }
        for label in labels {
            let e = NameValidation.dns1123Label(label)
            if !e.isEmpty { return [.invalid(path, label, e.joined(separator: ","))] }
        }
        return []
    }

    /// discovery/v1 defaults: each port gets `name: ""` and `protocol: TCP`.
    static func applyEndpointSliceDefaults(_ slice: inout JSON) {
        guard var ports = slice["ports"]?.arrayValue else { return }
        for i in ports.indices {
            guard case .object = ports[i] else { continue }
            if ports[i]["name"] == nil || ports[i]["name"]?.isNull == true { ports[i]["name"] = "" }
            if ports[i]["protocol"] == nil || ports[i]["protocol"]?.isNull == true { ports[i]["protocol"] = "TCP" }
        }
        slice["ports"] = .array(ports)
    }

    // MARK: Pod

    static let restartPolicies = ["Always", "OnFailure", "Never"]
    static let dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    static let pullPolicies = ["Always", "IfNotPresent", "Never"]
    static let terminationMessagePolicies = ["File", "FallbackToLogsOnError"]
    static let updatablePodSpecFields = [
        "`spec.containers[*].image`", "`spec.initContainers[*].image`", "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    ]

    /// The parts of `ValidatePodCreate`/`ValidatePodUpdate` Ferry needs: metadata, containers (names,
    /// images, ports, policies), restart/DNS policy, names and hostnames, and spec immutability on update
    /// (reported without upstream's object diff). Volumes, probes, resources and security contexts are
    /// not checked.
    static func validatePod(_ pod: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        if let old { errs += validateObjectMetaUpdate(pod, old: old) }
        errs += validateObjectMeta(pod, requiresNamespace: true, nameCheck: nameIsDNSSubdomain)
        let spec = pod["spec"] ?? .object([:])
        if spec["terminationGracePeriodSeconds"]?.intValue == nil {
            errs.append(.required("spec.terminationGracePeriodSeconds"))
        }
        let containers = spec.validationArray("containers")
        if containers.isEmpty {
            errs.append(.required("spec.containers"))
        } else {
            var names = Set<String>()
            for (i, c) in containers.enumerated() {
                let path = "spec.containers[\(i)]"
                errs += validateContainer(c, path: path)
                let name = c.validationString("name")
                if !names.insert(name).inserted {
                    errs.append(.duplicate(path + ".name", rendered: ValidationGo.quote(name)))
                }
                if c["restartPolicy"] != nil {
                    errs.append(.forbidden(path + ".restartPolicy", "may not be set for non-init containers"))
                }
            }
            errs += hostPortConflicts(containers, path: "spec.containers")
        }
        var initNames = Set(containers.map { $0.validationString("name") })
        for (i, c) in spec.validationArray("initContainers").enumerated() {
            let path = "spec.initContainers[\(i)]"
            errs += validateContainer(c, path: path)
            let name = c.validationString("name")
            if !initNames.insert(name).inserted {
                errs.append(.duplicate(path + ".name", rendered: ValidationGo.quote(name)))
            }
        }
        let restart = spec.validationString("restartPolicy")
        if restart.isEmpty {
            errs.append(.required("spec.restartPolicy"))
        } else if !restartPolicies.contains(restart) {
            errs.append(.notSupported("spec.restartPolicy", restart, restartPolicies))
        }
        let dns = spec.validationString("dnsPolicy")
        if dns.isEmpty {
            errs.append(.required("spec.dnsPolicy"))
        } else if !dnsPolicies.contains(dns) {
            errs.append(.notSupported("spec.dnsPolicy", dns, dnsPolicies))
        }
        errs += validateLabels(spec.validationStringMap("nodeSelector"), "spec.nodeSelector")
        let sa = spec.validationString("serviceAccountName")
        if !sa.isEmpty { errs += nameIsDNSSubdomain(sa, false).map { .invalid("spec.serviceAccountName", sa, $0) } }
        let node = spec.validationString("nodeName")
        if !node.isEmpty { errs += nameIsDNSSubdomain(node, false).map { .invalid("spec.nodeName", node, $0) } }
        if let deadline = spec["activeDeadlineSeconds"]?.intValue, deadline < 1 || deadline > Int64(Int32.max) {
            errs.append(
                .invalid("spec.activeDeadlineSeconds", deadline, NameValidation.inclusiveRangeError(1, Int(Int32.max))))
        }
        for key in ["hostname", "subdomain"] {
            let v = spec.validationString(key)
            if !v.isEmpty { errs += validateDNS1123Label("spec." + key, v) }
        }
        if old == nil && !spec.validationArray("ephemeralContainers").isEmpty {
            errs.append(.forbidden("spec.ephemeralContainers", "cannot be set on create"))
        }
        if let old, podSpecChangedBeyondUpdatable(spec, old["spec"] ?? .object([:])) {
            errs.append(
                .forbidden(
                    "spec",
                    "pod updates may not change fields other than \(updatablePodSpecFields.joined(separator: ","))\n"))
        }
        return errs
    }

    static func validateContainer(_ c: JSON, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        let name = c.validationString("name")
        if name.isEmpty {
            errs.append(.required(path + ".name"))
        } else {
            errs += validateDNS1123Label(path + ".name", name)
        }
        if c.validationString("image").isEmpty { errs.append(.required(path + ".image")) }
        let tmp = c.validationString("terminationMessagePolicy")
        if tmp.isEmpty {
            errs.append(.required(path + ".terminationMessagePolicy"))
        } else if !terminationMessagePolicies.contains(tmp) {
            errs.append(.notSupported(path + ".terminationMessagePolicy", tmp, terminationMessagePolicies))
        }
        var portNames = Set<String>()
        for (i, p) in c.validationArray("ports").enumerated() {
            let pp = "\(path).ports[\(i)]"
            let pname = p.validationString("name")
            if !pname.isEmpty {
                let msgs = NameValidation.portName(pname)
                if !msgs.isEmpty {
                    errs += msgs.map { .invalid(pp + ".name", pname, $0) }
                } else if !portNames.insert(pname).inserted {
                    errs.append(.duplicate(pp + ".name", rendered: ValidationGo.quote(pname)))
                }
            }
            let cp = p.validationInt("containerPort")
            if cp == 0 {
                errs.append(.required(pp + ".containerPort"))
            } else {
                errs += NameValidation.portNumber(cp).map { .invalid(pp + ".containerPort", cp, $0) }
            }
            let hp = p.validationInt("hostPort")
            if hp != 0 { errs += NameValidation.portNumber(hp).map { .invalid(pp + ".hostPort", hp, $0) } }
            let proto = p.validationString("protocol")
            if proto.isEmpty {
                errs.append(.required(pp + ".protocol"))
            } else if !portProtocols.contains(proto) {
                errs.append(.notSupported(pp + ".protocol", proto, portProtocols))
            }
        }
        for (i, env) in c.validationArray("env").enumerated() where env.validationString("name").isEmpty {
            errs.append(.required("\(path).env[\(i)].name"))
        }
        let pull = c.validationString("imagePullPolicy")
        if pull.isEmpty {
            errs.append(.required(path + ".imagePullPolicy"))
        } else if !pullPolicies.contains(pull) {
            errs.append(.notSupported(path + ".imagePullPolicy", pull, pullPolicies))
        }
        return errs
    }

    /// `checkHostPortConflicts`: the same hostPort/protocol/hostIP twice in one pod.
    static func hostPortConflicts(_ containers: [JSON], path: String) -> [FieldError] {
        var seen = Set<String>()
        var errs: [FieldError] = []
        for (ci, c) in containers.enumerated() {
            for p in c.validationArray("ports") {
                let hp = p.validationInt("hostPort")
                if hp == 0 { continue }
                let key = "\(p.validationString("hostIP"))/\(hp)/\(p.validationString("protocol"))"
                if !seen.insert(key).inserted {
                    errs.append(.duplicate("\(path)[\(ci)].ports", rendered: ValidationGo.quote(key)))
                }
            }
        }
        return errs
    }

    /// Whether an update touches pod spec fields other than the updatable ones.
    static func podSpecChangedBeyondUpdatable(_ new: JSON, _ old: JSON) -> Bool {
        func normalised(_ spec: JSON) -> JSON {
            var s = spec
            for key in ["containers", "initContainers"] {
                guard var list = s[key]?.arrayValue else { continue }
                for i in list.indices { list[i]["image"] = nil }
                s[key] = .array(list)
            }
            s["activeDeadlineSeconds"] = nil
            s["tolerations"] = nil
            s["terminationGracePeriodSeconds"] = nil
            return s
        }
        if normalised(new) != normalised(old) { return true }
        // Tolerations may only grow.
        let oldTolerations = old.validationArray("tolerations")
        let newTolerations = new.validationArray("tolerations")
        return !oldTolerations.allSatisfy { newTolerations.contains($0) }
    }

    /// SetDefaults_PodSpec / _Pod / _Container / _Probe / volume modes, and the create-time status the pod
    /// strategy sets (phase Pending and the QoS class).
    static func applyPodDefaults(_ pod: inout JSON, old: JSON?) {
        var spec = pod["spec"]?.objectValue.map(JSON.object) ?? .object([:])
        func setIfMissing(_ key: String, _ value: JSON) {
            if spec[key] == nil || spec[key]?.isNull == true || spec[key]?.stringValue == "" { spec[key] = value }
        }
        setIfMissing("dnsPolicy", "ClusterFirst")
        setIfMissing("restartPolicy", "Always")
        setIfMissing("securityContext", .object([:]))
        setIfMissing("terminationGracePeriodSeconds", 30)
        setIfMissing("schedulerName", "default-scheduler")
        setIfMissing("enableServiceLinks", true)
        let hostNetwork = spec["hostNetwork"]?.boolValue == true
        for key in ["containers", "initContainers"] {
            guard var list = spec[key]?.arrayValue else { continue }
            for i in list.indices { applyContainerDefaults(&list[i], hostNetwork: hostNetwork) }
            spec[key] = .array(list)
        }
        if var volumes = spec["volumes"]?.arrayValue {
            for i in volumes.indices {
                for source in ["secret", "configMap", "downwardAPI", "projected"] {
                    if var v = volumes[i][source], case .object = v, v["defaultMode"] == nil {
                        v["defaultMode"] = 420
                        volumes[i][source] = v
                    }
                }
            }
            spec["volumes"] = .array(volumes)
        }
        pod["spec"] = spec
        if old == nil {
            var status = pod["status"]?.objectValue.map(JSON.object) ?? .object([:])
            status["phase"] = "Pending"
            status["qosClass"] = .string(qosClass(spec))
            pod["status"] = status
        }
    }

    static func applyContainerDefaults(_ c: inout JSON, hostNetwork: Bool) {
        guard case .object = c else { return }
        if c.validationString("imagePullPolicy").isEmpty {
            c["imagePullPolicy"] = .string(
                imageTag(c.validationString("image")) == "latest" ? "Always" : "IfNotPresent")
        }
        if c.validationString("terminationMessagePath").isEmpty { c["terminationMessagePath"] = "/dev/termination-log" }
        if c.validationString("terminationMessagePolicy").isEmpty { c["terminationMessagePolicy"] = "File" }
        if c["resources"] == nil { c["resources"] = .object([:]) }
        if var ports = c["ports"]?.arrayValue {
            for i in ports.indices {
                guard case .object = ports[i] else { continue }
                if ports[i].validationString("protocol").isEmpty { ports[i]["protocol"] = "TCP" }
                if hostNetwork && ports[i].validationInt("hostPort") == 0 {
                    ports[i]["hostPort"] = ports[i]["containerPort"]
                }
            }
            c["ports"] = .array(ports)
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            guard var p = c[probe], case .object = p else { continue }
            for (key, value) in [
                ("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3),
            ]
            where (p[key]?.intValue ?? 0) == 0 {
                p[key] = .int(Int64(value))
            }
            if var get = p["httpGet"], case .object = get {
                if get.validationString("path").isEmpty { get["path"] = "/" }
                if get.validationString("scheme").isEmpty { get["scheme"] = "HTTP" }
                p["httpGet"] = get
            }
            c[probe] = p
        }
    }

    /// The tag `ParseImageName` reports: "latest" when neither tag nor digest is given.
    static func imageTag(_ image: String) -> String {
        var name = Substring(image)
        var hasDigest = false
        if let at = name.firstIndex(of: "@") {
            name = name[..<at]
            hasDigest = true
        }
        let lastSlash = name.lastIndex(of: "/")
        let tail = lastSlash.map { name[name.index(after: $0)...] } ?? name
        if let colon = tail.lastIndex(of: ":") { return String(tail[tail.index(after: colon)...]) }
        return hasDigest ? "" : "latest"
    }

    /// `qos.GetPodQOS` for cpu and memory: BestEffort without requests/limits, Guaranteed when every
    /// container limits both and requests equal limits, Burstable otherwise.
    static func qosClass(_ spec: JSON) -> String {
        let containers = spec.validationArray("containers") + spec.validationArray("initContainers")
        var any = false
        var guaranteed = true
        for c in containers {
            let requests = c.at("resources", "requests")?.objectValue ?? [:]
            let limits = c.at("resources", "limits")?.objectValue ?? [:]
            let relevant = ["cpu", "memory"]
            if relevant.contains(where: { requests[$0] != nil || limits[$0] != nil }) { any = true }
            for r in relevant {
                guard let limit = limits[r] else {
                    guaranteed = false
                    continue
                }
                if let request = requests[r], request != limit { guaranteed = false }
            }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    // MARK: Event

    /// core/v1 Events: upstream applies only its legacy checks to v1 requests (object metadata is not
    /// validated for them).
    static func validateEvent(_ event: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        let namespace = event.validationString("metadata", "namespace")
        let involvedNamespace = event.validationString("involvedObject", "namespace")
        let eventTime = event["eventTime"].flatMap { $0.isNull ? nil : $0.stringValue }
        if eventTime == nil || eventTime == "" {
            if involvedNamespace.isEmpty {
                if !namespace.isEmpty && namespace != "default" {
                    errs.append(
                        .invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"))
                }
            } else if namespace != involvedNamespace {
                errs.append(.invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"))
            }
        } else {
            if involvedNamespace.isEmpty && namespace != "default" && namespace != "kube-system" {
                errs.append(.invalid("involvedObject.namespace", involvedNamespace, "does not match event.namespace"))
            }
            let controller = event.validationString("reportingComponent")
            if controller.isEmpty { errs.append(.required("reportingComponent")) }
            errs += validateQualifiedName("reportingComponent", controller)
            let instance = event.validationString("reportingInstance")
            if instance.isEmpty { errs.append(.required("reportingInstance")) }
            if instance.utf8.count > 128 {
                errs.append(.invalid("reportingInstance", "", "can have at most 128 characters"))
            }
            let action = event.validationString("action")
            if action.isEmpty { errs.append(.required("action")) }
            if action.utf8.count > 128 { errs.append(.invalid("action", "", "can have at most 128 characters")) }
            let reason = event.validationString("reason")
            if reason.isEmpty { errs.append(.required("reason")) }
            if reason.utf8.count > 128 { errs.append(.invalid("reason", "", "can have at most 128 characters")) }
            if event.validationString("message").utf8.count > 1024 {
                errs.append(.invalid("message", "", "can have at most 1024 characters"))
            }
        }
        errs += validateDNS1123Subdomain("namespace", namespace)
        return errs
    }
}
