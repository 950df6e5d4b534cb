import AsyncHTTPClient
import Foundation
import KubeAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Errors from talking to a Kubernetes API server.
public enum KubeClientError: Error, Equatable, CustomStringConvertible {
    /// The server answered with a `metav1.Status` failure.
    case status(code: Int, reason: String, message: String)
    /// The connection failed or the response was unreadable.
    case transport(String)

    public var description: String {
        switch self {
        case .status(let c, let r, let m): return "\(c) \(r): \(m)"
        case .transport(let s): return s
        }
    }

    /// `410 Gone` / `Expired`: the resourceVersion is too old; the caller must relist.
    public var isGone: Bool {
        if case .status(let c, let r, _) = self { return c == 410 || r == "Expired" || r == "Gone" }
        return false
    }

    public var isNotFound: Bool {
        if case .status(404, _, _) = self { return true }
        return false
    }

    public var isConflict: Bool {
        if case .status(409, _, _) = self { return true }
        return false
    }
}

/// One watch event as the API sends it.
public struct WatchEvent: Sendable {
    public var type: String  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
    public var object: JSON
}

/// A small Kubernetes REST client (JSON over HTTPS) for list/watch and controller writes.
public final class KubeClient: Sendable {
    let http: HTTPClient
    public let config: KubeConfig
    let logger: Logger

    public init(config: KubeConfig, logger: Logger) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = config.caPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if config.insecureSkipTLSVerify { tls.certificateVerification = .none }
        if let cert = config.clientCertPEM, let key = config.clientKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        var c = HTTPClient.Configuration(tlsConfiguration: tls)
        c.httpVersion = .http1Only
        c.timeout = .init(connect: .seconds(5), read: nil)
        c.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
        self.config = config
        self.logger = logger
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// `/api/v1/namespaces/ns/services[/name[/sub]]`.
    public static func path(_ r: ResourceType, namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var p = r.group.isEmpty ? "/api/\(r.version)" : "/apis/\(r.group)/\(r.version)"
        if r.namespaced, let namespace { p += "/namespaces/\(namespace)" }
        p += "/\(r.plural)"
        if let name { p += "/\(name)" }
        if let subresource { p += "/\(subresource)" }
        return p
    }

    func request(_ method: HTTPMethod, _ pathAndQuery: String, body: JSON? = nil, contentType: String = "application/json") -> HTTPClientRequest {
        var req = HTTPClientRequest(url: config.server + pathAndQuery)
        req.method = method
        req.headers.add(name: "Accept", value: "application/json")
        req.headers.add(name: "User-Agent", value: "ferry/v1.32.4")
        if let t = config.token { req.headers.add(name: "Authorization", value: "Bearer \(t)") }
        if let body {
            req.headers.add(name: "Content-Type", value: contentType)
            req.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        return req
    }

    /// Sends a request and decodes a JSON body; non-2xx become `.status`.
    public func send(_ method: HTTPMethod, _ pathAndQuery: String, body: JSON? = nil, contentType: String = "application/json", timeout: TimeAmount = .seconds(30)) async throws(KubeClientError) -> JSON {
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request(method, pathAndQuery, body: body, contentType: contentType), timeout: timeout)
            bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
        } catch {
            throw .transport("\(method) \(pathAndQuery): \(error)")
        }
        let json = (try? JSON.parse(bytes.readableBytesView)) ?? .null
        guard (200..<300).contains(Int(response.status.code)) else {
            throw .status(
                code: Int(response.status.code), reason: json["reason"]?.stringValue ?? response.status.reasonPhrase,
                message: json["message"]?.stringValue ?? String(buffer: bytes))
        }
        return json
    }

    public func list(_ r: ResourceType, namespace: String? = nil, labelSelector: String? = nil) async throws(KubeClientError) -> (items: [JSON], resourceVersion: String) {
        var items: [JSON] = []
        var cont: String? = nil
        var rv = ""
        repeat {
            var q = "?limit=500"
            if let labelSelector { q += "&labelSelector=" + Self.escape(labelSelector) }
            if let c = cont { q += "&continue=" + Self.escape(c) }
            let page = try await send(.GET, Self.path(r, namespace: namespace) + q)
            for var item in page["items"]?.arrayValue ?? [] {
                // List items omit apiVersion/kind on real servers; fill them in.
                item["apiVersion"] = .string(r.apiVersion)
                item["kind"] = .string(r.kind)
                items.append(item)
            }
            rv = page.at("metadata", "resourceVersion")?.stringValue ?? rv
            cont = page.at("metadata", "continue")?.stringValue
            if cont?.isEmpty == true { cont = nil }
        } while cont != nil
        return (items, rv)
    }

    /// Streams watch events after `resourceVersion` until the server closes (timeoutSeconds) or an error.
    public func watch(_ r: ResourceType, resourceVersion: String, timeoutSeconds: Int = 300, onEvent: (WatchEvent) async throws -> Void) async throws {
        let q = "?watch=true&allowWatchBookmarks=true&resourceVersion=\(resourceVersion)&timeoutSeconds=\(timeoutSeconds)"
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request(.GET, Self.path(r, namespace: nil) + q), timeout: .seconds(Int64(timeoutSeconds + 30)))
        } catch {
            throw KubeClientError.transport("watch \(r.plural): \(error)")
        }
        guard response.status == .ok else {
            let bytes = try? await response.body.collect(upTo: 1 << 20)
            let json = bytes.flatMap { try? JSON.parse($0.readableBytesView) } ?? .null
            throw KubeClientError.status(
                code: Int(response.status.code), reason: json["reason"]?.stringValue ?? "",
                message: json["message"]?.stringValue ?? "")
        }
        var pending: [UInt8] = []
        for try await chunk in response.body {
            pending.append(contentsOf: chunk.readableBytesView)
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = pending[..<nl]
                defer { pending.removeSubrange(...nl) }
                if line.isEmpty { continue }
                guard let ev = try? JSON.parse(line) else { throw KubeClientError.transport("watch \(r.plural): malformed event") }
                let type = ev["type"]?.stringValue ?? ""
                var obj = ev["object"] ?? .null
                if type == "ERROR" {
                    throw KubeClientError.status(
                        code: Int(obj["code"]?.intValue ?? 500), reason: obj["reason"]?.stringValue ?? "",
                        message: obj["message"]?.stringValue ?? "")
                }
                if type != "BOOKMARK" {
                    obj["apiVersion"] = .string(r.apiVersion)
                    obj["kind"] = .string(r.kind)
                }
                try await onEvent(WatchEvent(type: type, object: obj))
            }
        }
    }

    public func create(_ r: ResourceType, namespace: String?, _ obj: JSON) async throws(KubeClientError) -> JSON {
        try await send(.POST, Self.path(r, namespace: namespace) + "?fieldManager=ferry", body: obj)
    }

    public func update(_ r: ResourceType, namespace: String?, name: String, subresource: String? = nil, _ obj: JSON) async throws(KubeClientError) -> JSON {
        try await send(.PUT, Self.path(r, namespace: namespace, name: name, subresource: subresource) + "?fieldManager=ferry", body: obj)
    }

    public func mergePatch(_ r: ResourceType, namespace: String?, name: String, subresource: String? = nil, _ patch: JSON) async throws(KubeClientError) -> JSON {
        try await send(
            .PATCH, Self.path(r, namespace: namespace, name: name, subresource: subresource) + "?fieldManager=ferry", body: patch,
            contentType: "application/merge-patch+json")
    }

    public func delete(_ r: ResourceType, namespace: String?, name: String) async throws(KubeClientError) {
        _ = try await send(.DELETE, Self.path(r, namespace: namespace, name: name))
    }

    static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
