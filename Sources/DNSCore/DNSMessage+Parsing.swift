extension DNSMessage {
    /// Parses a complete message. Every read is bounds-checked; compression pointers must point
    /// strictly backwards, so a malicious packet cannot make the parser loop.
    public init(wire bytes: [UInt8]) throws(DNSWireError) {
        let result: Result<DNSMessage, DNSWireError> = bytes.withUnsafeBytes { raw in
            do throws(DNSWireError) { return .success(try DNSMessage(wire: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Parses a complete message from raw memory (for example a NIO `ByteBuffer`'s readable bytes).
    public init(wire p: UnsafeRawBufferPointer) throws(DNSWireError) {
        var r = WireReader(p: p)
        guard p.count >= 12 else { throw .truncated }
        let id = try r.u16()
        let flags = try r.u16()
        let qd = Int(try r.u16()), an = Int(try r.u16()), ns = Int(try r.u16()), ar = Int(try r.u16())
        // Cheap upfront check: a question takes >= 5 bytes and a record >= 11, so absurd counts fail
        // before any array is sized from them.
        guard qd * 5 + (an + ns + ar) * 11 <= p.count - 12 else { throw .countsExceedPacket }

        var header = DNSHeader(
            id: id, isResponse: flags & 0x8000 != 0, opcode: DNSOpcode(rawValue: UInt8((flags >> 11) & 0xF)),
            isAuthoritative: flags & 0x0400 != 0, isTruncated: flags & 0x0200 != 0, recursionDesired: flags & 0x0100 != 0,
            recursionAvailable: flags & 0x0080 != 0, zero: flags & 0x0040 != 0, authenticData: flags & 0x0020 != 0,
            checkingDisabled: flags & 0x0010 != 0, rcode: DNSRCode(rawValue: flags & 0xF))

        var questions: [DNSQuestion] = []
        questions.reserveCapacity(qd)
        for _ in 0..<qd {
            let name = try r.name()
            let t = try r.u16(), c = try r.u16()
            questions.append(DNSQuestion(name: name, type: RRType(t), qclass: DNSClass(rawValue: c)))
        }
        var answers: [ResourceRecord] = []
        answers.reserveCapacity(an)
        for _ in 0..<an {
            guard case .record(let rr) = try r.record() else { throw .badOPT }
            answers.append(rr)
        }
        var authorities: [ResourceRecord] = []
        authorities.reserveCapacity(ns)
        for _ in 0..<ns {
            guard case .record(let rr) = try r.record() else { throw .badOPT }
            authorities.append(rr)
        }
        var additionals: [ResourceRecord] = []
        var edns: EDNS?
        for _ in 0..<ar {
            switch try r.record() {
            case .record(let rr):
                additionals.append(rr)
            case .opt(let e, let extRcode):
                guard edns == nil else { throw .badOPT }
                edns = e
                header.rcode = DNSRCode(rawValue: UInt16(extRcode) << 4 | header.rcode.rawValue)
            }
        }
        guard r.i == p.count else { throw .trailingBytes }
        self.init(header: header, questions: questions, answers: answers, authorities: authorities, additionals: additionals, edns: edns)
    }
}

enum ParsedRecord {
    case record(ResourceRecord)
    case opt(EDNS, extendedRcode: UInt8)
}

struct WireReader {
    let p: UnsafeRawBufferPointer
    var i = 0

    init(p: UnsafeRawBufferPointer) { self.p = p }

    mutating func u8() throws(DNSWireError) -> UInt8 {
        guard i < p.count else { throw .truncated }
        defer { i += 1 }
        return p[i]
    }

    mutating func u16() throws(DNSWireError) -> UInt16 {
        guard i + 2 <= p.count else { throw .truncated }
        defer { i += 2 }
        return UInt16(p[i]) << 8 | UInt16(p[i + 1])
    }

    mutating func u32() throws(DNSWireError) -> UInt32 {
        guard i + 4 <= p.count else { throw .truncated }
        defer { i += 4 }
        return UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }

    mutating func bytes(_ n: Int) throws(DNSWireError) -> [UInt8] {
        guard n >= 0, i + n <= p.count else { throw .truncated }
        defer { i += n }
        return Array(p[i..<(i + n)])
    }

    /// Reads a possibly compressed name. Each pointer must target an offset before the start of the
    /// label run that contains it, so offsets strictly decrease and the walk always ends.
    mutating func name() throws(DNSWireError) -> DNSName {
        var out: [UInt8] = []
        out.reserveCapacity(48)
        var pos = i
        var segmentStart = i
        var jumped = false
        while true {
            guard pos < p.count else { throw .truncated }
            let len = p[pos]
            switch len & 0xC0 {
            case 0x00:
                if len == 0 {
                    out.append(0)
                    if !jumped { i = pos + 1 }
                    return DNSName(uncheckedWire: out)
                }
                let n = Int(len)
                guard pos + 1 + n <= p.count else { throw .truncated }
                // +1 for the root byte still to come.
                guard out.count + 1 + n + 1 <= 255 else { throw .nameTooLong }
                out.append(len)
                out.append(contentsOf: p[(pos + 1)...(pos + n)])
                pos += 1 + n
            case 0xC0:
                guard pos + 1 < p.count else { throw .truncated }
                let target = Int(len & 0x3F) << 8 | Int(p[pos + 1])
                guard target < segmentStart else { throw .badCompressionPointer }
                if !jumped { i = pos + 2; jumped = true }
                pos = target
                segmentStart = target
            default:
                throw .badLabelType
            }
        }
    }

    mutating func record() throws(DNSWireError) -> ParsedRecord {
        let name = try self.name()
        let type = RRType(try u16())
        let rclass = try u16()
        let ttl = try u32()
        let rdlength = Int(try u16())
        guard i + rdlength <= p.count else { throw .truncated }
        let end = i + rdlength

        if type == .opt {
            guard name.isRoot else { throw .badOPT }
            var options: [EDNSOption] = []
            while i < end {
                guard i + 4 <= end else { throw .badRData(.opt) }
                let code = try u16()
                let len = Int(try u16())
                guard i + len <= end else { throw .badRData(.opt) }
                options.append(EDNSOption(code: code, data: try bytes(len)))
            }
            let e = EDNS(
                udpPayloadSize: rclass, version: UInt8(truncatingIfNeeded: ttl >> 16), dnssecOK: ttl & 0x8000 != 0,
                otherFlags: UInt16(truncatingIfNeeded: ttl) & 0x7FFF, options: options)
            return .opt(e, extendedRcode: UInt8(truncatingIfNeeded: ttl >> 24))
        }

        let data: RData
        switch type {
        case .a where rclass == DNSClass.in.rawValue:
            guard rdlength == 4 else { throw .badRData(type) }
            data = .a(IPv4Address(try u32()))
        case .aaaa where rclass == DNSClass.in.rawValue:
            guard rdlength == 16 else { throw .badRData(type) }
            data = .aaaa(IPv6Address(bytes: try bytes(16)))
        case .ns:
            data = .ns(try rdataName(end: end, type: type))
        case .cname:
            data = .cname(try rdataName(end: end, type: type))
        case .ptr:
            data = .ptr(try rdataName(end: end, type: type))
        case .mx:
            guard rdlength >= 3 else { throw .badRData(type) }
            let pref = try u16()
            data = .mx(preference: pref, exchange: try rdataName(end: end, type: type))
        case .srv:
            guard rdlength >= 7 else { throw .badRData(type) }
            let prio = try u16(), weight = try u16(), port = try u16()
            data = .srv(priority: prio, weight: weight, port: port, target: try rdataName(end: end, type: type))
        case .soa:
            let mname = try rdataName(end: end, type: type, exact: false)
            let rname = try rdataName(end: end, type: type, exact: false)
            guard end - i == 20 else { throw .badRData(type) }
            data = .soa(SOAData(mname: mname, rname: rname, serial: try u32(), refresh: try u32(), retry: try u32(), expire: try u32(), minimum: try u32()))
        case .txt:
            var strings: [[UInt8]] = []
            while i < end {
                let n = Int(try u8())
                guard i + n <= end else { throw .badRData(type) }
                strings.append(try bytes(n))
            }
            data = .txt(strings)
        default:
            data = .unknown(type: type, data: try bytes(rdlength))
        }
        guard i == end else { throw .badRData(type) }
        return .record(ResourceRecord(name: name, rclass: DNSClass(rawValue: rclass), ttl: ttl, data: data))
    }

    /// A name inside RDATA: it may point anywhere earlier, but its own bytes must stay inside RDATA.
    private mutating func rdataName(end: Int, type: RRType, exact: Bool = true) throws(DNSWireError) -> DNSName {
        guard i < end else { throw .badRData(type) }
        let n = try name()
        guard exact ? i == end : i <= end else { throw .badRData(type) }
        return n
    }
}
