/// An IPv4 address (the four octets of an A record).
public struct IPv4Address: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Strict dotted-quad: four decimal octets, no leading zeros (as Go's `net.ParseIP`).
    public init?(_ text: some StringProtocol) {
        var v: UInt32 = 0
        var parts = 0
        var cur = -1
        var digits = 0
        var leadingZero = false
        for b in text.utf8 {
            if b == UInt8(ascii: ".") {
                guard cur >= 0, parts < 3 else { return nil }
                v = v << 8 | UInt32(cur)
                parts += 1
                cur = -1; digits = 0; leadingZero = false
            } else if b >= 0x30 && b <= 0x39 {
                if digits == 1 && leadingZero { return nil }
                if digits == 0 { leadingZero = b == 0x30 }
                cur = (cur < 0 ? 0 : cur) * 10 + Int(b - 0x30)
                digits += 1
                guard cur <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard cur >= 0, parts == 3 else { return nil }
        value = v << 8 | UInt32(cur)
    }

    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    /// `d.c.b.a.in-addr.arpa.`
    public var reverseName: DNSName {
        // Labels are decimal octets, always valid.
        (try? DNSName(labels: bytes.reversed().map(String.init) + ["in-addr", "arpa"])) ?? .root
    }
}

/// An IPv6 address (the sixteen octets of an AAAA record).
public struct IPv6Address: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16)
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// RFC 4291 text form, including `::` and a trailing dotted quad; no zone index.
    public init?(_ text: some StringProtocol) {
        let s = String(text)
        guard s.utf8.count >= 2, s.utf8.count <= 45, s.contains(":") else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDouble = false
        let pieces = s.split(separator: ":", omittingEmptySubsequences: false)
        // "::" shows up as an empty piece (two at the start or the end).
        var i = 0
        var groups: [Substring] = Array(pieces)
        if groups.first == "" {
            guard groups.count > 1, groups[1] == "" else { return nil }
            groups.removeFirst()
        }
        if groups.last == "" {
            guard groups.count > 1, groups[groups.count - 2] == "" else { return nil }
            groups.removeLast()
        }
        while i < groups.count {
            let g = groups[i]
            let isLast = i == groups.count - 1
            if g.isEmpty {
                guard !sawDouble else { return nil }
                sawDouble = true
            } else if isLast, g.contains(".") {
                guard let v4 = IPv4Address(g) else { return nil }
                if sawDouble {
                    tail.append(UInt16(v4.value >> 16)); tail.append(UInt16(truncatingIfNeeded: v4.value))
                } else {
                    head.append(UInt16(v4.value >> 16)); head.append(UInt16(truncatingIfNeeded: v4.value))
                }
            } else {
                guard g.utf8.count <= 4, let v = UInt16(g, radix: 16), g.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") }) else { return nil }
                if sawDouble { tail.append(v) } else { head.append(v) }
            }
            i += 1
        }
        let total = head.count + tail.count
        if sawDouble {
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let all = head + Array(repeating: 0, count: 8 - total) + tail
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<4 { h = h << 16 | UInt64(all[k]) }
        for k in 4..<8 { l = l << 16 | UInt64(all[k]) }
        high = h
        low = l
    }

    public var bytes: [UInt8] {
        (0..<16).map { i in
            i < 8 ? UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i))) : UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i - 8)))
        }
    }

    var groups: [UInt16] {
        (0..<8).map { i in
            i < 4 ? UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i))) : UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i - 4)))
        }
    }

    /// RFC 5952 canonical text: lowercase, no leading zeros, longest zero run (>= 2 groups) as `::`.
    public var description: String {
        let g = groups
        var bestStart = -1, bestLen = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLen { bestStart = runStart; bestLen = i - runStart }
                runStart = -1
            }
        }
        if bestLen < 2 { bestStart = -1 }
        var s = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                s += "::"
                i += bestLen
                continue
            }
            if !s.isEmpty && !s.hasSuffix(":") { s += ":" }
            s += String(g[i], radix: 16)
            i += 1
        }
        return s
    }

    /// 32 reversed nibbles under `ip6.arpa.` (the address written fully expanded, then reversed).
    public var reverseName: DNSName {
        let hex = Array("0123456789abcdef")
        var labels: [String] = []
        labels.reserveCapacity(34)
        for b in bytes.reversed() {
            labels.append(String(hex[Int(b & 0xF)]))
            labels.append(String(hex[Int(b >> 4)]))
        }
        return (try? DNSName(labels: labels + ["ip6", "arpa"])) ?? .root
    }
}

/// Either address family; what Kubernetes objects carry as strings.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: some StringProtocol) {
        if let a = IPv4Address(text) { self = .v4(a) } else if let a = IPv6Address(text) { self = .v6(a) } else { return nil }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }

    public var reverseName: DNSName {
        switch self {
        case .v4(let a): return a.reverseName
        case .v6(let a): return a.reverseName
        }
    }
}
