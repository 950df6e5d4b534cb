/// nfnetlink wire format for nf_tables: netlink messages, attributes and the batch that makes one
/// transaction. Header fields are host-endian (netlink), nf_tables' integer attributes big-endian.
/// Constants are the kernel's (`linux/netfilter/nf_tables.h`, `linux/netfilter/nfnetlink.h`).
public enum NFT {
    static let subsysNFTables: UInt16 = 10
    static let msgBatchBegin: UInt16 = 0x10
    static let msgBatchEnd: UInt16 = 0x11

    enum Msg: UInt16 {
        case newTable = 0, delTable = 2, newChain = 3, delChain = 5, newRule = 6, delRule = 8
        case newSet = 9, delSet = 11, newSetElem = 12, delSetElem = 14
    }

    static let fRequest: UInt16 = 0x1
    static let fAck: UInt16 = 0x4
    static let fCreate: UInt16 = 0x400
    static let fAppend: UInt16 = 0x800

    static let nfprotoIPv4: UInt8 = 2
    static let nfprotoIPv6: UInt8 = 10

    /// Verdict codes (`NF_DROP`, `NF_ACCEPT`, `NFT_JUMP`, ...).
    enum Verdict: Int32 { case drop = 0, accept = 1, jump = -3, goto = -4, `return` = -5 }
}

/// One netlink attribute tree, appended to a message.
struct Attrs {
    var bytes: [UInt8] = []

    mutating func put(_ type: UInt16, _ payload: [UInt8]) {
        let len = 4 + payload.count
        appendHost16(UInt16(len))
        appendHost16(type)
        bytes += payload
        pad()
    }

    mutating func put(_ type: UInt16, string: String) { put(type, Array(string.utf8) + [0]) }
    mutating func put(_ type: UInt16, be32 v: UInt32) { put(type, Self.be32(v)) }
    mutating func put(_ type: UInt16, be64 v: UInt64) { put(type, (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) }) }

    /// A nested attribute (NLA_F_NESTED set, as nft sends them).
    mutating func nest(_ type: UInt16, _ build: (inout Attrs) -> Void) {
        var inner = Attrs()
        build(&inner)
        put(type | 0x8000, inner.bytes)
    }

    /// `type` holding nft data that is a verdict (NFTA_DATA_VERDICT: code, and the chain of a jump
    /// or goto): an immediate's data or a map element's value.
    mutating func putVerdict(_ type: UInt16, _ v: NFT.Verdict, chain: String?) {
        nest(type) { d in d.nest(2) { vv in
            vv.put(1, be32: UInt32(bitPattern: v.rawValue))
            if let chain { vv.put(2, string: chain) }
        } }
    }

    private mutating func appendHost16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    private mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
    static func host32(_ v: UInt32) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v >> 16), UInt8(v >> 24)] }
}

/// One nf_tables message (header + nfgenmsg + attributes), before it gets its sequence number.
public struct NFTMessage: Sendable, Hashable {
    var type: NFT.Msg
    var family: UInt8
    var flags: UInt16
    var attrs: [UInt8]
    /// The script line it came from, for error messages.
    public var origin: String
    /// For rules: the expressions as `nft --debug=netlink` prints a rule (`ip ferry <chain>`, then
    /// one `  [ ... ]` line each), so tests can compare with what nft generates.
    public var ruleDump: String? = nil

    /// Encodes with `seq`; `ack` asks the kernel to acknowledge this message.
    func encode(seq: UInt32, ack: Bool) -> [UInt8] {
        Self.header(type: NFT.subsysNFTables << 8 | type.rawValue, flags: flags | (ack ? NFT.fAck : 0), seq: seq,
                    family: family, resID: 0, payload: attrs)
    }

    static func header(type: UInt16, flags: UInt16, seq: UInt32, family: UInt8, resID: UInt16, payload: [UInt8]) -> [UInt8] {
        let len = UInt32(16 + 4 + payload.count)
        var b: [UInt8] = []
        b.reserveCapacity(Int(len))
        b += Attrs.host32(len)
        b += [UInt8(truncatingIfNeeded: type), UInt8(type >> 8), UInt8(truncatingIfNeeded: flags), UInt8(flags >> 8)]
        b += Attrs.host32(seq)
        b += [0, 0, 0, 0]  // port id: the kernel fills it in
        b += [family, 0, UInt8(resID >> 8), UInt8(truncatingIfNeeded: resID)]  // nfgenmsg: family, version 0, res_id (BE)
        return b + payload
    }
}

/// A transaction: batch begin, the messages, batch end. Only the last message asks for an ack: the
/// kernel reports every failing message anyway, and sends all reports after the commit or abort.
public struct NFTBatch: Sendable {
    public var messages: [NFTMessage]
    public init(messages: [NFTMessage]) { self.messages = messages }

    /// The bytes of one `sendmsg`, and the sequence numbers used: begin = `firstSeq`, messages
    /// `firstSeq + 1 ...`, end after them.
    public func encode(firstSeq: UInt32) -> [UInt8] {
        var out = NFTMessage.header(type: NFT.msgBatchBegin, flags: NFT.fRequest, seq: firstSeq, family: 0, resID: NFT.subsysNFTables, payload: [])
        for (i, m) in messages.enumerated() {
            out += m.encode(seq: firstSeq &+ 1 &+ UInt32(i), ack: i == messages.count - 1)
        }
        out += NFTMessage.header(type: NFT.msgBatchEnd, flags: NFT.fRequest, seq: firstSeq &+ 1 &+ UInt32(messages.count),
                                 family: 0, resID: NFT.subsysNFTables, payload: [])
        return out
    }
}
