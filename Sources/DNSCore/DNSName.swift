/// A domain name in uncompressed wire form (length-prefixed labels ending in the root label).
///
/// Equality and hashing are ASCII case-insensitive, as DNS name comparison is (RFC 4343), while
/// the stored bytes keep the case they were created with, so an answer can echo the query's case.
/// Use `description` or `wire` when the exact spelling matters.
public struct DNSName: Sendable {
    /// Wire bytes: `len label len label ... 0`. Invariant: valid labels (1...63 bytes), total <= 255.
    public private(set) var wire: [UInt8]

    /// The root name `.`.
    public static let root = DNSName(uncheckedWire: [0])

    init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// Parses presentation form (`svc1.testns.svc.cluster.local.`; the trailing dot is optional).
    /// `\.` and `\DDD` escapes are accepted. Throws `DNSWireError.invalidName` on empty labels,
    /// labels over 63 bytes or names over 255 bytes.
    public init(_ text: String) throws(DNSWireError) {
        if text == "." || text.isEmpty { self = .root; return }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        var label: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        func flush() throws(DNSWireError) {
            guard !label.isEmpty, label.count <= 63 else { throw .invalidName }
            out.append(UInt8(label.count))
            out.append(contentsOf: label)
            label.removeAll(keepingCapacity: true)
        }
        while let b = bytes.popFirst() {
            switch b {
            case UInt8(ascii: "."):
                try flush()
            case UInt8(ascii: "\\"):
                guard let n = bytes.popFirst() else { throw .invalidName }
                if n >= 0x30 && n <= 0x39 {
                    guard bytes.count >= 2 else { throw .invalidName }
                    let d = [n, bytes.removeFirst(), bytes.removeFirst()]
                    guard d.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .invalidName }
                    let v = Int(d[0] - 0x30) * 100 + Int(d[1] - 0x30) * 10 + Int(d[2] - 0x30)
                    guard v <= 255 else { throw .invalidName }
                    label.append(UInt8(v))
                } else {
                    label.append(n)
                }
            default:
                label.append(b)
            }
        }
        if !label.isEmpty { try flush() }
        out.append(0)
        guard out.count <= 255 else { throw .invalidName }
        self.wire = out
    }

    /// Builds a name from labels (no escaping; each label must be 1...63 bytes).
    public init(labels: [String]) throws(DNSWireError) {
        var out: [UInt8] = []
        for l in labels {
            let u = Array(l.utf8)
            guard !u.isEmpty, u.count <= 63 else { throw .invalidName }
            out.append(UInt8(u.count))
            out.append(contentsOf: u)
        }
        out.append(0)
        guard out.count <= 255 else { throw .invalidName }
        wire = out
    }

    /// Number of labels, not counting the root.
    public var labelCount: Int {
        var n = 0, i = 0
        while wire[i] != 0 { n += 1; i += Int(wire[i]) + 1 }
        return n
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The labels as strings (lossy for non-UTF-8 bytes); mostly for tests and logs.
    public var labels: [String] {
        var out: [String] = []
        var i = 0
        while wire[i] != 0 {
            let n = Int(wire[i])
            out.append(String(decoding: wire[(i + 1)..<(i + 1 + n)], as: UTF8.self))
            i += n + 1
        }
        return out
    }

    /// Byte offsets of each label's length byte, first label first.
    var labelOffsets: [Int] {
        var out: [Int] = []
        var i = 0
        while wire[i] != 0 { out.append(i); i += Int(wire[i]) + 1 }
        return out
    }

    /// The name with the first `count` labels removed (keeps this name's spelling).
    public func dropping(labels count: Int) -> DNSName {
        var i = 0, k = 0
        while k < count && wire[i] != 0 { i += Int(wire[i]) + 1; k += 1 }
        return DNSName(uncheckedWire: Array(wire[i...]))
    }

    /// `label.self`, e.g. `DNSName("svc.cluster.local").prepending("ns1")`.
    public func prepending(_ label: String) throws(DNSWireError) -> DNSName {
        let u = Array(label.utf8)
        guard !u.isEmpty, u.count <= 63, wire.count + u.count + 1 <= 255 else { throw .invalidName }
        return DNSName(uncheckedWire: [UInt8(u.count)] + u + wire)
    }

    /// Concatenation `self` + `suffix` (self's root label dropped).
    public func appending(_ suffix: DNSName) throws(DNSWireError) -> DNSName {
        guard wire.count - 1 + suffix.wire.count <= 255 else { throw .invalidName }
        return DNSName(uncheckedWire: Array(wire.dropLast()) + suffix.wire)
    }

    /// If `self` is `zone` or below it, the number of labels in front of `zone`; otherwise nil.
    /// Compares case-insensitively and only on label boundaries.
    public func labelsBelow(_ zone: DNSName) -> Int? {
        let zl = zone.wire.count, sl = wire.count
        guard sl >= zl else { return nil }
        var i = 0, n = 0
        while sl - i > zl {
            guard wire[i] != 0 else { return nil }
            i += Int(wire[i]) + 1
            n += 1
        }
        guard sl - i == zl else { return nil }
        for k in 0..<zl where asciiLower(wire[i + k]) != asciiLower(zone.wire[k]) { return nil }
        return n
    }

    public func isSubdomain(of zone: DNSName) -> Bool { labelsBelow(zone) != nil }

    /// The first label, lowercased (ASCII), or nil for the root.
    var firstLabelLowercased: [UInt8]? {
        guard wire[0] != 0 else { return nil }
        return wire[1...Int(wire[0])].map(asciiLower)
    }

    /// A copy with ASCII letters lowercased.
    public func lowercased() -> DNSName {
        var w = wire
        var i = 0
        while w[i] != 0 {
            let n = Int(w[i])
            for k in (i + 1)...(i + n) { w[k] = asciiLower(w[k]) }
            i += n + 1
        }
        return DNSName(uncheckedWire: w)
    }
}

@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

extension DNSName: Hashable {
    public static func == (a: DNSName, b: DNSName) -> Bool {
        guard a.wire.count == b.wire.count else { return false }
        return a.wire.withUnsafeBufferPointer { pa in
            b.wire.withUnsafeBufferPointer { pb in
                for i in 0..<pa.count where asciiLower(pa[i]) != asciiLower(pb[i]) { return false }
                return true
            }
        }
    }

    public func hash(into hasher: inout Hasher) {
        // Lowercase in 8-byte words: this is on the per-query path (one hash per lookup).
        wire.withUnsafeBufferPointer { p in
            var word: UInt64 = 0
            var shift: UInt64 = 0
            for b in p {
                word |= UInt64(asciiLower(b)) << shift
                shift += 8
                if shift == 64 { hasher.combine(word); word = 0; shift = 0 }
            }
            hasher.combine(word)
            hasher.combine(p.count)
        }
    }
}

extension DNSName: CustomStringConvertible, ExpressibleByStringLiteral {
    /// Presentation form with a trailing dot; dots, backslashes and non-printable bytes are escaped.
    public var description: String {
        if isRoot { return "." }
        var s = ""
        var i = 0
        while wire[i] != 0 {
            let n = Int(wire[i])
            for b in wire[(i + 1)...(i + n)] {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    s.append("\\"); s.append(Character(Unicode.Scalar(b)))
                case 0x21...0x7E:
                    s.append(Character(Unicode.Scalar(b)))
                default:
                    let d = String(b)
                    s.append("\\" + String(repeating: "0", count: 3 - d.count) + d)
                }
            }
            s.append(".")
            i += n + 1
        }
        return s
    }

    /// For literals in code and tests; an invalid literal is a programming error.
    public init(stringLiteral value: String) {
        do { self = try DNSName(value) } catch { preconditionFailure("invalid DNS name literal \(value)") }
    }
}
