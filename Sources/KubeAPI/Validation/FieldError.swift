import Foundation

/// One field-level validation failure, shaped like apimachinery's `field.Error` so the API server can
/// build a 422 `Status` whose causes and message match kube-apiserver byte for byte.
public struct FieldError: Error, Equatable, Sendable {
    /// The kinds of failure apimachinery distinguishes; each maps to a `FieldValue...` cause reason.
    public enum ErrorType: Sendable {
        case required, invalid, forbidden, notSupported, duplicate, tooLong, tooMany, `internal`
    }

    /// Which kind of failure this is.
    public var type: ErrorType
    /// The JSON path of the field, e.g. `spec.ports[0].port`.
    public var field: String
    /// The offending value, already rendered as Go's `field.Error` renders it (strings quoted, numbers
    /// bare, `[]string{"a"}` for slices); nil when the message shows no value.
    public var badValue: String?
    /// The explanation after the value, e.g. `must be between 1 and 65535, inclusive`; may be empty.
    public var detail: String

    /// Creates an error; `badValue` must already be rendered (see `badValue`).
    public init(_ type: ErrorType, field: String, badValue: String?, detail: String) {
        self.type = type
        self.field = field
        self.badValue = badValue
        self.detail = detail
    }

    /// The `StatusCause.reason` for this error (`FieldValueInvalid`, `FieldValueRequired`, ...).
    public var reason: String {
        switch type {
        case .required: return "FieldValueRequired"
        case .invalid: return "FieldValueInvalid"
        case .forbidden: return "FieldValueForbidden"
        case .notSupported: return "FieldValueNotSupported"
        case .duplicate: return "FieldValueDuplicate"
        case .tooLong: return "FieldValueTooLong"
        case .tooMany: return "FieldValueTooMany"
        case .internal: return "InternalError"
        }
    }

    /// The human name apimachinery prints before the value.
    var typeText: String {
        switch type {
        case .required: return "Required value"
        case .invalid: return "Invalid value"
        case .forbidden: return "Forbidden"
        case .notSupported: return "Unsupported value"
        case .duplicate: return "Duplicate value"
        case .tooLong: return "Too long"
        case .tooMany: return "Too many"
        case .internal: return "Internal error"
        }
    }

    /// The cause message without the field prefix (Go's `ErrorBody()`), e.g.
    /// `Invalid value: 70000: must be between 1 and 65535, inclusive`.
    public var message: String {
        var s = typeText
        switch type {
        case .required, .forbidden, .tooLong, .internal:
            break  // apimachinery never prints the value for these
        default:
            if let badValue { s += ": " + badValue }
        }
        if !detail.isEmpty { s += ": " + detail }
        return s
    }

    /// `field: message`, the form used in the Status message and by kubectl.
    public var fullMessage: String { "\(field): \(message)" }
}

// MARK: - Constructors mirroring apimachinery's field package

extension FieldError {
    static func required(_ field: String, _ detail: String = "") -> FieldError {
        FieldError(.required, field: field, badValue: nil, detail: detail)
    }

    static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(.forbidden, field: field, badValue: nil, detail: detail)
    }

    static func invalid(_ field: String, _ value: String, _ detail: String) -> FieldError {
        FieldError(.invalid, field: field, badValue: ValidationGo.quote(value), detail: detail)
    }

    static func invalid(_ field: String, _ value: Int64, _ detail: String) -> FieldError {
        FieldError(.invalid, field: field, badValue: String(value), detail: detail)
    }

    /// An Invalid error whose value is already rendered.
    static func invalid(_ field: String, rendered: String?, _ detail: String) -> FieldError {
        FieldError(.invalid, field: field, badValue: rendered, detail: detail)
    }

    static func duplicate(_ field: String, rendered: String) -> FieldError {
        FieldError(.duplicate, field: field, badValue: rendered, detail: "")
    }

    /// `Unsupported value: "x": supported values: "A", "B"`, with the list quoted in the given order.
    static func notSupported(_ field: String, _ value: String, _ supported: [String]) -> FieldError {
        notSupported(field, rendered: ValidationGo.quote(value), supported)
    }

    static func notSupported(_ field: String, rendered: String, _ supported: [String]) -> FieldError {
        let detail =
            supported.isEmpty ? "" : "supported values: " + supported.map(ValidationGo.quote).joined(separator: ", ")
        return FieldError(.notSupported, field: field, badValue: rendered, detail: detail)
    }

    static func tooLong(_ field: String, maxBytes: Int) -> FieldError {
        FieldError(.tooLong, field: field, badValue: nil, detail: "may not be more than \(maxBytes) bytes")
    }

    static func tooMany(_ field: String, actual: Int, max: Int) -> FieldError {
        FieldError(.tooMany, field: field, badValue: String(actual), detail: "must have at most \(max) items")
    }
}

// MARK: - Paths

/// Builds apimachinery `field.Path` strings: `a.b`, `a[0]`, `a[key]`.
enum ValidationPath {
    static func child(_ base: String, _ name: String) -> String { base.isEmpty ? name : base + "." + name }
    static func index(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }
    static func key(_ base: String, _ k: String) -> String { "\(base)[\(k)]" }
}

// MARK: - Go value rendering

/// Renders values the way Go's `fmt` does inside `field.Error` (`%q`, `%#v`), so messages match upstream.
enum ValidationGo {
    /// Go's `strconv.Quote`: double quotes with backslash escapes for quotes, backslashes and controls.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\x%02x", scalar.value)
                } else if (0x80..<0xA0).contains(scalar.value) || scalar.properties.generalCategory == .format
                    || scalar.properties.generalCategory == .unassigned
                {
                    // Go escapes non-printable runes; the BMP ones as \uXXXX.
                    out +=
                        scalar.value > 0xFFFF
                        ? String(format: "\\U%08x", scalar.value) : String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `%#v` of a string slice: `[]string{"a", "b"}`; `[]string(nil)` for a missing slice.
    static func slice(_ items: [String]?, type: String = "string") -> String {
        guard let items else { return "[]\(type)(nil)" }
        return "[]\(type){" + items.map(quote).joined(separator: ", ") + "}"
    }
}

// MARK: - Entry points

/// kube-apiserver's defaulting and validation for the kinds Ferry serves, applied to objects held as `JSON`.
public enum Validation {
    /// Validates a create (`old == nil`) or an update of `object`, returning every error in kube-apiserver's
    /// order. Run `applyDefaults` first, as kube-apiserver defaults before it validates.
    public static func validate(_ object: JSON, resource: ResourceType, old: JSON?) -> [FieldError] {
        let kindErrors: [FieldError]
        switch resource {
        case .service: kindErrors = validateService(object, old: old)
        case .namespace: kindErrors = validateNamespace(object, old: old)
        case .secret: kindErrors = validateSecret(object, old: old)
        case .configMap: kindErrors = validateConfigMap(object, old: old)
        case .endpoints: kindErrors = validateEndpoints(object, old: old)
        case .endpointSlice: kindErrors = validateEndpointSlice(object, old: old)
        case .ingress: kindErrors = validateIngress(object, old: old)
        case .ingressClass: kindErrors = validateIngressClass(object, old: old)
        case .pod: kindErrors = validatePod(object, old: old)
        case .event: kindErrors = validateEvent(object, old: old)
        default: kindErrors = []
        }
        if old != nil { return commonMetaErrors(object, old: old, namespaced: resource.namespaced) + kindErrors }
        if !kindErrors.isEmpty { return kindErrors }
        return commonMetaErrors(object, old: nil, namespaced: resource.namespaced)
    }

    /// The `Status.message` of a 422: `Service "x" is invalid: <field>: <msg>` for one error, and
    /// apimachinery's aggregate `[a, b]` form (duplicates dropped) for several. `kind` is the qualified
    /// GroupKind, e.g. `Service` or `Ingress.networking.k8s.io`.
    public static func invalidMessage(kind: String, name: String, errors: [FieldError]) -> String {
        var seen = Set<String>()
        var messages: [String] = []
        for e in errors where seen.insert(e.fullMessage).inserted { messages.append(e.fullMessage) }
        let head = "\(kind) \(ValidationGo.quote(name)) is invalid"
        switch messages.count {
        case 0: return head
        case 1: return head + ": " + messages[0]
        default: return head + ": [" + messages.joined(separator: ", ") + "]"
        }
    }

    /// `invalidMessage` with the GroupKind taken from `resource` (`Ingress.networking.k8s.io` for grouped kinds).
    public static func invalidMessage(resource: ResourceType, name: String, errors: [FieldError]) -> String {
        let kind = resource.group.isEmpty ? resource.kind : "\(resource.kind).\(resource.group)"
        return invalidMessage(kind: kind, name: name, errors: errors)
    }
}
