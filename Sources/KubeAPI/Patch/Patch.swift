import Foundation

/// Why a PATCH body could not be applied, carrying the text kube-apiserver 1.32 would put in its Status.
/// `code`/`reason` give the HTTP status and Status reason; `detail` keeps the engine's own text even when
/// kube-apiserver hides it behind a generic message.
public enum PatchError: Error, Equatable, Sendable {
    /// The body does not have the shape this patch type needs (400 BadRequest, message = the text).
    case undecodable(String)
    /// A JSON patch with more than 10000 operations (413 RequestEntityTooLarge).
    case tooManyOperations(Int)
    /// A JSON-patch operation could not be applied (422 Invalid); the text is evanphx/json-patch's.
    case operationFailed(String)
    /// A malformed strategic-merge directive, one of mergepatch's sentinel errors (400 BadRequest).
    case badDirective(String)
    /// A strategic merge patch the server refuses to process, e.g. lists of lists (422 Invalid).
    case unprocessable(String)
    /// Any other strategicpatch error (e.g. a list item without its merge key); kube-apiserver passes
    /// these through unconverted, as a 500 with no reason and the error text as message.
    case mergeFailed(String)

    /// The Status `message` kube-apiserver sends.
    public var message: String {
        switch self {
        case .undecodable(let t), .badDirective(let t), .mergeFailed(let t): return t
        case .tooManyOperations(let n):
            return "Request entity too large: The allowed maximum operations in a JSON patch is "
                + "\(Patch.maxJSONPatchOperations), got \(n)"
        // NewGenericServerResponse(422, ...) discards the server text and uses its canned sentence.
        case .operationFailed, .unprocessable:
            return "the server rejected our request due to an error in our request"
        }
    }

    /// True when the answer is 422 Invalid; false for 400 BadRequest (and the rarer 413/500, see `code`).
    public var isInvalid: Bool { code == 422 }

    /// The HTTP status code kube-apiserver answers with.
    public var code: Int {
        switch self {
        case .undecodable, .badDirective: return 400
        case .tooManyOperations: return 413
        case .operationFailed, .unprocessable: return 422
        case .mergeFailed: return 500
        }
    }

    /// The Status `reason`; empty for `.mergeFailed`, which kube-apiserver sends without one.
    public var reason: String {
        switch self {
        case .undecodable, .badDirective: return "BadRequest"
        case .tooManyOperations: return "RequestEntityTooLarge"
        case .operationFailed, .unprocessable: return "Invalid"
        case .mergeFailed: return ""
        }
    }

    /// The underlying engine text (for logs), even where `message` is the generic 422 sentence.
    public var detail: String {
        switch self {
        case .undecodable(let t), .operationFailed(let t), .badDirective(let t), .unprocessable(let t),
            .mergeFailed(let t):
            return t
        case .tooManyOperations: return message
        }
    }
}

/// The three PATCH content types kubectl sends (merge, JSON, strategic), applied to API objects held as `JSON`.
public enum Patch {
    /// kube-apiserver rejects JSON patches longer than this with 413.
    public static let maxJSONPatchOperations = 10000

    /// RFC 7386 JSON merge patch: `null` deletes, objects merge recursively, anything else (lists included)
    /// replaces. A non-object patch replaces the whole target. Like evanphx/json-patch v4, nulls are also
    /// pruned from objects nested inside newly inserted lists.
    public static func mergePatch(_ original: JSON, _ patch: JSON) -> JSON {
        guard case .object(let patchFields) = patch else { return patch }
        guard case .object(var target) = original else { return patch.patchPruningNulls() }
        for (key, value) in patchFields {
            if value.isNull {
                target[key] = nil
                continue
            }
            switch target[key] {
            case nil, .null?:
                target[key] = value.patchPruningNulls()
            case .object?:
                if case .object = value { target[key] = mergePatch(target[key]!, value) } else { target[key] = value }
            case .some:
                // A non-object target is replaced; an object patch value then loses its nulls.
                target[key] = value.patchPruningNulls()
            }
        }
        return .object(target)
    }

    /// A merge patch as kube-apiserver handles an `application/merge-patch+json` body: with its default
    /// fieldValidation the body must decode into an object, so anything else is a 400 rather than an RFC
    /// whole-document replacement.
    public static func checkedMergePatch(_ original: JSON, _ patch: JSON) throws(PatchError) -> JSON {
        switch patch {
        case .object: return mergePatch(original, patch)
        case .null: throw .undecodable("Invalid JSON Patch")
        default:
            throw .undecodable(
                "error decoding patch: json: cannot unmarshal \(patch.patchGoJSONKind) into Go value of type "
                    + "map[string]interface {}")
        }
    }
}

extension JSON {
    /// Drops null members from objects, recursing through objects and arrays (null array elements stay).
    func patchPruningNulls() -> JSON {
        switch self {
        case .object(let o):
            var out: [String: JSON] = [:]
            for (k, v) in o where !v.isNull { out[k] = v.patchPruningNulls() }
            return .object(out)
        case .array(let a): return .array(a.map { $0.patchPruningNulls() })
        default: return self
        }
    }

    /// How encoding/json names this value in "cannot unmarshal X into ..." errors.
    var patchGoJSONKind: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The Go dynamic type of the decoded value, as `reflect.TypeOf(v)` prints it.
    var patchGoTypeName: String {
        switch self {
        case .null: return "%!s(<nil>)"
        case .bool: return "bool"
        case .int: return "int64"
        case .double: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "map[string]interface {}"
        }
    }

    /// Go's `%v` rendering of the decoded value (`map[k:v ...]`, `[a b]`, `<nil>`), which strategicpatch
    /// embeds in its error messages.
    var patchGoDescription: String {
        switch self {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSON.patchGoFloat(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(\.patchGoDescription).joined(separator: " ") + "]"
        case .object(let o):
            return "map[" + o.keys.sorted().map { "\($0):\(o[$0]!.patchGoDescription)" }.joined(separator: " ") + "]"
        }
    }

    /// Go's `%s` rendering: strings verbatim, other scalars as `%!s(type=value)`.
    var patchGoStringVerb: String {
        switch self {
        case .null: return "%!s(<nil>)"
        case .bool(let b): return "%!s(bool=\(b))"
        case .int(let i): return "%!s(int64=\(i))"
        case .double(let d): return "%!s(float64=\(JSON.patchGoFloat(d)))"
        case .string(let s): return s
        case .array(let a): return "[" + a.map(\.patchGoStringVerb).joined(separator: " ") + "]"
        case .object(let o):
            return "map[" + o.keys.sorted().map { "\($0):\(o[$0]!.patchGoStringVerb)" }.joined(separator: " ") + "]"
        }
    }

    /// Formats like Go's `%v` for float64 (`%g` with shortest digits): exponent form when the decimal
    /// exponent is below -4 or at least 6, so 1e6 prints as `1e+06` and 123456 as `123456`.
    static func patchGoFloat(_ d: Double) -> String {
        guard d.isFinite else { return d.isNaN ? "NaN" : (d < 0 ? "-Inf" : "+Inf") }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        // Swift's description is also the shortest round-trip digit string; re-layout it Go's way.
        var text = "\(abs(d))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0])
        let fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = intPart + fracPart
        var pointPos = intPart.count + exponent  // digits before the decimal point
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPos -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let sign = d < 0 ? "-" : ""
        let exp = pointPos - 1
        if exp < -4 || exp >= 6 {
            var mantissa = String(digits.first!)
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let expDigits = String(abs(exp))
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (expDigits.count < 2 ? "0" : "") + expDigits
        }
        if pointPos <= 0 { return sign + "0." + String(repeating: "0", count: -pointPos) + digits }
        if pointPos >= digits.count { return sign + digits + String(repeating: "0", count: pointPos - digits.count) }
        let idx = digits.index(digits.startIndex, offsetBy: pointPos)
        return sign + digits[..<idx] + "." + digits[idx...]
    }
}
