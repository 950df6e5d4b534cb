/// The nf_tables expressions Ferry's rules use, encoded as the kernel expects them and described the
/// way `nft --debug=netlink` prints them (so tests compare with what nft itself generates).
enum Expr: Hashable {
    enum PayloadBase: UInt32 { case network = 1, transport = 2 }
    enum MetaKey: UInt32 { case mark = 3, l4proto = 16 }
    enum CmpOp: UInt32 { case eq = 0, neq = 1 }

    case payload(base: PayloadBase, offset: UInt32, len: UInt32, dreg: UInt32)
    case meta(key: MetaKey, dreg: UInt32)
    case metaSet(key: MetaKey, sreg: UInt32)
    case cmp(op: CmpOp, sreg: UInt32, data: [UInt8])
    case bitwise(reg: UInt32, mask: [UInt8], xor: [UInt8])
    case ctState(dreg: UInt32)
    case lookup(set: String, sreg: UInt32, dreg: UInt32?)
    case verdict(NFT.Verdict, chain: String?)
    case immediate(dreg: UInt32, data: [UInt8])
    case numgen(dreg: UInt32, modulus: UInt32)
    case fibSaddrType(dreg: UInt32)
    case dynsetUpdate(set: String, sreg: UInt32)
    case dnat(family: UInt8, addrReg: UInt32, protoReg: UInt32?)
    case masqueradeFullyRandom
    case reject(type: UInt32, code: UInt8)

    var name: String {
        switch self {
        case .payload: "payload"
        case .meta, .metaSet: "meta"
        case .cmp: "cmp"
        case .bitwise: "bitwise"
        case .ctState: "ct"
        case .lookup: "lookup"
        case .verdict, .immediate: "immediate"
        case .numgen: "numgen"
        case .fibSaddrType: "fib"
        case .dynsetUpdate: "dynset"
        case .dnat: "nat"
        case .masqueradeFullyRandom: "masq"
        case .reject: "reject"
        }
    }

    /// `NFTA_EXPR_DATA` of this expression.
    func encodeData(into a: inout Attrs) {
        switch self {
        case .payload(let base, let offset, let len, let dreg):
            a.put(1, be32: dreg); a.put(2, be32: base.rawValue); a.put(3, be32: offset); a.put(4, be32: len)
        case .meta(let key, let dreg):
            a.put(1, be32: dreg); a.put(2, be32: key.rawValue)
        case .metaSet(let key, let sreg):
            a.put(2, be32: key.rawValue); a.put(3, be32: sreg)
        case .cmp(let op, let sreg, let data):
            a.put(1, be32: sreg); a.put(2, be32: op.rawValue); a.nest(3) { $0.put(1, data) }
        case .bitwise(let reg, let mask, let xor):
            a.put(1, be32: reg); a.put(2, be32: reg); a.put(3, be32: UInt32(mask.count))
            a.nest(4) { $0.put(1, mask) }; a.nest(5) { $0.put(1, xor) }
        case .ctState(let dreg):
            a.put(1, be32: dreg); a.put(2, be32: 0)
        case .lookup(let set, let sreg, let dreg):
            a.put(1, string: set); a.put(2, be32: sreg)
            if let dreg { a.put(3, be32: dreg) }
        case .verdict(let v, let chain):
            a.put(1, be32: 0)
            a.putVerdict(2, v, chain: chain)
        case .immediate(let dreg, let data):
            a.put(1, be32: dreg); a.nest(2) { $0.put(1, data) }
        case .numgen(let dreg, let modulus):
            a.put(1, be32: dreg); a.put(2, be32: modulus); a.put(3, be32: 1)  // NFT_NG_RANDOM
        case .fibSaddrType(let dreg):
            a.put(1, be32: dreg); a.put(2, be32: 3); a.put(3, be32: 1)  // result ADDRTYPE, flags SADDR
        case .dynsetUpdate(let set, let sreg):
            a.put(1, string: set); a.put(3, be32: 1); a.put(4, be32: sreg)  // NFT_DYNSET_OP_UPDATE
        case .dnat(let family, let addrReg, let protoReg):
            a.put(1, be32: 1); a.put(2, be32: UInt32(family)); a.put(3, be32: addrReg)
            if let protoReg { a.put(5, be32: protoReg); a.put(7, be32: 2) }  // NF_NAT_RANGE_PROTO_SPECIFIED
        case .masqueradeFullyRandom:
            a.put(1, be32: 0x10)  // NF_NAT_RANGE_PROTO_RANDOM_FULLY
        case .reject(let type, let code):
            a.put(1, be32: type); a.put(2, [code])
        }
    }

    /// The line `nft --debug=netlink` prints for this expression.
    var debugDescription: String {
        func hex(_ d: [UInt8]) -> String {
            // nft prints the register contents as 32-bit words in host order.
            stride(from: 0, to: d.count, by: 4).map { i -> String in
                let word = (0..<4).reduce(UInt32(0)) { acc, k in i + k < d.count ? acc | UInt32(d[i + k]) << (8 * k) : acc }
                return "0x" + String(repeating: "0", count: 8 - String(word, radix: 16).count) + String(word, radix: 16)
            }.joined(separator: " ")
        }
        switch self {
        case .payload(let base, let offset, let len, let dreg):
            return "[ payload load \(len)b @ \(base == .network ? "network" : "transport") header + \(offset) => reg \(dreg) ]"
        case .meta(let key, let dreg):
            return "[ meta load \(key == .mark ? "mark" : "l4proto") => reg \(dreg) ]"
        case .metaSet(let key, let sreg):
            return "[ meta set \(key == .mark ? "mark" : "l4proto") with reg \(sreg) ]"
        case .cmp(let op, let sreg, let data):
            return "[ cmp \(op == .eq ? "eq" : "neq") reg \(sreg) \(hex(data)) ]"
        case .bitwise(let reg, let mask, let xor):
            return "[ bitwise reg \(reg) = ( reg \(reg) & \(hex(mask)) ) ^ \(hex(xor)) ]"
        case .ctState(let dreg):
            return "[ ct load state => reg \(dreg) ]"
        case .lookup(let set, let sreg, let dreg):
            return "[ lookup reg \(sreg) set \(set)\(dreg.map { " dreg \($0)" } ?? "") ]"
        case .verdict(let v, let chain):
            let word = switch v {
            case .drop: "drop"
            case .accept: "accept"
            case .jump: "jump"
            case .goto: "goto"
            case .return: "return"
            }
            return "[ immediate reg 0 \(word)\(chain.map { " -> \($0)" } ?? "") ]"
        case .immediate(let dreg, let data):
            return "[ immediate reg \(dreg) \(hex(data)) ]"
        case .numgen(let dreg, let modulus):
            return "[ numgen reg \(dreg) = random mod \(modulus) ]"
        case .fibSaddrType(let dreg):
            return "[ fib saddr type => reg \(dreg) ]"
        case .dynsetUpdate(let set, let sreg):
            return "[ dynset update reg_key \(sreg) set \(set) ]"
        case .dnat(let family, let addrReg, let protoReg):
            return "[ nat dnat \(family == NFT.nfprotoIPv4 ? "ip" : "ip6") addr_min reg \(addrReg)\(protoReg.map { " proto_min reg \($0) flags 0x2" } ?? "") ]"
        case .masqueradeFullyRandom:
            return "[ masq flags 0x10 ]"
        case .reject(let type, let code):
            return "[ reject type \(type) code \(code) ]"
        }
    }
}
