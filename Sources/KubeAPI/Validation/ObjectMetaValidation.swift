import Foundation

/// Helpers for reading loosely typed API objects during validation; a field of the wrong JSON type
/// reads as absent, since strict decoding rejects those before validation runs.
extension JSON {
    /// The string at a key path, or "" when absent.
    func validationString(_ path: String...) -> String { at(path)?.stringValue ?? "" }

    /// A `map[string]string` field as sorted pairs, so errors come out in a stable order
    /// (Go iterates maps randomly; sorted order is one of the orders it can produce).
    func validationStringMap(_ path: String...) -> [(key: String, value: String)] {
        guard let o = at(path)?.objectValue else { return [] }
        return o.keys.sorted().map { ($0, o[$0]?.stringValue ?? "") }
    }

    /// A `[]string` field; nil when absent.
    func validationStringArray(_ path: String...) -> [String]? {
        guard let a = at(path)?.arrayValue else { return nil }
        return a.map { $0.stringValue ?? "" }
    }

    func validationArray(_ path: String...) -> [JSON] { at(path)?.arrayValue ?? [] }
}

extension Validation {
    typealias NameCheck = (_ name: String, _ prefix: Bool) -> [String]

    /// `NameIsDNSSubdomain`: most kinds' names.
    static func nameIsDNSSubdomain(_ name: String, _ prefix: Bool) -> [String] {
        NameValidation.dns1123Subdomain(prefix ? NameValidation.maskTrailingDash(name) : name)
    }

    /// `NameIsDNSLabel`: Namespace names.
    static func nameIsDNSLabel(_ name: String, _ prefix: Bool) -> [String] {
        NameValidation.dns1123Label(prefix ? NameValidation.maskTrailingDash(name) : name)
    }

    /// `NameIsDNS1035Label`: Service names.
    static func nameIsDNS1035Label(_ name: String, _ prefix: Bool) -> [String] {
        NameValidation.dns1035Label(prefix ? NameValidation.maskTrailingDash(name) : name)
    }

    static let standardFinalizers: Set<String> = ["kubernetes", "orphan", "foregroundDeletion"]
    static let totalAnnotationSizeLimit = 256 * 1024

    static func validateLabels(_ labels: [(key: String, value: String)], _ path: String) -> [FieldError] {
        var errs: [FieldError] = []
        for (k, v) in labels {
            errs += NameValidation.qualifiedName(k).map { .invalid(path, k, $0) }
            errs += NameValidation.labelValue(v).map { .invalid(path, v, $0) }
        }
        return errs
    }

    static func validateAnnotations(_ annotations: [(key: String, value: String)], _ path: String) -> [FieldError] {
        var errs: [FieldError] = []
        var total = 0
        for (k, v) in annotations {
            errs += NameValidation.qualifiedName(k.lowercased()).map { .invalid(path, k, $0) }
            total += k.utf8.count + v.utf8.count
        }
        if total > totalAnnotationSizeLimit { errs.append(.tooLong(path, maxBytes: totalAnnotationSizeLimit)) }
        return errs
    }

    static func validateOwnerReferences(_ refs: [JSON], _ path: String) -> [FieldError] {
        var errs: [FieldError] = []
        var firstController = ""
        for ref in refs {
            let apiVersion = ref.validationString("apiVersion")
            let kind = ref.validationString("kind")
            let version = apiVersion.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/").first ?? "") : ""
            if version.isEmpty || apiVersion.split(separator: "/", omittingEmptySubsequences: false).count > 2 {
                errs.append(.invalid(ValidationPath.child(path, "apiVersion"), apiVersion, "version must not be empty"))
            }
            if kind.isEmpty {
                errs.append(.invalid(ValidationPath.child(path, "kind"), kind, "kind must not be empty"))
            }
            let name = ref.validationString("name")
            if name.isEmpty {
                errs.append(.invalid(ValidationPath.child(path, "name"), name, "name must not be empty"))
            }
            let uid = ref.validationString("uid")
            if uid.isEmpty { errs.append(.invalid(ValidationPath.child(path, "uid"), uid, "uid must not be empty")) }
            if group.isEmpty && version == "v1" && kind == "Event" {
                // Go renders the whole OwnerReference struct here; a short form is enough to explain it.
                errs.append(.invalid(path, rendered: nil, "/v1, Kind=Event is disallowed from being an owner"))
            }
            if ref["controller"]?.boolValue == true {
                let current = kind + "/" + name
                if firstController.isEmpty {
                    firstController = current
                } else {
                    errs.append(
                        .invalid(
                            path, rendered: nil,
                            "Only one reference can have Controller set to true. Found \"true\" in references for \(firstController) and \(current)"
                        ))
                }
            }
        }
        return errs
    }

    /// apimachinery's `ValidateFinalizers` plus core's stricter finalizer-name rule.
    static func validateFinalizers(_ finalizers: [String], _ path: String) -> [FieldError] {
        var errs: [FieldError] = []
        for f in finalizers {
            errs += NameValidation.qualifiedName(f).map { .invalid(path, f, $0) }
        }
        if finalizers.contains("orphan") && finalizers.contains("foregroundDeletion") {
            errs.append(
                .invalid(
                    path, rendered: ValidationGo.slice(finalizers),
                    "finalizer orphan and foregroundDeletion cannot be both set"))
        }
        return errs
    }

    static func validateKubeFinalizerNames(_ finalizers: [String], _ path: String) -> [FieldError] {
        var errs: [FieldError] = []
        for (i, f) in finalizers.enumerated() where !f.contains("/") && !standardFinalizers.contains(f) {
            errs.append(
                .invalid(
                    ValidationPath.index(path, i), f,
                    "name is neither a standard finalizer name nor is it fully qualified"))
        }
        return errs
    }

    /// core `ValidateObjectMeta` for a create: name (or generateName), namespace, labels, annotations,
    /// ownerReferences and finalizers, in upstream's order.
    static func validateObjectMeta(
        _ object: JSON, requiresNamespace: Bool, nameCheck: NameCheck, kubeFinalizers: Bool = true
    ) -> [FieldError] {
        let meta = object["metadata"] ?? .object([:])
        var errs: [FieldError] = []
        let generateName = meta.validationString("generateName")
        if !generateName.isEmpty {
            errs += nameCheck(generateName, true).map { .invalid("metadata.generateName", generateName, $0) }
        }
        let name = meta.validationString("name")
        if name.isEmpty {
            errs.append(.required("metadata.name", "name or generateName is required"))
        } else {
            errs += nameCheck(name, false).map { .invalid("metadata.name", name, $0) }
        }
        let namespace = meta.validationString("namespace")
        if requiresNamespace {
            if namespace.isEmpty {
                errs.append(.required("metadata.namespace"))
            } else {
                errs += nameIsDNSLabel(namespace, false).map { .invalid("metadata.namespace", namespace, $0) }
            }
        } else if !namespace.isEmpty {
            errs.append(.forbidden("metadata.namespace", "not allowed on this type"))
        }
        if let g = meta["generation"]?.intValue, g < 0 {
            errs.append(.invalid("metadata.generation", g, "must be greater than or equal to 0"))
        }
        errs += validateLabels(meta.validationStringMap("labels"), "metadata.labels")
        errs += validateAnnotations(meta.validationStringMap("annotations"), "metadata.annotations")
        errs += validateOwnerReferences(meta.validationArray("ownerReferences"), "metadata.ownerReferences")
        let finalizers = meta.validationStringArray("finalizers") ?? []
        errs += validateFinalizers(finalizers, "metadata.finalizers")
        if kubeFinalizers { errs += validateKubeFinalizerNames(finalizers, "metadata.finalizers") }
        return errs
    }

    /// core `ValidateObjectMetaUpdate`. Server-owned timestamps are not compared: Ferry's server copies
    /// them from the stored object before validating.
    static func validateObjectMetaUpdate(_ object: JSON, old: JSON, kubeFinalizers: Bool = true) -> [FieldError] {
        let meta = object["metadata"] ?? .object([:])
        let oldMeta = old["metadata"] ?? .object([:])
        var errs: [FieldError] = []
        let finalizers = meta.validationStringArray("finalizers") ?? []
        if oldMeta["deletionTimestamp"].map({ !$0.isNull }) == true {
            let oldFinalizers = Set(oldMeta.validationStringArray("finalizers") ?? [])
            let extra = Set(finalizers).subtracting(oldFinalizers).sorted()
            if !extra.isEmpty {
                errs.append(
                    .forbidden(
                        "metadata.finalizers",
                        "no new finalizers can be added if the object is being deleted, found new finalizers \(ValidationGo.slice(extra))"
                    ))
            }
        }
        let rv = meta.validationString("resourceVersion")
        if rv.isEmpty { errs.append(.invalid("metadata.resourceVersion", rv, "must be specified for an update")) }
        let gen = meta["generation"]?.intValue ?? 0
        if gen < (oldMeta["generation"]?.intValue ?? 0) {
            errs.append(.invalid("metadata.generation", gen, "must not be decremented"))
        }
        for key in ["name", "namespace", "uid"] {
            let new = meta.validationString(key)
            if new != oldMeta.validationString(key) {
                errs.append(.invalid("metadata." + key, new, "field is immutable"))
            }
        }
        errs += validateLabels(meta.validationStringMap("labels"), "metadata.labels")
        errs += validateAnnotations(meta.validationStringMap("annotations"), "metadata.annotations")
        errs += validateOwnerReferences(meta.validationArray("ownerReferences"), "metadata.ownerReferences")
        if kubeFinalizers { errs += validateKubeFinalizerNames(finalizers, "metadata.finalizers") }
        return errs
    }

    /// The generic registry's own metadata checks (apiserver `rest.BeforeCreate`/`BeforeUpdate`): on update
    /// they run before the kind's validation (so metadata errors can appear twice, as upstream); on create
    /// they run only when the kind's validation passed.
    static func commonMetaErrors(_ object: JSON, old: JSON?, namespaced: Bool) -> [FieldError] {
        let pathSegment: NameCheck = { NameValidation.pathSegmentName($0, prefix: $1) }
        var errs = validateObjectMeta(
            object, requiresNamespace: namespaced, nameCheck: pathSegment, kubeFinalizers: false)
        if let old { errs += validateObjectMetaUpdate(object, old: old, kubeFinalizers: false) }
        return errs
    }
}
