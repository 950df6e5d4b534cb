import NIOHTTP1

/// Checks on a decoded request head that the HTTP/1 parser does not already make, so framing ambiguities
/// (request smuggling) never reach a backend. Pure: returns the status to answer with, or nil to go on.
enum RequestValidation {
    /// A rejected request: the status (400, 501 or 505) and a short reason for the log.
    struct Rejection: Error, Equatable {
        var status: HTTPResponseStatus
        var reason: String
    }

    /// The body framing a valid request declared.
    enum Framing: Equatable {
        case none
        case contentLength(Int64)
        case chunked
    }

    /// Validates `head` and returns its body framing. HTTP/2 requests (converted to HTTP/1 heads by the codec)
    /// skip the HTTP/1-only framing rules: the h2 layer already checked them.
    static func validate(_ head: HTTPRequestHead, isHTTP2: Bool) -> Result<Framing, Rejection> {
        if !isHTTP2 && !(head.version.major == 1 && (head.version.minor == 0 || head.version.minor == 1)) {
            return .failure(Rejection(status: .httpVersionNotSupported, reason: "unsupported HTTP version"))
        }
        let hosts = head.headers[canonicalForm: "host"]
        if hosts.count > 1 || head.headers["host"].count > 1 {
            return .failure(Rejection(status: .badRequest, reason: "duplicate Host header"))
        }
        if let host = head.headers.first(name: "host") {
            if !isValidHost(host) { return .failure(Rejection(status: .badRequest, reason: "invalid Host header")) }
        } else if !isHTTP2 && head.version.minor >= 1 {
            return .failure(Rejection(status: .badRequest, reason: "HTTP/1.1 request without Host"))
        } else if isHTTP2 {
            return .failure(Rejection(status: .badRequest, reason: "request without :authority"))
        }
        let lengths = head.headers["content-length"]
        let codings = head.headers["transfer-encoding"]
        if !lengths.isEmpty && !codings.isEmpty {
            return .failure(Rejection(status: .badRequest, reason: "Content-Length with Transfer-Encoding"))
        }
        if lengths.count > 1 {
            return .failure(Rejection(status: .badRequest, reason: "duplicate Content-Length"))
        }
        if let l = lengths.first {
            guard let n = parseLength(l) else {
                return .failure(Rejection(status: .badRequest, reason: "invalid Content-Length"))
            }
            return .success(n == 0 ? .none : .contentLength(n))
        }
        if !codings.isEmpty {
            if isHTTP2 { return .failure(Rejection(status: .badRequest, reason: "Transfer-Encoding in HTTP/2")) }
            if head.version.minor == 0 {
                return .failure(Rejection(status: .badRequest, reason: "Transfer-Encoding in HTTP/1.0"))
            }
            // Only a lone `chunked` is unambiguous; nginx answers 501 for other codings.
            let all = codings.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces().lowercased() }
            guard all == ["chunked"] else {
                return .failure(Rejection(status: .notImplemented, reason: "unsupported Transfer-Encoding"))
            }
            return .success(.chunked)
        }
        return .success(.none)
    }

    /// Digits only (no sign, no list, no spaces), at most 18 of them so the value fits an Int64.
    static func parseLength(_ s: String) -> Int64? {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 18, u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(s)
    }

    /// A Host header as nginx accepts it: printable, no `/`, `\`, whitespace or control bytes, bounded length.
    static func isValidHost(_ h: String) -> Bool {
        guard !h.isEmpty, h.utf8.count <= 255 else { return false }
        for b in h.utf8 {
            if b <= 0x20 || b == 0x7F || b == UInt8(ascii: "/") || b == UInt8(ascii: "\\") { return false }
        }
        return true
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
