#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import NIOHTTP1

/// Header rewriting between client and backend, as pure functions of the heads involved.
enum ProxyHeaders {
    /// Hop-by-hop fields (RFC 9110 §7.6.1) plus the `Proxy-*` and HTTP/2 upgrade fields that never cross a proxy.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "http2-settings",
    ]

    /// Facts about the downstream request the upstream head is derived from.
    struct Forwarding {
        var clientAddress: String?
        var isTLS: Bool
        var listenerPort: Int?
        var requestID: String
        /// `upstream-vhost`, replacing the Host sent to the backend.
        var hostOverride: String?
        /// The request-target to send (raw, or rewritten with the original query re-appended).
        var uri: String
        var isWebSocket: Bool
    }

    /// Field names the `Connection` header lists, lowercased. `host` is never honoured so a client cannot make
    /// us drop it.
    static func connectionTokens(_ headers: HTTPHeaders) -> Set<String> {
        var out = Set<String>()
        for v in headers["connection"] {
            for t in v.split(separator: ",") {
                let n = t.trimmingSpaces().lowercased()
                if !n.isEmpty && n != "host" { out.insert(n) }
            }
        }
        return out
    }

    /// Whether a request asks for a WebSocket upgrade (HTTP/1.1 `Connection: upgrade` + `Upgrade: websocket`).
    static func isWebSocketUpgrade(_ head: HTTPRequestHead) -> Bool {
        guard head.version == .http1_1, connectionTokens(head.headers).contains("upgrade") else { return false }
        return head.headers["upgrade"].contains { $0.lowercased().contains("websocket") }
    }

    /// The HTTP/1.1 request head sent upstream: hop-by-hop fields removed, Host kept (or `upstream-vhost`), and the
    /// X-Forwarded-* / X-Real-IP / X-Request-ID set as ingress-nginx does. Client-sent X-Forwarded-Host/-Port/-Proto
    /// and X-Real-IP are replaced, X-Forwarded-For is appended to.
    static func upstreamRequest(_ head: HTTPRequestHead, _ f: Forwarding) -> HTTPRequestHead {
        let listed = connectionTokens(head.headers)
        let originalHost = head.headers.first(name: "host") ?? ""
        let upgrade = head.headers.first(name: "upgrade")
        var h = HTTPHeaders()
        h.reserveCapacity(head.headers.count + 8)
        var priorXFF: [String] = []
        for (name, value) in head.headers {
            let n = name.lowercased()
            if hopByHop.contains(n) || listed.contains(n) || n.hasPrefix("proxy-") { continue }
            switch n {
            case "x-forwarded-for":
                priorXFF.append(value)
                continue
            case "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto", "x-forwarded-scheme", "x-real-ip",
                "x-scheme", "x-request-id":
                continue
            case "expect":
                // 100-continue is answered by the proxy itself; an upstream 100 would be swallowed.
                if value.lowercased() == "100-continue" { continue }
            case "host":
                if f.hostOverride != nil { continue }
            default: break
            }
            h.add(name: name, value: value)
        }
        if let v = f.hostOverride { h.add(name: "Host", value: v) }
        let proto = f.isTLS ? "https" : "http"
        let client = f.clientAddress ?? ""
        h.add(name: "X-Request-ID", value: f.requestID)
        if !client.isEmpty { h.add(name: "X-Real-IP", value: client) }
        let xff = (priorXFF + (client.isEmpty ? [] : [client])).joined(separator: ", ")
        if !xff.isEmpty { h.add(name: "X-Forwarded-For", value: xff) }
        h.add(name: "X-Forwarded-Host", value: originalHost)
        if let p = f.listenerPort { h.add(name: "X-Forwarded-Port", value: "\(p)") }
        h.add(name: "X-Forwarded-Proto", value: proto)
        h.add(name: "X-Forwarded-Scheme", value: proto)
        h.add(name: "X-Scheme", value: proto)
        if f.isWebSocket, let upgrade {
            h.add(name: "Upgrade", value: upgrade)
            h.add(name: "Connection", value: "upgrade")
        }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: f.uri, headers: h)
    }

    /// How the downstream response is framed and whether the connection ends after it.
    struct ResponsePlan: Equatable {
        var head: HTTPResponseHead
        /// False for HEAD, 1xx, 204 and 304: no body bytes may be written.
        var hasBody: Bool
        /// The response is delimited by closing the connection (HTTP/1.0 client, unknown length).
        var closeAfter: Bool
    }

    /// The response head for the client: hop-by-hop fields removed, `Server`/`Date` added when absent, extra
    /// headers (CORS) appended, framing decided for HTTP/1 (Content-Length kept, else chunked for HTTP/1.1, else
    /// close-delimited), and the connection disposition stated.
    static func downstreamResponse(
        _ up: HTTPResponseHead, requestMethod: HTTPMethod, clientVersion: HTTPVersion, keepAlive: Bool,
        isHTTP2: Bool, serverName: String, date: String, extra: [(String, String)] = []
    ) -> ResponsePlan {
        let listed = connectionTokens(up.headers)
        let isUpgrade = up.status == .switchingProtocols
        var h = HTTPHeaders()
        h.reserveCapacity(up.headers.count + 4)
        var sawServer = false
        var sawDate = false
        var contentLength: String?
        for (name, value) in up.headers {
            let n = name.lowercased()
            if n == "upgrade" && isUpgrade && !isHTTP2 {
                h.add(name: name, value: value)
                continue
            }
            if hopByHop.contains(n) || listed.contains(n) || n == "proxy-authenticate" { continue }
            switch n {
            case "server": sawServer = true
            case "date": sawDate = true
            case "content-length":
                // A backend listing several lengths is ambiguous; keep the first only if all agree.
                if let c = contentLength, c != value { continue }
                if contentLength != nil { continue }
                contentLength = value
            default: break
            }
            h.add(name: name, value: value)
        }
        if !sawServer { h.add(name: "Server", value: serverName) }
        if !sawDate { h.add(name: "Date", value: date) }
        for (n, v) in extra { h.add(name: n, value: v) }
        let code = up.status.code
        let hasBody = requestMethod != .HEAD && !(100..<200).contains(code) && code != 204 && code != 304
        var closeAfter = !keepAlive
        if isHTTP2 {
            return ResponsePlan(
                head: HTTPResponseHead(version: clientVersion, status: up.status, headers: h), hasBody: hasBody,
                closeAfter: false)
        }
        if isUpgrade {
            h.add(name: "Connection", value: "upgrade")
            return ResponsePlan(
                head: HTTPResponseHead(version: clientVersion, status: up.status, headers: h), hasBody: false,
                closeAfter: false)
        }
        if hasBody && contentLength == nil {
            if clientVersion == .http1_1 {
                h.add(name: "Transfer-Encoding", value: "chunked")
            } else {
                closeAfter = true
            }
        }
        if closeAfter {
            h.add(name: "Connection", value: "close")
        } else if clientVersion == .http1_0 {
            h.add(name: "Connection", value: "keep-alive")
        }
        return ResponsePlan(
            head: HTTPResponseHead(version: clientVersion, status: up.status, headers: h), hasBody: hasBody,
            closeAfter: closeAfter)
    }

    /// A fresh request ID: 32 lowercase hex digits (ingress-nginx `$req_id`).
    static func makeRequestID<G: RandomNumberGenerator>(using g: inout G) -> String {
        let a = g.next() as UInt64
        let b = g.next() as UInt64
        return hex(a) + hex(b)
    }

    private static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// Request IDs from the kernel's cryptographic generator, fetched 4 KiB at a time: one read per
/// 256 requests instead of two `getrandom` calls per request.
final class RequestIDSource: Sendable {
    private struct Pool: RandomNumberGenerator {
        var words: [UInt64] = []
        mutating func next() -> UInt64 {
            if words.isEmpty {
                words = [UInt64](repeating: 0, count: 512)
                // Glibc's module does not export getrandom(2); /dev/urandom is the same source.
                let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
                let filled = fd < 0 ? -1 : words.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if fd >= 0 { close(fd) }
                if filled != words.count * 8 {  // not expected; fall back to one call per word
                    var system = SystemRandomNumberGenerator()
                    for i in words.indices { words[i] = system.next() }
                }
            }
            return words.removeLast()
        }
    }

    private let pool = Mutex(Pool())

    func next() -> String {
        pool.withLock { ProxyHeaders.makeRequestID(using: &$0) }
    }
}
