/// Path and host comparison rules from Ingress v1 (reference ingress.md §1.2, §1.4).
public enum PathMatching {
    /// `Prefix` semantics: the rule's `/`-separated elements must equal the request's first elements. One leading
    /// and one trailing `/` are ignored on both sides, so `/foo/` and `/foo` match each other and `/foo` never
    /// matches `/foobar`. Rule `/` matches every path. Case-sensitive.
    public static func prefixMatches(rule: String, path: String) -> Bool {
        let r = elements(of: rule)
        if r.isEmpty { return true }
        let p = elements(of: path)
        guard p.count >= r.count else { return false }
        return zip(r, p).allSatisfy { $0 == $1 }
    }

    /// `Exact` semantics: whole-string, case-sensitive equality (`/foo` ≠ `/foo/`).
    public static func exactMatches(rule: String, path: String) -> Bool { rule == path }

    /// Path elements with one leading and one trailing `/` removed; `/` and `` have none.
    static func elements(of path: String) -> [Substring] {
        var s = Substring(path)
        if s.hasPrefix("/") { s = s.dropFirst() }
        if s.hasSuffix("/") { s = s.dropLast() }
        if s.isEmpty { return [] }
        return s.split(separator: "/", omittingEmptySubsequences: false)
    }

    /// Lowercases a Host header or SNI name and strips `:port`, IPv6 brackets and one trailing dot, so it compares
    /// with stored rule hosts (which are lowercase and port-less).
    public static func normalizeHost(_ raw: String) -> String {
        var h = Substring(raw)
        if h.hasPrefix("[") {
            // [v6]:port — keep the literal without brackets.
            if let close = h.firstIndex(of: "]") { h = h[h.index(after: h.startIndex)..<close] }
        } else if let colon = h.firstIndex(of: ":"), h[h.index(after: colon)...].firstIndex(of: ":") == nil {
            h = h[..<colon]
        }
        if h.hasSuffix(".") { h = h.dropLast() }
        return h.lowercased()
    }

    /// The `*.suffix` wildcard key that could cover `host` (exactly one leading label replaced), or nil for a
    /// single-label host.
    public static func wildcardKey(for host: String) -> String? {
        guard let dot = host.firstIndex(of: "."), dot != host.startIndex else { return nil }
        let rest = host[host.index(after: dot)...]
        if rest.isEmpty { return nil }
        return "*." + rest
    }

    /// Normalizes a request path the way nginx does before location matching: cuts `?query`/`#fragment`,
    /// percent-decodes, merges repeated `/`, and resolves `.`/`..` segments. Returns nil for a path that is not
    /// origin-form, has a bad or NUL escape, or climbs above `/` — the shell answers 400 for those. Routing always
    /// uses this form, so `/public/../admin` is routed as `/admin`; the upstream still gets the raw request-target.
    public static func normalizePath(_ raw: String) -> String? {
        var s = Substring(raw)
        if let cut = s.firstIndex(where: { $0 == "?" || $0 == "#" }) { s = s[..<cut] }
        if s.isEmpty { return "/" }
        guard s.hasPrefix("/") else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            guard b == UInt8(ascii: "%") else {
                bytes.append(b)
                continue
            }
            guard let h = it.popFirst(), let l = it.popFirst(), let hv = hexValue(h), let lv = hexValue(l) else {
                return nil
            }
            let v = hv << 4 | lv
            if v == 0 { return nil }
            bytes.append(v)
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        let endsWithSlash = decoded.hasSuffix("/")
        var out: [Substring] = []
        let parts = decoded.split(separator: "/", omittingEmptySubsequences: true)
        for part in parts {
            switch part {
            case ".": continue
            case "..":
                if out.isEmpty { return nil }
                out.removeLast()
            default: out.append(part)
            }
        }
        // A trailing "." or ".." names a directory, as in nginx ("/a/b/.." → "/a/").
        let lastIsDot = parts.last.map { $0 == "." || $0 == ".." } ?? false
        var result = "/" + out.joined(separator: "/")
        if (endsWithSlash || lastIsDot) && !out.isEmpty { result += "/" }
        return result
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Whether `host` is acceptable as a rule or TLS host: lowercase DNS-1123 subdomain, or `*.` + one, and not an
    /// IP address (apiserver validation; re-checked because stored objects may predate it).
    public static func isValidRuleHost(_ host: String) -> Bool {
        var name = Substring(host)
        if name.hasPrefix("*.") { name = name.dropFirst(2) }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count) else { return false }
            for (i, c) in label.utf8.enumerated() {
                let alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
                let dash = c == UInt8(ascii: "-") && i != 0 && i != label.utf8.count - 1
                if !(alnum || dash) { return false }
            }
        }
        // DNS-1123 allows all-digit labels, so "1.2.3.4" passes the loop; an IP is still not a host.
        if labels.count == 4 && labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) && !host.hasPrefix("*.") {
            return false
        }
        return true
    }
}
