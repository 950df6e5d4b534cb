import Foundation

extension Validation {
    /// Applies kube-apiserver's defaults on create (`old == nil`) or update, in the order it applies them:
    /// the versioned defaulters, then (Services) the registry's carry-over of allocated values from `old`,
    /// clusterIP/clusterIPs normalisation, type-change cleanup and IP-family inference. `primaryIPFamily`
    /// (`IPv4` or `IPv6`) is the cluster's first service CIDR family. Allocation itself is left to the caller.
    public static func applyDefaults(_ object: inout JSON, resource: ResourceType, old: JSON?, primaryIPFamily: String)
    {
        switch resource {
        case .service: applyServiceDefaults(&object, old: old, primaryIPFamily: primaryIPFamily)
        case .pod: applyPodDefaults(&object, old: old)
        case .secret: applySecretDefaults(&object)
        case .namespace: applyNamespaceDefaults(&object, old: old)
        case .endpointSlice: applyEndpointSliceDefaults(&object)
        case .endpoints: applyEndpointsDefaults(&object)
        default: break
        }
    }

    /// The other family, for dual-stack inference.
    static func alternateFamily(_ family: String) -> String { family == "IPv6" ? "IPv4" : "IPv6" }

    static func applyServiceDefaults(_ svc: inout JSON, old: JSON?, primaryIPFamily: String) {
        var spec = svc["spec"]?.objectValue.map(JSON.object) ?? .object([:])
        func isUnset(_ key: String) -> Bool { spec[key] == nil || spec[key]?.isNull == true }
        func nonEmpty(_ key: String) -> String? {
            guard let s = spec[key]?.stringValue, !s.isEmpty else { return nil }
            return s
        }

        // SetDefaults_Service (pkg/apis/core/v1/defaults.go).
        if nonEmpty("sessionAffinity") == nil { spec["sessionAffinity"] = "None" }
        if spec["sessionAffinity"]?.stringValue == "None" { spec["sessionAffinityConfig"] = nil }
        if spec["sessionAffinity"]?.stringValue == "ClientIP" {
            if spec.at("sessionAffinityConfig", "clientIP", "timeoutSeconds").map({ $0.isNull }) ?? true {
                spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": 10800]]
            }
        }
        if nonEmpty("type") == nil { spec["type"] = "ClusterIP" }
        if var ports = spec["ports"]?.arrayValue {
            for i in ports.indices {
                guard case .object = ports[i] else { continue }
                if (ports[i]["protocol"]?.stringValue ?? "").isEmpty { ports[i]["protocol"] = "TCP" }
                let target = ports[i]["targetPort"]
                let unsetTarget: Bool
                switch target {
                case .none, .some(.null): unsetTarget = true
                case .some(.string(let s)): unsetTarget = s.isEmpty
                case .some(let v): unsetTarget = v.intValue == 0
                }
                if unsetTarget { ports[i]["targetPort"] = .int(ports[i]["port"]?.intValue ?? 0) }
            }
            spec["ports"] = .array(ports)
        }
        var view = ServiceView(.object(["spec": spec]))
        if view.externallyAccessible && view.externalTrafficPolicy.isEmpty { spec["externalTrafficPolicy"] = "Cluster" }
        if isUnset("internalTrafficPolicy") && ["NodePort", "LoadBalancer", "ClusterIP"].contains(view.type) {
            spec["internalTrafficPolicy"] = "Cluster"
        }
        if view.type == "LoadBalancer" && isUnset("allocateLoadBalancerNodePorts") {
            spec["allocateLoadBalancerNodePorts"] = true
        }

        if let old {
            let oldSpec = old["spec"] ?? .object([:])
            let o = ServiceView(old)
            view = ServiceView(.object(["spec": spec]))
            patchAllocatedValues(&spec, new: view, old: o, oldSpec: oldSpec)
            normalizeClusterIPs(&spec, old: o)
            dropTypeDependentFields(&spec, old: o)
        } else {
            normalizeClusterIPs(&spec, old: nil)
        }
        initIPFamilyFields(&spec, old: old.map(ServiceView.init), primaryIPFamily: primaryIPFamily)

        svc["spec"] = spec
        if svc.at("status", "loadBalancer") == nil { svc.set(["status", "loadBalancer"], .object([:])) }
    }

    /// storage.go `patchAllocatedValues`: an update that omits allocated values keeps the old ones, so a
    /// re-applied manifest without clusterIP/nodePort succeeds. NodePorts are matched by port *name*, as
    /// upstream does.
    static func patchAllocatedValues(_ spec: inout JSON, new: ServiceView, old: ServiceView, oldSpec: JSON) {
        if old.type != "ExternalName" && new.type != "ExternalName" {
            if new.clusterIP.isEmpty, !old.clusterIP.isEmpty { spec["clusterIP"] = .string(old.clusterIP) }
            if new.clusterIPsCount == 0, let oldIPs = old.clusterIPs, !oldIPs.isEmpty {
                spec["clusterIPs"] = .array(oldIPs.map(JSON.string))
            }
        }
        let needsNodePort: (ServiceView) -> Bool = { $0.type == "NodePort" || $0.type == "LoadBalancer" }
        if needsNodePort(old) && needsNodePort(new), var ports = spec["ports"]?.arrayValue {
            let oldUsed = Set(old.ports.map { $0.validationInt("nodePort") }.filter { $0 != 0 })
            let newUsed = Set(new.ports.map { $0.validationInt("nodePort") }.filter { $0 != 0 })
            let used = oldUsed.intersection(newUsed)
            var byName: [String: Int64] = [:]
            for p in old.ports { byName[p.validationString("name")] = p.validationInt("nodePort") }
            for i in ports.indices where ports[i].validationInt("nodePort") == 0 {
                let oldValue = byName[ports[i].validationString("name")] ?? 0
                // Go's zero value is "used" only if some port has it; 0 is never in `used`.
                if !used.contains(oldValue) && oldValue != 0 { ports[i]["nodePort"] = .int(oldValue) }
            }
            spec["ports"] = .array(ports)
        }
        if old.needsHealthCheck && new.needsHealthCheck && new.healthCheckNodePort == 0 && old.healthCheckNodePort != 0
        {
            spec["healthCheckNodePort"] = .int(old.healthCheckNodePort)
        }
    }

    /// storage.go `normalizeClusterIPs`: keeps `clusterIP` and `clusterIPs[0]` in step for clients that only
    /// send the singular field.
    static func normalizeClusterIPs(_ spec: inout JSON, old: ServiceView?) {
        var new = ServiceView(.object(["spec": spec]))
        guard let old else {
            if !new.clusterIP.isEmpty && new.clusterIPsCount == 0 { spec["clusterIPs"] = [.string(new.clusterIP)] }
            return
        }
        if old.clusterIPsCount > 0 && new.clusterIPsCount == 0 && old.clusterIP == new.clusterIP {
            spec["clusterIPs"] = .array((old.clusterIPs ?? []).map(JSON.string))
            new = ServiceView(.object(["spec": spec]))
        }
        if old.clusterIP != new.clusterIP {
            let samePlural = (old.clusterIPs ?? []) == (new.clusterIPs ?? [])
            if !old.clusterIP.isEmpty && new.clusterIP.isEmpty {
                if samePlural { spec["clusterIPs"] = nil }
            } else if samePlural {
                spec["clusterIPs"] = [.string(new.clusterIP)]
            }
        }
    }

    /// strategy.go `dropTypeDependentFields`: on a type change, values the server allocated and the user did
    /// not touch are wiped (they are released by the allocator).
    static func dropTypeDependentFields(_ spec: inout JSON, old: ServiceView) {
        let new = ServiceView(.object(["spec": spec]))
        if old.type != "ExternalName" && new.type == "ExternalName" {
            if old.clusterIP == new.clusterIP && (old.clusterIPs ?? []) == (new.clusterIPs ?? []) {
                spec["clusterIP"] = nil
                spec["clusterIPs"] = nil
            }
            if old.ipFamilies == new.ipFamilies { spec["ipFamilies"] = nil }
            if old.ipFamilyPolicy ?? "" == new.ipFamilyPolicy ?? "" { spec["ipFamilyPolicy"] = nil }
        }
        let needsNodePort: (ServiceView) -> Bool = { $0.type == "NodePort" || $0.type == "LoadBalancer" }
        if needsNodePort(old) && !needsNodePort(new) {
            let oldPorts = Set(old.ports.map { $0.validationInt("nodePort") }.filter { $0 != 0 })
            let newPorts = Set(new.ports.map { $0.validationInt("nodePort") }.filter { $0 != 0 })
            if newPorts.isSubset(of: oldPorts), var ports = spec["ports"]?.arrayValue {
                for i in ports.indices where ports[i]["nodePort"] != nil { ports[i]["nodePort"] = nil }
                spec["ports"] = .array(ports)
            }
        }
        if old.needsHealthCheck && !new.needsHealthCheck && old.healthCheckNodePort == new.healthCheckNodePort {
            spec["healthCheckNodePort"] = nil
        }
    }

    /// alloc.go `initIPFamilyFields`, minus the checks that need to know which families the cluster serves
    /// (see `serviceIPFamilyErrors`): policy defaults (old policy, RequireDualStack for headless without
    /// selector, else SingleStack), single-stack trimming, families inferred from clusterIPs, then defaults.
    static func initIPFamilyFields(_ spec: inout JSON, old: ServiceView?, primaryIPFamily: String) {
        var s = ServiceView(.object(["spec": spec]))
        if s.type == "ExternalName" { return }
        if let old, old.ipFamilyPolicy == "PreferDualStack",
            s.ipFamilyPolicy == nil || s.ipFamilyPolicy == "PreferDualStack",
            (old.clusterIPs ?? []) == (s.clusterIPs ?? []), old.ipFamilies == s.ipFamilies
        {
            // isMatchingPreferDualStackClusterIPFields: leave PreferDualStack services alone.
            if s.ipFamilyPolicy == nil { spec["ipFamilyPolicy"] = "PreferDualStack" }
            return
        }
        if s.ipFamilyPolicy == nil {
            if let oldPolicy = old?.ipFamilyPolicy {
                spec["ipFamilyPolicy"] = .string(oldPolicy)
            } else if s.clusterIP == "None" && (s.selector ?? []).isEmpty {
                spec["ipFamilyPolicy"] = "RequireDualStack"
            } else {
                spec["ipFamilyPolicy"] = "SingleStack"
            }
            s = ServiceView(.object(["spec": spec]))
        }
        // Upstream stops here when the loose pre-validation fails; validation reports it later.
        if !validateClusterIPsRelatedFields(s).isEmpty { return }
        if let old, s.ipFamilyPolicy == "SingleStack" {
            if (old.clusterIPs ?? []) == (s.clusterIPs ?? []) && old.clusterIP == s.clusterIP, let ips = s.clusterIPs,
                ips.count > 1
            {
                spec["clusterIPs"] = [.string(ips[0])]
            }
            if old.ipFamilies == s.ipFamilies && s.ipFamilies.count > 1 {
                spec["ipFamilies"] = [.string(s.ipFamilies[0])]
            }
            s = ServiceView(.object(["spec": spec]))
        }
        var families = s.ipFamilies
        for (i, ip) in (s.clusterIPs ?? []).enumerated() {
            if ip == "None" { break }
            if i >= families.count, let parsed = ParsedIP(ip) { families.append(parsed.family) }
        }
        if s.clusterIP == "None" && (s.selector ?? []).isEmpty {
            if families.isEmpty { families = [primaryIPFamily] }
            if families.count < 2 && s.ipFamilyPolicy != "SingleStack" { families.append(alternateFamily(families[0])) }
        } else if families.isEmpty {
            families = [primaryIPFamily]
        }
        // A single-stack cluster never appends a second family for PreferDualStack/RequireDualStack here;
        // RequireDualStack is rejected by `serviceIPFamilyErrors`.
        spec["ipFamilies"] = .array(families.map(JSON.string))
    }

    /// The IP-family errors kube-apiserver raises while allocating (before validation): policy/family
    /// mismatches and families the cluster does not serve. `clusterFamilies` lists the configured service
    /// CIDR families, primary first. Call on the defaulted object; an empty result means allocation may go on.
    public static func serviceIPFamilyErrors(_ object: JSON, old: JSON?, clusterFamilies: [String]) -> [FieldError] {
        let s = ServiceView(object)
        if s.type == "ExternalName" { return [] }
        var errs: [FieldError] = []
        let policy = renderOptional(s.ipFamilyPolicy)
        if let old {
            let o = ServiceView(old)
            if s.ipFamilyPolicy != "SingleStack" {
                if o.clusterIPsCount > s.clusterIPsCount && s.clusterIPsCount > 0 {
                    errs.append(
                        .invalid(
                            "spec.ipFamilyPolicy", rendered: policy,
                            "must be 'SingleStack' to release the secondary cluster IP"))
                }
                if o.ipFamilies.count > s.ipFamilies.count && !s.ipFamilies.isEmpty {
                    errs.append(
                        .invalid(
                            "spec.ipFamilyPolicy", rendered: policy,
                            "must be 'SingleStack' to release the secondary IP family"))
                }
            }
        }
        if s.ipFamilyPolicy == "SingleStack" {
            if s.clusterIPsCount == 2 {
                errs.append(
                    .invalid(
                        "spec.ipFamilyPolicy", rendered: policy,
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
            }
            if s.ipFamilies.count == 2 {
                errs.append(
                    .invalid(
                        "spec.ipFamilyPolicy", rendered: policy,
                        "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
            }
        }
        var reportedIndexes = Set<Int>()
        for (i, ip) in (s.clusterIPs ?? []).enumerated() {
            if ip == "None" { break }
            if let fam = ParsedIP(ip)?.family, !clusterFamilies.contains(fam) {
                reportedIndexes.insert(i)
                errs.append(
                    .invalid(
                        "spec.clusterIPs[\(i)]", rendered: ValidationGo.slice(s.clusterIPs),
                        "\(fam) is not configured on this cluster"))
            }
        }
        if !errs.isEmpty { return errs }
        if s.clusterIP == "None" && (s.selector ?? []).isEmpty { return [] }
        if s.ipFamilyPolicy == "RequireDualStack" && clusterFamilies.count < 2 {
            errs.append(
                .invalid(
                    "spec.ipFamilyPolicy", rendered: policy, "this cluster is not configured for dual-stack services"))
        }
        for (i, fam) in s.ipFamilies.enumerated() where !clusterFamilies.contains(fam) && !reportedIndexes.contains(i) {
            errs.append(.invalid("spec.ipFamilies[\(i)]", fam, "not configured on this cluster"))
        }
        return errs
    }
}
