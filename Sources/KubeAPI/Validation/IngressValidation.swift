import Foundation

/// Ingress and IngressClass validation (`pkg/apis/networking/validation`, as of Kubernetes 1.32).
extension Validation {
    static let ingressPathTypes = ["Exact", "ImplementationSpecific", "Prefix"]
    static let invalidPathSequences = ["//", "/./", "/../", "%2f", "%2F"]
    static let invalidPathSuffixes = ["/..", "/."]

    struct IngressOptions {
        var allowInvalidSecretName = false
        var allowInvalidWildcardHostRule = false
    }

    static func validateIngress(_ ing: JSON, old: JSON?) -> [FieldError] {
        var opts = IngressOptions()
        var errs: [FieldError] = []
        if let old {
            errs += validateObjectMetaUpdate(ing, old: old)
            // Stored objects that predate stricter rules stay updatable.
            opts.allowInvalidSecretName = old.validationArray("spec", "tls").contains {
                !tlsSecretNameErrors($0.validationString("secretName")).isEmpty
            }
            opts.allowInvalidWildcardHostRule = old.validationArray("spec", "rules").contains {
                $0.validationString("host").contains("*")
                    && !validateIngressRuleValue($0, path: "", opts: IngressOptions()).isEmpty
            }
        }
        errs += validateObjectMeta(ing, requiresNamespace: true, nameCheck: nameIsDNSSubdomain)
        errs += validateIngressSpec(ing["spec"] ?? .object([:]), opts: opts)
        if old == nil {
            let classKey = "kubernetes.io/ingress.class"
            if let annotation = ing.at("metadata", "annotations", classKey)?.stringValue,
                let className = ing.at("spec", "ingressClassName")?.stringValue, annotation != className
            {
                // Upstream builds this path with Child(), hence the dot.
                errs.append(
                    .invalid(
                        "annotations." + classKey, annotation, "must match `ingressClassName` when both are specified"))
            }
        }
        return errs
    }

    static func tlsSecretNameErrors(_ name: String) -> [String] {
        name.isEmpty ? [] : nameIsDNSSubdomain(name, false)
    }

    static func validateIngressSpec(_ spec: JSON, opts: IngressOptions) -> [FieldError] {
        var errs: [FieldError] = []
        let rules = spec.validationArray("rules")
        let defaultBackend = spec["defaultBackend"].flatMap { $0.isNull ? nil : $0 }
        if rules.isEmpty && defaultBackend == nil {
            let rendered =
                spec["rules"]?.arrayValue == nil ? "[]networking.IngressRule(nil)" : "[]networking.IngressRule{}"
            errs.append(.invalid("spec", rendered: rendered, "either `defaultBackend` or `rules` must be specified"))
        }
        if let defaultBackend { errs += validateIngressBackend(defaultBackend, path: "spec.defaultBackend") }
        for (i, rule) in rules.enumerated() {
            let path = "spec.rules[\(i)]"
            let host = rule.validationString("host")
            var wildcard = false
            if !host.isEmpty {
                if ParsedIP(host) != nil {
                    errs.append(.invalid(path + ".host", host, "must be a DNS name, not an IP address"))
                }
                if host.contains("*") {
                    errs += NameValidation.wildcardDNS1123Subdomain(host).map { .invalid(path + ".host", host, $0) }
                    wildcard = true
                } else {
                    errs += NameValidation.dns1123Subdomain(host).map { .invalid(path + ".host", host, $0) }
                }
            }
            if !wildcard || !opts.allowInvalidWildcardHostRule {
                errs += validateIngressRuleValue(rule, path: path, opts: opts)
            }
        }
        for (t, tls) in spec.validationArray("tls").enumerated() {
            for (i, host) in (tls.validationStringArray("hosts") ?? []).enumerated() {
                let path = "spec.tls[\(t)].hosts[\(i)]"
                let msgs =
                    host.contains("*")
                    ? NameValidation.wildcardDNS1123Subdomain(host) : NameValidation.dns1123Subdomain(host)
                errs += msgs.map { .invalid(path, host, $0) }
            }
            if !opts.allowInvalidSecretName {
                let name = tls.validationString("secretName")
                errs += tlsSecretNameErrors(name).map { .invalid("spec.tls[\(t)].secretName", name, $0) }
            }
        }
        if let cls = spec["ingressClassName"]?.stringValue {
            errs += nameIsDNSSubdomain(cls, false).map { .invalid("spec.ingressClassName", cls, $0) }
        }
        return errs
    }

    static func validateIngressRuleValue(_ rule: JSON, path: String, opts: IngressOptions) -> [FieldError] {
        guard let http = rule["http"], !http.isNull else { return [] }
        var errs: [FieldError] = []
        let httpPath = ValidationPath.child(path, "http")
        let paths = http.validationArray("paths")
        if paths.isEmpty { errs.append(.required(httpPath + ".paths")) }
        for (i, p) in paths.enumerated() {
            errs += validateHTTPIngressPath(p, path: "\(httpPath).paths[\(i)]")
        }
        return errs
    }

    static func validateHTTPIngressPath(_ p: JSON, path: String) -> [FieldError] {
        guard let pathType = p["pathType"]?.stringValue else {
            return [.required(path + ".pathType", "pathType must be specified")]
        }
        var errs: [FieldError] = []
        let value = p.validationString("path")
        switch pathType {
        case "Exact", "Prefix":
            if !value.hasPrefix("/") { errs.append(.invalid(path + ".path", value, "must be an absolute path")) }
            if !value.isEmpty {
                for seq in invalidPathSequences where value.contains(seq) {
                    errs.append(.invalid(path + ".path", value, "must not contain '\(seq)'"))
                }
                for suffix in invalidPathSuffixes where value.hasSuffix(suffix) {
                    errs.append(.invalid(path + ".path", value, "cannot end with '\(suffix)'"))
                }
            }
        case "ImplementationSpecific":
            if !value.isEmpty && !value.hasPrefix("/") {
                errs.append(.invalid(path + ".path", value, "must be an absolute path"))
            }
        default:
            errs.append(.notSupported(path + ".pathType", pathType, ingressPathTypes))
        }
        errs += validateIngressBackend(p["backend"] ?? .object([:]), path: path + ".backend")
        return errs
    }

    static func validateIngressBackend(_ backend: JSON, path: String) -> [FieldError] {
        let resource = backend["resource"].flatMap { $0.isNull ? nil : $0 }
        let service = backend["service"].flatMap { $0.isNull ? nil : $0 }
        var errs: [FieldError] = []
        switch (resource, service) {
        case (.some, .some):
            return [.invalid(path, "", "cannot set both resource and service backends")]
        case (.some(let resource), nil):
            errs += validateTypedLocalObjectReference(resource, path: path + ".resource")
        case (nil, .some(let service)):
            let name = service.validationString("name")
            if name.isEmpty {
                errs.append(.required(path + ".service.name"))
            } else {
                errs += nameIsDNS1035Label(name, false).map { .invalid(path + ".service.name", name, $0) }
            }
            let portName = service.validationString("port", "name")
            let portNumber = service.at("port", "number")?.intValue ?? 0
            if !portName.isEmpty && portNumber != 0 {
                errs.append(.invalid(path, "", "cannot set both port name & port number"))
            } else if !portName.isEmpty {
                errs += NameValidation.portName(portName).map { .invalid(path + ".service.port.name", portName, $0) }
            } else if portNumber != 0 {
                errs += NameValidation.portNumber(portNumber).map {
                    .invalid(path + ".service.port.number", portNumber, $0)
                }
            } else {
                errs.append(.required(path, "port name or number is required"))
            }
        case (nil, nil):
            errs.append(.invalid(path, "", "resource or service backend is required"))
        }
        return errs
    }

    static func validateTypedLocalObjectReference(_ ref: JSON, path: String) -> [FieldError] {
        var errs: [FieldError] = []
        if let group = ref["apiGroup"]?.stringValue {
            errs += validateDNS1123Subdomain(path + ".apiGroup", group)
        }
        for key in ["kind", "name"] {
            let value = ref.validationString(key)
            if value.isEmpty {
                errs.append(.required(path + "." + key))
            } else {
                errs += NameValidation.pathSegmentName(value, prefix: false).map {
                    .invalid(path + "." + key, value, $0)
                }
            }
        }
        return errs
    }

    static func validateIngressClass(_ cls: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        if let old {
            errs += validateObjectMetaUpdate(cls, old: old)
            let controller = cls.validationString("spec", "controller")
            if controller != old.validationString("spec", "controller") {
                errs.append(.invalid("spec.controller", controller, "field is immutable"))
            }
        }
        errs += validateObjectMeta(cls, requiresNamespace: false, nameCheck: nameIsDNSSubdomain)
        let controller = cls.validationString("spec", "controller")
        if controller.isEmpty {
            errs.append(.required("spec.controller"))
        } else {
            if controller.utf8.count > 250 { errs.append(.tooLong("spec.controller", maxBytes: 250)) }
            errs += validateDomainPrefixedPath("spec.controller", controller)
        }
        if let params = cls.at("spec", "parameters"), !params.isNull {
            errs += validateIngressClassParameters(params, path: "spec.parameters")
        }
        return errs
    }

    /// apimachinery `IsDomainPrefixedPath` (IngressClass controllers such as `k8s.io/ingress-nginx`).
    static func validateDomainPrefixedPath(_ path: String, _ value: String) -> [FieldError] {
        guard let slash = value.firstIndex(of: "/"), slash != value.startIndex,
            value.index(after: slash) != value.endIndex
        else {
            return [.invalid(path, value, "must be a domain-prefixed path (such as \"acme.io/foo\")")]
        }
        let host = String(value[..<slash])
        let rest = String(value[value.index(after: slash)...])
        var errs = NameValidation.dns1123Subdomain(host).map { FieldError.invalid(path, host, $0) }
        let allowed = Set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/-._~%!$&'()*+,;=:".unicodeScalars)
        if !rest.unicodeScalars.allSatisfy(allowed.contains) {
            errs.append(
                .invalid(
                    path, rest,
                    NameValidation.regexError("Invalid path", "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+")))
        }
        return errs
    }

    static func validateIngressClassParameters(_ params: JSON, path: String) -> [FieldError] {
        var errs = validateTypedLocalObjectReference(params, path: path)
        guard let scope = params["scope"]?.stringValue else {
            errs.append(.required(path + ".scope"))
            return errs
        }
        let namespace = params["namespace"]?.stringValue
        switch scope {
        case "Namespace":
            if let namespace {
                errs += nameIsDNSLabel(namespace, false).map { .invalid(path + ".namespace", namespace, $0) }
            } else {
                errs.append(.required(path + ".namespace", "`parameters.scope` is set to 'Namespace'"))
            }
        case "Cluster":
            if namespace != nil {
                errs.append(.forbidden(path + ".namespace", "`parameters.scope` is set to 'Cluster'"))
            }
        default:
            errs.append(.notSupported(path + ".scope", scope, ["Cluster", "Namespace"]))
        }
        return errs
    }
}
