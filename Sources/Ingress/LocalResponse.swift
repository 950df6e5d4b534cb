import IngressCore
import NIOCore
import NIOHTTP1

/// A response the proxy answers itself (errors, redirects, CORS preflights): head fields and body, framed by the
/// caller. Pure, so tests can pin the exact bytes.
struct LocalResponse: Sendable, Equatable {
    var status: HTTPResponseStatus
    var headers: [(String, String)]
    var body: String

    static func == (a: LocalResponse, b: LocalResponse) -> Bool {
        a.status == b.status && a.body == b.body
            && a.headers.map { $0.0 + ":" + $0.1 } == b.headers.map { $0.0 + ":" + $0.1 }
    }

    /// nginx's error page shape, signed with `serverName`.
    static func errorPage(_ status: HTTPResponseStatus, serverName: String) -> LocalResponse {
        let title = "\(status.code) \(status.reasonPhrase)"
        let body =
            "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n"
            + "<hr><center>\(serverName)</center>\r\n</body>\r\n</html>\r\n"
        return LocalResponse(status: status, headers: [("Content-Type", "text/html")], body: body)
    }

    static func redirect(status code: Int, location: String, serverName: String) -> LocalResponse {
        var r = errorPage(HTTPResponseStatus(statusCode: code), serverName: serverName)
        r.headers.append(("Location", location))
        return r
    }

    /// 401 with a Basic challenge for `realm` (quotes and backslashes are not allowed in realms by the core).
    static func unauthorized(realm: String, serverName: String) -> LocalResponse {
        var r = errorPage(.unauthorized, serverName: serverName)
        r.headers.append(("WWW-Authenticate", "Basic realm=\"\(realm)\""))
        return r
    }

    /// ingress-nginx's preflight answer: 204 with the policy's headers, for an allowed `origin`.
    static func corsPreflight(_ policy: CORSPolicy, allowedOrigin: String) -> LocalResponse {
        LocalResponse(
            status: .noContent,
            headers: CORSHeaders.response(policy, allowedOrigin: allowedOrigin) + [
                ("Access-Control-Max-Age", "\(policy.maxAgeSeconds)"),
                ("Content-Type", "text/plain charset=UTF-8"),
            ], body: "")
    }

    /// The full response head: Server, Date, our headers, Content-Length, then the connection disposition.
    func head(version: HTTPVersion, keepAlive: Bool, isHTTP2: Bool, serverName: String, date: String)
        -> HTTPResponseHead
    {
        var h = HTTPHeaders()
        h.add(name: "Server", value: serverName)
        h.add(name: "Date", value: date)
        for (n, v) in headers { h.add(name: n, value: v) }
        h.add(name: "Content-Length", value: "\(body.utf8.count)")
        if !isHTTP2 {
            if !keepAlive {
                h.add(name: "Connection", value: "close")
            } else if version == .http1_0 {
                h.add(name: "Connection", value: "keep-alive")
            }
        }
        return HTTPResponseHead(version: version, status: status, headers: h)
    }
}

/// CORS response headers ingress-nginx adds (preflight and actual responses) for an allowed origin.
enum CORSHeaders {
    static func response(_ p: CORSPolicy, allowedOrigin: String) -> [(String, String)] {
        var out: [(String, String)] = [("Access-Control-Allow-Origin", allowedOrigin)]
        if p.allowCredentials { out.append(("Access-Control-Allow-Credentials", "true")) }
        out.append(("Access-Control-Allow-Methods", p.allowMethods))
        out.append(("Access-Control-Allow-Headers", p.allowHeaders))
        if !p.exposeHeaders.isEmpty { out.append(("Access-Control-Expose-Headers", p.exposeHeaders)) }
        return out
    }
}
