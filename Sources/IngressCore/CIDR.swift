/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128).
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// Network address bytes (4 or 16), host bits cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses `addr` or `addr/len`; nil for anything else (no zone ids, no leading zeros in IPv4 octets).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let addr = IPAddress.parse(String(parts[0])) else { return nil }
        let maxLen = addr.count * 8
        var len = maxLen
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy(\.isASCIIDigit), parts[1].count <= 3, let l = Int(parts[1]),
                l <= maxLen
            else { return nil }
            len = l
        }
        network = IPAddress.mask(addr, prefixLength: len)
        prefixLength = len
    }

    /// Whether `address` (text form) lies in this network. IPv4-mapped IPv6 clients (`::ffff:a.b.c.d`) are
    /// compared as IPv4, since dual-stack listeners report IPv4 peers that way.
    public func contains(_ address: String) -> Bool {
        guard var a = IPAddress.parse(address) else { return false }
        if a.count == 16, network.count == 4, a[0..<10].allSatisfy({ $0 == 0 }), a[10] == 0xff, a[11] == 0xff {
            a = Array(a[12...])
        }
        guard a.count == network.count else { return false }
        return IPAddress.mask(a, prefixLength: prefixLength) == network
    }

    public var description: String { "\(IPAddress.format(network))/\(prefixLength)" }

    /// Parses a comma-separated list (spaces allowed); nil when any entry is invalid. An empty list is `[]`.
    public static func parseList(_ text: String) -> [CIDR]? {
        var out: [CIDR] = []
        for item in text.split(separator: ",") {
            let t = item.trimmingASCIISpaces()
            if t.isEmpty { continue }
            guard let c = CIDR(String(t)) else { return nil }
            out.append(c)
        }
        return out
    }
}

/// Minimal textual IP address parsing (no Foundation/inet_pton, so it behaves the same on every platform).
enum IPAddress {
    static func parse(_ s: String) -> [UInt8]? {
        if s.contains(":") { return parseV6(Substring(s)) }
        return parseV4(Substring(s))
    }

    static func parseV4(_ s: Substring) -> [UInt8]? {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var out: [UInt8] = []
        for o in octets {
            guard (1...3).contains(o.count), o.allSatisfy(\.isASCIIDigit), !(o.count > 1 && o.first == "0"),
                let v = Int(o), v <= 255
            else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    static func parseV6(_ s: Substring) -> [UInt8]? {
        var text = s
        var tail: [UInt8] = []
        // Embedded IPv4 in the last 32 bits (::ffff:1.2.3.4).
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            guard let v4 = parseV4(text[text.index(after: lastColon)...]) else { return nil }
            tail = v4
            text = text[...lastColon]
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
        }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                out.append(UInt8(v >> 8))
                out.append(UInt8(v & 0xff))
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 {
            let all = head + tail
            return all.count == 16 ? all : nil
        }
        guard let rest = groups(halves[1]) else { return nil }
        let known = head.count + rest.count + tail.count
        guard known <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - known) + rest + tail
    }

    static func mask(_ a: [UInt8], prefixLength: Int) -> [UInt8] {
        var out = a
        for i in 0..<out.count {
            let bits = max(0, min(8, prefixLength - i * 8))
            out[i] &= bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
        return out
    }

    static func format(_ a: [UInt8]) -> String {
        if a.count == 4 { return a.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: a.count, by: 2) {
            groups.append(String(UInt16(a[i]) << 8 | UInt16(a[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Substring {
    /// Splits on the first `::` only; a second `::` yields three parts (invalid).
    func components(separatedByDoubleColon: ()) -> [Substring] {
        var parts: [Substring] = []
        var start = startIndex
        var i = startIndex
        while i < endIndex {
            let next = index(after: i)
            if self[i] == ":", next < endIndex, self[next] == ":" {
                parts.append(self[start..<i])
                start = index(after: next)
                i = start
                continue
            }
            i = next
        }
        parts.append(self[start..<endIndex])
        return parts
    }

    func trimmingASCIISpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
