/// Turns an `nft -f` script of the shape Ferry's renderer writes (`add|delete table`, `add|delete
/// set|map`, `add|flush|delete chain`, `add rule`, `add|delete element`) into nf_tables netlink
/// messages. It understands exactly the statements `ProxyRules` emits; anything else throws
/// `.unsupported`, and the caller applies that script with the `nft` CLI instead.
public enum NFTTranslateError: Error, Equatable, CustomStringConvertible {
    case unsupported(line: String, reason: String)

    public var description: String {
        switch self {
        case .unsupported(let line, let reason): "cannot translate to netlink (\(reason)): \(line)"
        }
    }
}

public func translate(script: String) throws(NFTTranslateError) -> NFTBatch {
    var out: [NFTMessage] = []
    var setID: UInt32 = 0
    for raw in script.split(separator: "\n", omittingEmptySubsequences: true) {
        let line = String(raw)
        if line.hasPrefix("#") || line.allSatisfy({ $0 == " " }) { continue }
        var p = Line(line)
        out.append(try p.message(nextSetID: &setID))
    }
    return NFTBatch(messages: out)
}

/// A set or map key/data type as nft names it.
struct NFTType {
    var id: UInt32
    var len: Int
    var bigEndian: Bool

    static func named(_ s: String) -> NFTType? {
        switch s {
        case "ipv4_addr": NFTType(id: 7, len: 4, bigEndian: true)
        case "ipv6_addr": NFTType(id: 8, len: 16, bigEndian: true)
        case "inet_proto": NFTType(id: 12, len: 1, bigEndian: false)
        case "inet_service": NFTType(id: 13, len: 2, bigEndian: true)
        default: nil
        }
    }
}

private struct Line {
    let text: String
    var tokens: [String]
    var i = 0

    init(_ text: String) {
        self.text = text
        tokens = Line.tokenize(text)
    }

    /// Whitespace-separated words; a double-quoted string is one token (quotes kept).
    static func tokenize(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quoted = false
        for c in s {
            if c == "\"" { quoted.toggle(); cur.append(c); continue }
            if !quoted && (c == " " || c == "\t") {
                if !cur.isEmpty { out.append(cur); cur = "" }
            } else {
                cur.append(c)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    func fail(_ reason: String) -> NFTTranslateError { .unsupported(line: text, reason: reason) }

    mutating func next() throws(NFTTranslateError) -> String {
        guard i < tokens.count else { throw fail("unexpected end of line") }
        defer { i += 1 }
        return tokens[i]
    }

    mutating func expect(_ word: String) throws(NFTTranslateError) {
        let t = try next()
        guard t == word else { throw fail("expected \(word), got \(t)") }
    }

    var atEnd: Bool { i >= tokens.count }
    var peek: String? { i < tokens.count ? tokens[i] : nil }

    /// `ip|ip6 <table>` → (nfproto, table).
    mutating func familyAndTable() throws(NFTTranslateError) -> (UInt8, String) {
        let fam = try next()
        let family: UInt8
        switch fam {
        case "ip": family = NFT.nfprotoIPv4
        case "ip6": family = NFT.nfprotoIPv6
        default: throw fail("family \(fam)")
        }
        return (family, try next())
    }

    mutating func message(nextSetID: inout UInt32) throws(NFTTranslateError) -> NFTMessage {
        let verb = try next()
        let object = try next()
        let (family, table) = try familyAndTable()
        var a = Attrs()
        func msg(_ t: NFT.Msg, _ flags: UInt16) -> NFTMessage { NFTMessage(type: t, family: family, flags: flags, attrs: a.bytes, origin: text) }
        let create = NFT.fRequest | NFT.fCreate
        switch (verb, object) {
        case ("add", "table"):
            a.put(1, string: table)
            a.put(2, be32: 0)
            if peek == "{" {
                i += 1
                while let t = peek, t != "}" {
                    i += 1
                    if t == "comment" { a.put(6, udataString(type: 0, try unquote(try next()))) } else if t != ";" { throw fail("table option \(t)") }
                }
            }
            return msg(.newTable, create)
        case ("delete", "table"):
            a.put(1, string: table)
            return msg(.delTable, NFT.fRequest)
        case ("add", "chain"):
            a.put(1, string: table)
            a.put(3, string: try next())
            if peek == "{" {
                i += 1
                try expect("type")
                let type = try next()
                try expect("hook")
                let hookName = try next()
                try expect("priority")
                guard let prio = Int32(try next()) else { throw fail("priority") }
                let hooks = ["prerouting": 0, "input": 1, "forward": 2, "output": 3, "postrouting": 4]
                guard let hook = hooks[hookName], ["filter", "nat"].contains(type) else { throw fail("hook \(type) \(hookName)") }
                a.nest(4) { h in h.put(1, be32: UInt32(hook)); h.put(2, be32: UInt32(bitPattern: prio)) }
                a.put(7, string: type)
            }
            return msg(.newChain, create)
        case ("flush", "chain"):
            a.put(1, string: table)
            a.put(2, string: try next())
            return msg(.delRule, NFT.fRequest)
        case ("delete", "chain"):
            a.put(1, string: table)
            a.put(3, string: try next())
            return msg(.delChain, NFT.fRequest)
        case ("add", "set"), ("add", "map"):
            nextSetID += 1
            try setSpec(table: table, isMap: object == "map", id: nextSetID, into: &a)
            return msg(.newSet, create)
        case ("delete", "set"), ("delete", "map"):
            a.put(1, string: table)
            a.put(2, string: try next())
            return msg(.delSet, NFT.fRequest)
        case ("add", "element"), ("delete", "element"):
            let set = try next()
            try expect("{")
            let key = try elementKey(family: family)
            var comment: String?
            var verdict: Expr?
            while let t = peek, t != "}" {
                i += 1
                switch t {
                case "comment": comment = try unquote(try next())
                case ":": verdict = try verdictStatement(try next())
                default: throw fail("element token \(t)")
                }
            }
            a.put(1, string: table)
            a.put(2, string: set)
            a.nest(3) { list in list.nest(1) { e in
                e.nest(1) { $0.put(1, key) }
                if verb == "add", case .verdict(let v, let chain)? = verdict {
                    e.putVerdict(2, v, chain: chain)
                }
                if verb == "add", let comment { e.put(6, udataString(type: 0, comment)) }
            } }
            return msg(verb == "add" ? .newSetElem : .delSetElem, verb == "add" ? create : NFT.fRequest)
        case ("add", "rule"):
            let chain = try next()
            var exprs: [Expr] = []
            var comment: String?
            while !atEnd {
                if peek == "comment" {
                    i += 1
                    comment = try unquote(try next())
                    continue
                }
                exprs += try statement(family: family)
            }
            a.put(1, string: table)
            a.put(2, string: chain)
            a.nest(4) { list in
                for e in exprs {
                    list.nest(1) { x in
                        x.put(1, string: e.name)
                        x.nest(2) { e.encodeData(into: &$0) }
                    }
                }
            }
            if let comment { a.put(7, udataString(type: 0, comment)) }
            var m = msg(.newRule, create | NFT.fAppend)
            m.ruleDump = ([(family == NFT.nfprotoIPv4 ? "ip" : "ip6") + " \(table) \(chain)"] + exprs.map { "  " + $0.debugDescription })
                .joined(separator: "\n")
            return m
        default:
            throw fail("command \(verb) \(object)")
        }
    }

    // MARK: - Sets

    mutating func setSpec(table: String, isMap: Bool, id: UInt32, into a: inout Attrs) throws(NFTTranslateError) {
        let name = try next()
        try expect("{")
        var keyTypes: [NFTType] = []
        var verdictData = false
        var flags: UInt32 = isMap ? 0x8 : 0
        var timeoutMS: UInt64?
        var comment: String?
        while let t = peek, t != "}" {
            i += 1
            switch t {
            case ";": continue
            case "type":
                while true {
                    guard let ty = NFTType.named(try next()) else { throw fail("set type") }
                    keyTypes.append(ty)
                    if peek == "." { i += 1; continue }
                    break
                }
                if isMap {
                    try expect(":")
                    guard try next() == "verdict" else { throw fail("map data type") }
                    verdictData = true
                }
            case "flags":
                for f in try next().split(separator: ",") {
                    switch f {
                    case "dynamic": flags |= 0x20
                    case "timeout": flags |= 0x10
                    default: throw fail("set flag \(f)")
                    }
                }
            case "timeout":
                let v = try next()
                guard v.hasSuffix("s"), let secs = UInt64(v.dropLast()) else { throw fail("timeout \(v)") }
                timeoutMS = secs * 1000
            case "comment":
                comment = try unquote(try next())
            default:
                throw fail("set option \(t)")
            }
        }
        guard !keyTypes.isEmpty, !isMap || verdictData else { throw fail("set without type") }
        let keyType = keyTypes.reduce(UInt32(0)) { $0 << 6 | $1.id }
        let keyLen = keyTypes.reduce(0) { $0 + ($1.len + 3) / 4 * 4 }
        a.put(1, string: table)
        a.put(2, string: name)
        a.put(3, be32: flags)
        a.put(4, be32: keyType)
        a.put(5, be32: UInt32(keyLen))
        if isMap { a.put(6, be32: 0xFFFF_FF00) }  // NFT_DATA_VERDICT
        a.put(10, be32: id)
        if let timeoutMS { a.put(11, be64: timeoutMS) }
        // nft's user data: key byte order (big endian for a single address type), then the comment.
        var udata: [UInt8] = [0, 4] + Attrs.host32(keyTypes.count == 1 && keyTypes[0].bigEndian ? 2 : 0)
        if isMap { udata += [1, 4] + Attrs.host32(0) }
        if let comment { udata += udataString(type: 7, comment) }
        a.put(13, udata)
    }

    /// `172.30.0.44 . tcp . 80`, `tcp . 3003`, `10.0.0.1`: each part padded to 4 bytes.
    mutating func elementKey(family: UInt8) throws(NFTTranslateError) -> [UInt8] {
        var key: [UInt8] = []
        while true {
            let part = try next()
            var bytes: [UInt8]
            if let proto = Self.protocols[part] {
                bytes = [proto]
            } else if let port = UInt16(part) {
                bytes = [UInt8(port >> 8), UInt8(truncatingIfNeeded: port)]
            } else if let addr = Self.address(part) {
                bytes = addr
            } else {
                throw fail("element key \(part)")
            }
            while bytes.count % 4 != 0 { bytes.append(0) }
            key += bytes
            if peek == "." { i += 1; continue }
            return key
        }
    }

    static let protocols: [String: UInt8] = ["tcp": 6, "udp": 17, "sctp": 132]

    // MARK: - Rules

    /// One statement or match, as a list of expressions.
    mutating func statement(family: UInt8) throws(NFTTranslateError) -> [Expr] {
        let ipx = family == NFT.nfprotoIPv4 ? "ip" : "ip6"
        let t = try next()
        switch t {
        case "ct":
            try expect("state"); try expect("new")
            return [.ctState(dreg: 1), .bitwise(reg: 1, mask: Attrs.host32(8), xor: Attrs.host32(0)), .cmp(op: .neq, sreg: 1, data: Attrs.host32(0))]
        case ipx:
            let field = try next()
            guard field == "daddr" || field == "saddr" else { throw fail("\(ipx) \(field)") }
            let load = addressLoad(family: family, daddr: field == "daddr", dreg: 1)
            if peek == "." {
                // ip daddr . meta l4proto . th dport vmap @map
                i += 1
                var exprs = [load]
                let words = family == NFT.nfprotoIPv4 ? 1 : 4
                exprs += try l4protoDportConcat(firstWord: words)
                return exprs
            }
            let v = try next()
            if v.hasPrefix("@") { return [load, .lookup(set: String(v.dropFirst()), sreg: 1, dreg: nil)] }
            var op = Expr.CmpOp.eq
            var value = v
            if v == "!=" { op = .neq; value = try next() }
            if value == "{" {
                // A one-element anonymous set is a plain match.
                value = try next()
                guard try next() == "}" else { throw fail("anonymous set with several elements") }
            }
            return try prefixMatch(family: family, daddr: field == "daddr", value: value, op: op)
        case "meta":
            try expect("l4proto")
            if peek == "." {
                i += 1
                return try [.meta(key: .l4proto, dreg: 1)] + dportAndVmap(dportReg: 9)
            }
            guard let proto = Self.protocols[try next()] else { throw fail("l4proto") }
            return [.meta(key: .l4proto, dreg: 1), .cmp(op: .eq, sreg: 1, data: [proto])]
        case "mark":
            let mark = [Expr.meta(key: .mark, dreg: 1)]
            let w = try next()
            if w == "set" {
                try expect("mark")
                let op = try next()
                guard let v = UInt32(hex: try next()) else { throw fail("mark value") }
                switch op {
                case "or": return mark + [.bitwise(reg: 1, mask: Attrs.host32(~v), xor: Attrs.host32(v)), .metaSet(key: .mark, sreg: 1)]
                case "xor": return mark + [.bitwise(reg: 1, mask: Attrs.host32(0xFFFF_FFFF), xor: Attrs.host32(v)), .metaSet(key: .mark, sreg: 1)]
                default: throw fail("mark op \(op)")
                }
            }
            guard w == "and", let m = UInt32(hex: try next()) else { throw fail("mark") }
            try expect("==")
            guard let v = UInt32(hex: try next()) else { throw fail("mark value") }
            return mark + [.bitwise(reg: 1, mask: Attrs.host32(m), xor: Attrs.host32(0)), .cmp(op: .eq, sreg: 1, data: Attrs.host32(v))]
        case "numgen":
            try expect("random"); try expect("mod")
            guard let n = UInt32(try next()) else { throw fail("modulus") }
            guard let k = UInt32(try next()) else { throw fail("numgen map") }
            return [.numgen(dreg: 1, modulus: n), .cmp(op: .eq, sreg: 1, data: Attrs.host32(k))]
        case "fib":
            try expect("saddr"); try expect("type"); try expect("local")
            return [.fibSaddrType(dreg: 1), .cmp(op: .eq, sreg: 1, data: Attrs.host32(2))]  // RTN_LOCAL
        case "update":
            let set = try next()
            guard set.hasPrefix("@") else { throw fail("update target") }
            try expect("{"); try expect(ipx); try expect("saddr"); try expect("}")
            return [addressLoad(family: family, daddr: false, dreg: 1), .dynsetUpdate(set: String(set.dropFirst()), sreg: 1)]
        case "dnat":
            try expect("to")
            let target = try next()
            let (addr, port) = try Self.hostPort(target, family: family, line: self)
            var exprs: [Expr] = [.immediate(dreg: 1, data: addr)]
            if let port { exprs.append(.immediate(dreg: 2, data: [UInt8(port >> 8), UInt8(truncatingIfNeeded: port)])) }
            exprs.append(.dnat(family: family, addrReg: 1, protoReg: port == nil ? nil : 2))
            return exprs
        case "masquerade":
            try expect("fully-random")
            return [.masqueradeFullyRandom]
        case "reject":
            try expect("with")
            let kind = try next()
            switch kind {
            case "tcp":
                try expect("reset")
                return [.reject(type: 1, code: 0)]
            case "icmp", "icmpv6":
                try expect("type"); try expect("port-unreachable")
                guard (kind == "icmp") == (family == NFT.nfprotoIPv4) else { throw fail("icmp family") }
                return [.reject(type: 0, code: kind == "icmp" ? 3 : 4)]
            default:
                throw fail("reject \(kind)")
            }
        default:
            return [try verdictStatement(t)]
        }
    }

    mutating func verdictStatement(_ t: String) throws(NFTTranslateError) -> Expr {
        switch t {
        case "drop": return .verdict(.drop, chain: nil)
        case "accept": return .verdict(.accept, chain: nil)
        case "return": return .verdict(.return, chain: nil)
        case "jump": return .verdict(.jump, chain: try next())
        case "goto": return .verdict(.goto, chain: try next())
        default: throw fail("statement \(t)")
        }
    }

    /// `meta l4proto . th dport vmap @map` after the address (or from `meta l4proto . ` on).
    mutating func l4protoDportConcat(firstWord: Int) throws(NFTTranslateError) -> [Expr] {
        try expect("meta"); try expect("l4proto"); try expect(".")
        return try [.meta(key: .l4proto, dreg: Self.register(word: firstWord))] + dportAndVmap(dportReg: Self.register(word: firstWord + 1))
    }

    /// The register holding the 32-bit word `word` of a concatenation, named as nft names it: the
    /// 16-byte register (1-4) where one starts, else the 32-bit one (8-23). Both address the same bytes.
    static func register(word: Int) -> UInt32 { word % 4 == 0 ? UInt32(1 + word / 4) : UInt32(8 + word) }

    mutating func dportAndVmap(dportReg: UInt32) throws(NFTTranslateError) -> [Expr] {
        try expect("th"); try expect("dport"); try expect("vmap")
        let set = try next()
        guard set.hasPrefix("@") else { throw fail("anonymous vmap") }
        return [.payload(base: .transport, offset: 2, len: 2, dreg: dportReg), .lookup(set: String(set.dropFirst()), sreg: 1, dreg: 0)]
    }

    func addressLoad(family: UInt8, daddr: Bool, dreg: UInt32) -> Expr {
        family == NFT.nfprotoIPv4
            ? .payload(base: .network, offset: daddr ? 16 : 12, len: 4, dreg: dreg)
            : .payload(base: .network, offset: daddr ? 24 : 8, len: 16, dreg: dreg)
    }

    /// `ip saddr 10.0.0.1` or `ip saddr != 10.0.0.0/8`, as nft encodes it: load only the prefix's
    /// bytes, mask the last partial byte.
    func prefixMatch(family: UInt8, daddr: Bool, value: String, op: Expr.CmpOp) throws(NFTTranslateError) -> [Expr] {
        let parts = value.split(separator: "/")
        guard let addr = Self.address(String(parts[0])), (addr.count == 4) == (family == NFT.nfprotoIPv4) else { throw fail("address \(value)") }
        let bits = parts.count == 2 ? Int(parts[1]) : addr.count * 8
        guard let bits, bits > 0, bits <= addr.count * 8, parts.count <= 2 else { throw fail("prefix \(value)") }
        let n = (bits + 7) / 8
        guard case .payload(let base, let offset, _, let dreg) = addressLoad(family: family, daddr: daddr, dreg: 1) else { throw fail("load") }
        var exprs: [Expr] = [.payload(base: base, offset: offset, len: UInt32(n), dreg: dreg)]
        var data = Array(addr[0..<n])
        if bits % 8 != 0 {
            let mask = (0..<n).map { k -> UInt8 in k < n - 1 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits % 8)) }
            exprs.append(.bitwise(reg: 1, mask: mask, xor: Array(repeating: 0, count: n)))
            data = zip(data, mask).map { $0 & $1 }
        }
        exprs.append(.cmp(op: op, sreg: 1, data: data))
        return exprs
    }

    // MARK: - Literals

    func unquote(_ s: String) throws(NFTTranslateError) -> String {
        guard s.count >= 2, s.first == "\"", s.last == "\"" else { throw fail("string \(s)") }
        return String(s.dropFirst().dropLast())
    }

    static func hostPort(_ s: String, family: UInt8, line: Line) throws(NFTTranslateError) -> ([UInt8], UInt16?) {
        if family == NFT.nfprotoIPv6 {
            guard s.hasPrefix("["), let close = s.firstIndex(of: "]"), let a = address(String(s[s.index(after: s.startIndex)..<close])), a.count == 16
            else { throw line.fail("dnat target \(s)") }
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { return (a, nil) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { throw line.fail("dnat port \(s)") }
            return (a, port)
        }
        let parts = s.split(separator: ":")
        guard let a = address(String(parts[0])), a.count == 4, parts.count <= 2 else { throw line.fail("dnat target \(s)") }
        if parts.count == 1 { return (a, nil) }
        guard let port = UInt16(parts[1]) else { throw line.fail("dnat port \(s)") }
        return (a, port)
    }

    /// Dotted IPv4 (4 bytes) or IPv6 (16 bytes, `::` allowed), network order.
    static func address(_ s: String) -> [UInt8]? {
        if !s.contains(":") {
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var out: [UInt8] = []
            for p in parts {
                guard !p.isEmpty, p.count <= 3, let v = UInt8(p) else { return nil }
                out.append(v)
            }
            return out
        }
        var halves: [String] = []
        if let r = s.firstRange(of: "::") {
            halves = [String(s[..<r.lowerBound]), String(s[r.upperBound...])]
            guard !halves[1].contains("::") else { return nil }
        } else {
            halves = [s]
        }
        func groups(_ h: String) -> [UInt16]? {
            if h.isEmpty { return [] }
            var out: [UInt16] = []
            for g in h.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8(truncatingIfNeeded: $0)] }
    }
}

/// nft's user-data TLV holding a NUL-terminated string (comments).
func udataString(type: UInt8, _ s: String) -> [UInt8] {
    let bytes = Array(s.utf8) + [0]
    return [type, UInt8(min(bytes.count, 255))] + bytes.prefix(255)
}

extension UInt32 {
    /// `0x4000` or `0`.
    init?(hex s: String) {
        guard let v = s.hasPrefix("0x") ? UInt32(s.dropFirst(2), radix: 16) : UInt32(s) else { return nil }
        self = v
    }
}
