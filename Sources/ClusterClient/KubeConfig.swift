import Foundation
import Yams

/// The parts of a kubeconfig Ferry needs to reach an API server: the current context's server,
/// CA, and credentials (bearer token or client certificate).
public struct KubeConfig: Sendable, Equatable {
    public var server: String
    public var caPEM: String?
    public var token: String?
    public var clientCertPEM: String?
    public var clientKeyPEM: String?
    public var insecureSkipTLSVerify: Bool
    public var namespace: String

    public init(server: String, caPEM: String?, token: String?, clientCertPEM: String? = nil, clientKeyPEM: String? = nil, insecureSkipTLSVerify: Bool = false, namespace: String = "default") {
        self.server = server
        self.caPEM = caPEM
        self.token = token
        self.clientCertPEM = clientCertPEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.namespace = namespace
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case invalid(String)
        public var description: String {
            switch self {
            case .unreadable(let s), .invalid(let s): return s
            }
        }
    }

    /// Loads `path`, resolving the current context (file references are relative to the file).
    public static func load(path: String) throws(LoadError) -> KubeConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .unreadable("cannot read kubeconfig \(path)")
        }
        return try parse(text, baseDir: (path as NSString).deletingLastPathComponent)
    }

    public static func parse(_ text: String, baseDir: String = ".") throws(LoadError) -> KubeConfig {
        let root: [String: Any]
        do {
            guard let r = try Yams.load(yaml: text) as? [String: Any] else { throw LoadError.invalid("kubeconfig is not a mapping") }
            root = r
        } catch let e as LoadError {
            throw e
        } catch {
            throw .invalid("kubeconfig is not valid YAML: \(error)")
        }
        func named(_ list: String, _ name: String?) -> [String: Any]? {
            let items = root[list] as? [[String: Any]] ?? []
            let item = name.flatMap { n in items.first { ($0["name"] as? String) == n } } ?? items.first
            return item
        }
        let ctxName = root["current-context"] as? String
        let ctx = named("contexts", ctxName)?["context"] as? [String: Any] ?? [:]
        guard let cluster = named("clusters", ctx["cluster"] as? String)?["cluster"] as? [String: Any],
            let server = cluster["server"] as? String
        else { throw .invalid("kubeconfig has no cluster server for the current context") }
        let user = named("users", ctx["user"] as? String)?["user"] as? [String: Any] ?? [:]
        func dataOrFile(_ m: [String: Any], _ dataKey: String, _ fileKey: String) -> String? {
            if let d = m[dataKey] as? String, let bytes = Data(base64Encoded: d) { return String(decoding: bytes, as: UTF8.self) }
            if let f = m[fileKey] as? String {
                let p = f.hasPrefix("/") ? f : (baseDir as NSString).appendingPathComponent(f)
                return try? String(contentsOfFile: p, encoding: .utf8)
            }
            return nil
        }
        var token = user["token"] as? String
        if token == nil, let tf = user["tokenFile"] as? String {
            token = (try? String(contentsOfFile: tf, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return KubeConfig(
            server: server.hasSuffix("/") ? String(server.dropLast()) : server,
            caPEM: dataOrFile(cluster, "certificate-authority-data", "certificate-authority"),
            token: token,
            clientCertPEM: dataOrFile(user, "client-certificate-data", "client-certificate"),
            clientKeyPEM: dataOrFile(user, "client-key-data", "client-key"),
            insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false,
            namespace: ctx["namespace"] as? String ?? "default")
    }
}
