import KubeAPI
import NIOHTTP1

/// An API failure, rendered once (here) as a `metav1.Status` with kube-apiserver's reason, code and message.
public struct APIError: Error, Sendable {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: JSON?

    public init(code: Int, reason: String, message: String, details: JSON? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    static func details(_ r: ResourceType, name: String, kind: String? = nil, causes: [JSON]? = nil) -> JSON {
        var d: JSON = ["name": .string(name), "kind": .string(kind ?? r.plural)]
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        if let causes { d["causes"] = .array(causes) }
        return d
    }

    public static func notFound(_ r: ResourceType, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(r.qualifiedName) \"\(name)\" not found",
                 details: details(r, name: name))
    }

    public static func alreadyExists(_ r: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(r.qualifiedName) \"\(name)\" already exists",
                 details: details(r, name: name))
    }

    public static func conflict(_ r: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(r.qualifiedName) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: details(r, name: name))
    }

    /// 422 Invalid. `causes` are `{reason, message, field}` objects; `summary` the joined field errors.
    public static func invalid(_ r: ResourceType, _ name: String, summary: String, causes: [JSON]) -> APIError {
        APIError(code: 422, reason: "Invalid", message: "\(r.kind) \"\(name)\" is invalid: \(summary)",
                 details: details(r, name: name, kind: r.kind, causes: causes))
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    public static func forbidden(_ r: ResourceType, _ name: String, _ why: String) -> APIError {
        APIError(code: 403, reason: "Forbidden", message: "\(r.qualifiedName) \"\(name)\" is forbidden: \(why)",
                 details: details(r, name: name))
    }

    public static func methodNotAllowed() -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
    }

    public static func notFoundPath() -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }

    public static func unsupportedMediaType(_ type: String, accepted: [String]) -> APIError {
        APIError(
            code: 415, reason: "UnsupportedMediaType",
            message: "the body of the request was in an unknown format - accepted media types include: " + accepted.joined(separator: ", "))
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func unauthorized() -> APIError {
        APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    /// The `metav1.Status` object.
    public var status: JSON {
        var s: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details { s["details"] = details }
        return s
    }

    public var httpStatus: HTTPResponseStatus { HTTPResponseStatus(statusCode: code) }
}
