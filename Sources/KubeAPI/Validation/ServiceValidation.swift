import Foundation

/// The Service fields validation and defaulting look at, read from JSON once.
struct ServiceView {
    var type: String
    var clusterIP: String
    var clusterIPs: [String]?
    var ipFamilies: [String]
    var ipFamilyPolicy: String?
    var ports: [JSON]
    var selector: [(key: String, value: String)]?
    var externalIPs: [String]
    var externalTrafficPolicy: String
    var internalTrafficPolicy: String?
    var healthCheckNodePort: Int64
    var allocateLoadBalancerNodePorts: Bool?
    var loadBalancerClass: String?

    init(_ svc: JSON) {
        let spec = svc["spec"] ?? .object([:])
        type = spec.validationString("type")
        clusterIP = spec.validationString("clusterIP")
        clusterIPs = spec.validationStringArray("clusterIPs")
        ipFamilies = spec.validationStringArray("ipFamilies") ?? []
        ipFamilyPolicy = spec["ipFamilyPolicy"]?.stringValue
        ports = spec.validationArray("ports")
        selector = spec["selector"]?.objectValue == nil ? nil : spec.validationStringMap("selector")
        externalIPs = spec.validationStringArray("externalIPs") ?? []
        externalTrafficPolicy = spec.validationString("externalTrafficPolicy")
        internalTrafficPolicy = spec["internalTrafficPolicy"]?.stringValue
        healthCheckNodePort = spec["healthCheckNodePort"]?.intValue ?? 0
        allocateLoadBalancerNodePorts = spec["allocateLoadBalancerNodePorts"]?.boolValue
        loadBalancerClass = spec["loadBalancerClass"]?.stringValue
    }

    /// `len(clusterIPs) == 1 && clusterIPs[0] == "None"`, upstream's definition.
    var isHeadless: Bool { clusterIPs?.count == 1 && clusterIPs?.first == "None" }
    /// `apiservice.ExternallyAccessible`.
    var externallyAccessible: Bool {
        type == "LoadBalancer" || type == "NodePort" || (type == "ClusterIP" && !externalIPs.isEmpty)
    }
    /// `apiservice.NeedsHealthCheck`.
    var needsHealthCheck: Bool { type == "LoadBalancer" && externalTrafficPolicy == "Local" }
    var clusterIPsCount: Int { clusterIPs?.count ?? 0 }
}

extension JSON {
    /// A service port's number field (`port`, `nodePort`), 0 when absent.
    func validationInt(_ key: String) -> Int64 { self[key]?.intValue ?? 0 }
}

extension Validation {
    static let serviceTypes = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    static let sessionAffinities = ["ClientIP", "None"]
    static let portProtocols = ["SCTP", "TCP", "UDP"]
    static let ipFamilyNames = ["IPv4", "IPv6"]
    static let ipFamilyPolicies = ["PreferDualStack", "RequireDualStack", "SingleStack"]
    static let trafficPolicies = ["Cluster", "Local"]
    static let maxClientIPAffinitySeconds: Int64 = 86400
    static let kubeletPort: Int64 = 10250

    /// `validation.IsValidIP` with its field error.
    static func validateIP(_ path: String, _ value: String) -> [FieldError] {
        ParsedIP(value) == nil
            ? [.invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")] : []
    }

    static func validateCIDR(_ path: String, _ value: String) -> [FieldError] {
        ParsedCIDR(value) == nil
            ? [.invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")] : []
    }

    /// `ValidateNonSpecialIP`. Ferry deliberately lets endpoints point at loopback (`allowLoopback`),
    /// so local test servers can back a Service; upstream forbids it.
    static func validateNonSpecialIP(_ path: String, _ value: String, allowLoopback: Bool = false) -> [FieldError] {
        guard let ip = ParsedIP(value) else { return [.invalid(path, value, "must be a valid IP address")] }
        var errs: [FieldError] = []
        if ip.isUnspecified { errs.append(.invalid(path, value, "may not be unspecified (\(value))")) }
        if ip.isLoopback && !allowLoopback {
            errs.append(.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
        }
        if ip.isLinkLocalUnicast {
            errs.append(.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
        }
        if ip.isLinkLocalMulticast {
            errs.append(.invalid(path, value, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
        }
        return errs
    }

    /// `ValidatePortNumOrName` for an int-or-string port.
    static func validatePortNumOrName(_ path: String, _ port: JSON?) -> [FieldError] {
        switch port {
        case .string(let s):
            return NameValidation.portName(s).map { .invalid(path, s, $0) }
        default:
            let n = port?.intValue ?? 0
            return NameValidation.portNumber(n).map { .invalid(path, n, $0) }
        }
    }

    static func validateQualifiedName(_ path: String, _ value: String) -> [FieldError] {
        NameValidation.qualifiedName(value).map { .invalid(path, value, $0) }
    }

    static func validateDNS1123Label(_ path: String, _ value: String) -> [FieldError] {
        NameValidation.dns1123Label(value).map { .invalid(path, value, $0) }
    }

    static func validateDNS1123Subdomain(_ path: String, _ value: String) -> [FieldError] {
        NameValidation.dns1123Subdomain(value).map { .invalid(path, value, $0) }
    }

    /// How Go's `%#v` prints the internal `core.ServicePort` key used for duplicate port detection.
    static func renderServicePortKey(port: Int64, protocol proto: String) -> String {
        "core.ServicePort{Name:\"\", Protocol:\(ValidationGo.quote(proto)), AppProtocol:(*string)(nil), Port:\(port), "
            + "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"
    }

    /// A `*string` field as Go prints it: the quoted value, or `null` when unset.
    static func renderOptional(_ s: String?) -> String { s.map(ValidationGo.quote) ?? "null" }

    // MARK: ValidateService / ValidateServiceUpdate

    static func validateService(_ svc: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        if let old {
            let s = ServiceView(svc)
            let o = ServiceView(old)
            errs += validateObjectMetaUpdate(svc, old: old)
            errs += validateUpgradeDowngradeClusterIPs(old: o, new: s)
            errs += validateUpgradeDowngradeIPFamilies(old: o, new: s)
            errs += validateLoadBalancerClass(old: o, new: s)
            if o.needsHealthCheck && s.needsHealthCheck && o.healthCheckNodePort != s.healthCheckNodePort {
                errs.append(.forbidden("spec.healthCheckNodePort", "field is immutable"))
            }
        }
        return errs + validateServiceObject(svc)
    }

    /// Upstream's `ValidateService` (the create rules, also re-run on every update).
    static func validateServiceObject(_ svc: JSON) -> [FieldError] {
        let s = ServiceView(svc)
        let spec = svc["spec"] ?? .object([:])
        var errs = validateObjectMeta(svc, requiresNamespace: true, nameCheck: nameIsDNS1035Label)

        let annotations = Dictionary(
            svc.validationStringMap("metadata", "annotations").map { ($0.key, $0.value) },
            uniquingKeysWith: { a, _ in a })
        let hintsKey = "service.kubernetes.io/topology-aware-hints"
        let modeKey = "service.kubernetes.io/topology-mode"
        if let mode = annotations[modeKey], let hints = annotations[hintsKey], mode != hints {
            errs.append(
                .invalid(
                    "metadata.annotations[\(modeKey)]", mode,
                    "must match annotations[\(hintsKey)] when both are specified"))
        }

        if s.ports.isEmpty && !s.isHeadless && s.type != "ExternalName" {
            errs.append(.required("spec.ports"))
        }
        switch s.type {
        case "LoadBalancer":
            for (i, p) in s.ports.enumerated() where p.validationInt("port") == kubeletPort {
                errs.append(
                    .invalid(
                        "spec.ports[\(i)]", kubeletPort,
                        "may not expose port \(kubeletPort) externally since it is used by kubelet"))
            }
            if s.isHeadless {
                errs.append(
                    .invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services"))
            }
        case "NodePort":
            if s.isHeadless {
                errs.append(.invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services"))
            }
        case "ExternalName":
            if s.clusterIPsCount > 0 {
                errs.append(.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
            }
            if !s.ipFamilies.isEmpty {
                errs.append(.forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
            }
            if s.ipFamilyPolicy != nil {
                errs.append(.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
            }
            var cname = spec.validationString("externalName")
            if cname.hasSuffix(".") { cname.removeLast() }
            if cname.isEmpty {
                errs.append(.required("spec.externalName"))
            } else {
                errs += validateDNS1123Subdomain("spec.externalName", cname)
            }
        default:
            break
        }

        var portNames = Set<String>()
        for (i, p) in s.ports.enumerated() {
            errs += validateServicePort(
                p, requireName: s.ports.count > 1, names: &portNames, path: "spec.ports[\(i)]")
        }

        if let selector = s.selector { errs += validateLabels(selector, "spec.selector") }

        let affinity = spec.validationString("sessionAffinity")
        if affinity.isEmpty {
            errs.append(.required("spec.sessionAffinity"))
        } else if !sessionAffinities.contains(affinity) {
            errs.append(.notSupported("spec.sessionAffinity", affinity, sessionAffinities))
        }
        let affinityConfig = spec["sessionAffinityConfig"]
        if affinity == "ClientIP" {
            errs += validateClientIPAffinityConfig(affinityConfig)
        } else if affinity == "None", let affinityConfig, !affinityConfig.isNull {
            errs.append(.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
        }

        errs += validateClusterIPsRelatedFields(s)

        for (i, ip) in s.externalIPs.enumerated() {
            let path = "spec.externalIPs[\(i)]"
            let ipErrs = validateIP(path, ip)
            errs += ipErrs.isEmpty ? validateNonSpecialIP(path, ip) : ipErrs
        }

        if s.type.isEmpty {
            errs.append(.required("spec.type"))
        } else if !serviceTypes.contains(s.type) {
            errs.append(.notSupported("spec.type", s.type, serviceTypes))
        }

        if s.type == "ClusterIP" {
            for (i, p) in s.ports.enumerated() where p.validationInt("nodePort") != 0 {
                errs.append(.forbidden("spec.ports[\(i)].nodePort", "may not be used when `type` is 'ClusterIP'"))
            }
        }

        var nodePorts = Set<String>()
        for (i, p) in s.ports.enumerated() {
            let np = p.validationInt("nodePort")
            if np == 0 { continue }
            let key = "\(p.validationString("protocol"))/\(np)"
            if !nodePorts.insert(key).inserted {
                errs.append(.duplicate("spec.ports[\(i)].nodePort", rendered: String(np)))
            }
        }

        var portKeys = Set<String>()
        for (i, p) in s.ports.enumerated() {
            let proto = p.validationString("protocol")
            let port = p.validationInt("port")
            if !portKeys.insert("\(proto)/\(port)").inserted {
                errs.append(
                    .duplicate("spec.ports[\(i)]", rendered: renderServicePortKey(port: port, protocol: proto)))
            }
        }

        let sourceRanges = spec.validationStringArray("loadBalancerSourceRanges") ?? []
        let rangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"
        if !sourceRanges.isEmpty {
            // Upstream spells this path with a capital L.
            let path = "spec.LoadBalancerSourceRanges"
            if s.type != "LoadBalancer" {
                errs.append(.forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
            }
            for (i, r) in sourceRanges.enumerated() {
                errs += validateCIDR("\(path)[\(i)]", r.trimmingCharacters(in: .whitespaces))
            }
        } else if let value = annotations[rangesAnnotation] {
            let path = "metadata.annotations[\(rangesAnnotation)]"
            if s.type != "LoadBalancer" {
                errs.append(.forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
            }
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty {
                for r in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
                    errs += validateCIDR(path, r.trimmingCharacters(in: .whitespaces))
                }
            }
        }

        if s.allocateLoadBalancerNodePorts != nil && s.type != "LoadBalancer" {
            errs.append(
                .forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
        }
        if s.type == "LoadBalancer" && s.allocateLoadBalancerNodePorts == nil {
            // Upstream omits the `spec.` prefix here.
            errs.append(.required("allocateLoadBalancerNodePorts"))
        }

        errs += validateLoadBalancerClass(old: nil, new: s)
        errs += validateExternalTrafficPolicy(s)

        if s.internalTrafficPolicy == nil {
            if ["NodePort", "LoadBalancer", "ClusterIP"].contains(s.type) {
                errs.append(.required("spec.internalTrafficPolicy"))
            }
        } else if let itp = s.internalTrafficPolicy, !trafficPolicies.contains(itp) {
            errs.append(.notSupported("spec.internalTrafficPolicy", itp, trafficPolicies))
        }

        if let td = spec["trafficDistribution"]?.stringValue, td != "PreferClose" {
            errs.append(.notSupported("spec.trafficDistribution", td, ["PreferClose"]))
        }
        return errs
    }

    static func validateServicePort(_ p: JSON, requireName: Bool, names: inout Set<String>, path: String)
        -> [FieldError]
    {
        var errs: [FieldError] = []
        let name = p.validationString("name")
        if requireName && name.isEmpty {
            errs.append(.required(path + ".name"))
        } else if !name.isEmpty {
            errs += validateDNS1123Label(path + ".name", name)
            if !names.insert(name).inserted {
                errs.append(.duplicate(path + ".name", rendered: ValidationGo.quote(name)))
            }
        }
        let port = p.validationInt("port")
        errs += NameValidation.portNumber(port).map { .invalid(path + ".port", port, $0) }
        let proto = p.validationString("protocol")
        if proto.isEmpty {
            errs.append(.required(path + ".protocol"))
        } else if !portProtocols.contains(proto) {
            errs.append(.notSupported(path + ".protocol", proto, portProtocols))
        }
        errs += validatePortNumOrName(path + ".targetPort", p["targetPort"])
        if let app = p["appProtocol"]?.stringValue {
            errs += validateQualifiedName(path + ".appProtocol", app)
        }
        return errs
    }

    static func validateClientIPAffinityConfig(_ config: JSON?) -> [FieldError] {
        let path = "spec.sessionAffinityConfig"
        let detail = "when session affinity type is ClientIP"
        guard let config, !config.isNull else { return [.required(path, detail)] }
        guard let clientIP = config["clientIP"], !clientIP.isNull else {
            return [.required(path + ".clientIP", detail)]
        }
        guard let timeout = clientIP["timeoutSeconds"]?.intValue else {
            return [.required(path + ".clientIP.timeoutSeconds", detail)]
        }
        if timeout <= 0 || timeout > maxClientIPAffinitySeconds {
            return [
                .invalid(
                    path + ".clientIP.timeoutSeconds", timeout,
                    "must be greater than 0 and less than \(maxClientIPAffinitySeconds)")
            ]
        }
        return []
    }

    /// `ValidateServiceClusterIPsRelatedFields`.
    static func validateClusterIPsRelatedFields(_ s: ServiceView) -> [FieldError] {
        if s.type == "ExternalName" { return [] }
        var errs: [FieldError] = []
        let ips = s.clusterIPs ?? []
        let rendered = ValidationGo.slice(s.clusterIPs)
        if !s.clusterIP.isEmpty {
            if ips.isEmpty {
                errs.append(.required("spec.clusterIPs"))
            } else if ips[0] != s.clusterIP {
                errs.append(.invalid("spec.clusterIPs", rendered: rendered, "first value must match `clusterIP`"))
            }
        } else if !ips.isEmpty {
            errs.append(
                .invalid("spec.clusterIPs", rendered: rendered, "must be empty when `clusterIP` is not specified"))
        }
        var seen = Set<String>()
        for (i, fam) in s.ipFamilies.enumerated() {
            if !ipFamilyNames.contains(fam) {
                errs.append(.notSupported("spec.ipFamilies[\(i)]", fam, ipFamilyNames))
            }
            if !seen.insert(fam).inserted {
                errs.append(.duplicate("spec.ipFamilies[\(i)]", rendered: ValidationGo.quote(fam)))
            }
        }
        if let policy = s.ipFamilyPolicy, !ipFamilyPolicies.contains(policy) {
            errs.append(.notSupported("spec.ipFamilyPolicy", policy, ipFamilyPolicies))
        }
        var hasInvalid = false
        for (i, ip) in ips.enumerated() {
            if i == 0 && ip == "None" {
                if ips.count > 1 {
                    hasInvalid = true
                    errs.append(
                        .invalid("spec.clusterIPs", rendered: rendered, "'None' must be the first and only value"))
                }
                continue
            }
            let e = validateIP("spec.clusterIPs[\(i)]", ip)
            if !e.isEmpty { hasInvalid = true }
            errs += e
        }
        if ips.count > 2 {
            errs.append(.invalid("spec.clusterIPs", rendered: rendered, "may only hold up to 2 values"))
        }
        if hasInvalid { return errs }
        if ips.count > 1 {
            let families = ips.compactMap { ParsedIP($0)?.family }
            if !(families.count == 2 && families[0] != families[1]) {
                errs.append(
                    .invalid(
                        "spec.clusterIPs", rendered: rendered, "may specify no more than one IP for each IP family"))
            }
        }
        if !s.isHeadless && !ips.isEmpty && !s.ipFamilies.isEmpty {
            for (i, ip) in ips.enumerated() where i < s.ipFamilies.count {
                let isV6 = ParsedIP(ip).map { !$0.isIPv4 } ?? false
                if s.ipFamilies[i] == "IPv4" && isV6 {
                    errs.append(
                        .invalid(
                            "spec.clusterIPs[\(i)]", ip, "expected an IPv4 value as indicated by `ipFamilies[\(i)]`"))
                }
                if s.ipFamilies[i] == "IPv6" && !isV6 {
                    errs.append(
                        .invalid(
                            "spec.clusterIPs[\(i)]", ip, "expected an IPv6 value as indicated by `ipFamilies[\(i)]`"))
                }
            }
        }
        return errs
    }

    static func validateUpgradeDowngradeClusterIPs(old: ServiceView, new: ServiceView) -> [FieldError] {
        if new.type == "ExternalName" || old.type == "ExternalName" { return [] }
        if old.isHeadless && new.isHeadless { return [] }
        var errs: [FieldError] = []
        let oldIPs = old.clusterIPs ?? []
        let newIPs = new.clusterIPs ?? []
        let rendered = ValidationGo.slice(new.clusterIPs)
        if oldIPs.count == newIPs.count {
            for (i, ip) in oldIPs.enumerated() where ip != newIPs[i] {
                errs.append(.invalid("spec.clusterIPs[\(i)]", rendered: rendered, "may not change once set"))
            }
        } else if oldIPs.count > newIPs.count {
            if newIPs.isEmpty {
                errs.append(.invalid("spec.clusterIPs[0]", rendered: rendered, "primary clusterIP can not be unset"))
            }
            if !oldIPs.isEmpty && !newIPs.isEmpty && newIPs[0] != oldIPs[0] {
                errs.append(.invalid("spec.clusterIPs[0]", rendered: rendered, "may not change once set"))
            }
            if newIPs.count == 1 && new.ipFamilyPolicy != "SingleStack" {
                errs.append(
                    .invalid(
                        "spec.ipFamilyPolicy", rendered: renderOptional(new.ipFamilyPolicy),
                        "must be set to 'SingleStack' when releasing the secondary clusterIP"))
            }
        } else if !oldIPs.isEmpty && newIPs[0] != oldIPs[0] {
            errs.append(.invalid("spec.clusterIPs[0]", rendered: rendered, "may not change once set"))
        }
        return errs
    }

    static func validateUpgradeDowngradeIPFamilies(old: ServiceView, new: ServiceView) -> [FieldError] {
        if new.type == "ExternalName" || old.type == "ExternalName" { return [] }
        if old.isHeadless != new.isHeadless || new.isHeadless { return [] }
        var errs: [FieldError] = []
        let renderedFamilies = ValidationGo.slice(new.ipFamilies, type: "core.IPFamily")
        // Upstream reports some of these with the clusterIPs as the value; kept for identical output.
        let renderedIPs = ValidationGo.slice(new.clusterIPs)
        if old.ipFamilies.count == new.ipFamilies.count {
            for (i, fam) in old.ipFamilies.enumerated() where fam != new.ipFamilies[i] {
                errs.append(.invalid("spec.ipFamilies[0]", rendered: renderedFamilies, "may not change once set"))
            }
        } else if old.ipFamilies.count > new.ipFamilies.count {
            if new.clusterIPsCount == 0 {
                errs.append(
                    .invalid("spec.ipFamilies[0]", rendered: renderedFamilies, "primary ipFamily can not be unset"))
            }
            if !new.ipFamilies.isEmpty && new.ipFamilies[0] != old.ipFamilies[0] {
                errs.append(.invalid("spec.ipFamilies[0]", rendered: renderedIPs, "may not change once set"))
            }
            if new.ipFamilies.count == 1 && new.ipFamilyPolicy != "SingleStack" {
                errs.append(
                    .invalid(
                        "spec.ipFamilyPolicy", rendered: renderOptional(new.ipFamilyPolicy),
                        "must be set to 'SingleStack' when releasing the secondary ipFamily"))
            }
        } else if !old.ipFamilies.isEmpty && !new.ipFamilies.isEmpty && new.ipFamilies[0] != old.ipFamilies[0] {
            errs.append(.invalid("spec.ipFamilies[0]", rendered: renderedIPs, "may not change once set"))
        }
        return errs
    }

    static func validateLoadBalancerClass(old: ServiceView?, new: ServiceView) -> [FieldError] {
        var errs: [FieldError] = []
        if let old, old.type == "LoadBalancer", new.type == "LoadBalancer",
            old.loadBalancerClass != new.loadBalancerClass
        {
            errs.append(
                .invalid(
                    "spec.loadBalancerClass", rendered: renderOptional(new.loadBalancerClass), "may not change once set"
                ))
        }
        if new.type == "LoadBalancer" {
            if let cls = new.loadBalancerClass { errs += validateQualifiedName("spec.loadBalancerClass", cls) }
        } else if new.loadBalancerClass != nil {
            errs.append(.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))
        }
        return errs
    }

    static func validateExternalTrafficPolicy(_ s: ServiceView) -> [FieldError] {
        var errs: [FieldError] = []
        if !s.externallyAccessible {
            if !s.externalTrafficPolicy.isEmpty {
                errs.append(
                    .invalid(
                        "spec.externalTrafficPolicy", s.externalTrafficPolicy,
                        "may only be set for externally-accessible services"))
            }
        } else if s.externalTrafficPolicy.isEmpty {
            errs.append(.required("spec.externalTrafficPolicy"))
        } else if !trafficPolicies.contains(s.externalTrafficPolicy) {
            errs.append(.notSupported("spec.externalTrafficPolicy", s.externalTrafficPolicy, trafficPolicies))
        }
        if !s.needsHealthCheck {
            if s.healthCheckNodePort != 0 {
                errs.append(
                    .invalid(
                        "spec.healthCheckNodePort", s.healthCheckNodePort,
                        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
            }
        } else if s.healthCheckNodePort == 0 {
            errs.append(.required("spec.healthCheckNodePort"))
        } else {
            errs += NameValidation.portNumber(s.healthCheckNodePort).map {
                .invalid("spec.healthCheckNodePort", s.healthCheckNodePort, $0)
            }
        }
        return errs
    }
}
