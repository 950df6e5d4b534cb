import Foundation
import KubeAPI
import Yams

/// Turns a request body into a `JSON` object according to its Content-Type.
enum BodyDecoding {
    static let acceptedMediaTypes = [
        "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
    ]

    static func mediaType(_ contentType: String?) -> String {
        (contentType ?? "application/json").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? "application/json"
    }

    /// Decoded body plus the paths of duplicate fields (for strict validation).
    struct Decoded {
        var object: JSON
        var duplicates: [String]
    }

    static func decode(_ body: [UInt8], contentType: String?) throws(APIError) -> Decoded {
        let type = mediaType(contentType)
        switch type {
        case "application/json", "application/strategic-merge-patch+json", "application/merge-patch+json",
            "application/json-patch+json", "":
            return try decodeJSON(body)
        case "application/yaml", "application/apply-patch+yaml", "application/x-yaml", "text/yaml":
            return try decodeYAML(body)
        case "application/vnd.kubernetes.protobuf":
            do {
                return Decoded(object: try KubeProtobuf.decode(body), duplicates: [])
            } catch {
                throw .badRequest("failed to decode protobuf body: \(error.message)")
            }
        default:
            throw .unsupportedMediaType(type, accepted: acceptedMediaTypes)
        }
    }

    static func decodeJSON(_ body: [UInt8]) throws(APIError) -> Decoded {
        var dups: [String] = []
        do {
            let v = try JSON.parse(body, duplicates: &dups)
            return Decoded(object: v, duplicates: dups)
        } catch let e as JSONParseError {
            throw .badRequest("couldn't get version/kind; json parse error: \(e.description)")
        } catch {
            throw .badRequest("couldn't get version/kind; json parse error: \(error)")
        }
    }

    static func decodeYAML(_ body: [UInt8]) throws(APIError) -> Decoded {
        let text = String(decoding: body, as: UTF8.self)
        // JSON is YAML; prefer the exact JSON parser when it is JSON.
        let trimmed = text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        if trimmed.first == "{", let d = try? decodeJSON(body) { return d }
        do {
            guard let node = try Yams.compose(yaml: text) else { return Decoded(object: .object([:]), duplicates: []) }
            var dups: [String] = []
            let v = try json(from: node, path: "", duplicates: &dups)
            return Decoded(object: v, duplicates: dups)
        } catch let e as APIError {
            throw e
        } catch {
            throw .badRequest("error converting YAML to JSON: \(error)")
        }
    }

    static func json(from node: Node, path: String, duplicates: inout [String]) throws -> JSON {
        switch node {
        case .mapping(let m):
            var o: [String: JSON] = [:]
            for (k, v) in m {
                guard let key = k.string else { throw APIError.badRequest("error converting YAML to JSON: non-string key") }
                let p = path.isEmpty ? key : path + "." + key
                if o[key] != nil { duplicates.append(p) }
                o[key] = try json(from: v, path: p, duplicates: &duplicates)
            }
            return .object(o)
        case .sequence(let s):
            return .array(try s.map { try json(from: $0, path: path, duplicates: &duplicates) })
        case .scalar(let sc):
            if sc.style == .plain {
                if let n = node.null { _ = n; return .null }
                if let b = node.bool { return .bool(b) }
                if let i = node.int { return .int(Int64(i)) }
                if let f = node.float, sc.string.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                    return .double(f)
                }
            }
            return .string(sc.string)
        case .alias:
            throw APIError.badRequest("error converting YAML to JSON: aliases are not supported")
        }
    }
}
