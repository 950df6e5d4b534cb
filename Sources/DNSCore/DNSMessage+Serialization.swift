extension DNSMessage {
    /// Wire form with name compression. When the message exceeds `maxSize`, records are dropped
    /// from the end (additional, then authority, then answer) and TC is set if an answer or
    /// authority record had to go (RFC 2181 §9: dropped additional data alone is not truncation).
    /// The OPT record is always kept. Use `udpResponseLimit(for:)` for UDP and 65535 for TCP.
    public func serialize(maxSize: Int = 65535) -> [UInt8] {
        var w = WireWriter()
        w.buf.reserveCapacity(min(maxSize, 4096))
        let h = header
        var flags: UInt16 = 0
        if h.isResponse { flags |= 0x8000 }
        flags |= UInt16(h.opcode.rawValue & 0xF) << 11
        if h.isAuthoritative { flags |= 0x0400 }
        if h.isTruncated { flags |= 0x0200 }
        if h.recursionDesired { flags |= 0x0100 }
        if h.recursionAvailable { flags |= 0x0080 }
        if h.zero { flags |= 0x0040 }
        if h.authenticData { flags |= 0x0020 }
        if h.checkingDisabled { flags |= 0x0010 }
        flags |= h.rcode.rawValue & 0xF
        w.u16(h.id)
        w.u16(flags)
        w.u16(UInt16(clamping: questions.count))
        w.u16(0)  // counts patched below, after truncation is known
        w.u16(0)
        w.u16(0)
        for q in questions {
            w.name(q.name, compress: true)
            w.u16(q.type.rawValue)
            w.u16(q.qclass.rawValue)
        }

        var optSize = 0
        if let edns { optSize = 11 + edns.options.reduce(0) { $0 + 4 + $1.data.count } }
        let budget = maxSize - optSize
        // Fill sections in order until one record does not fit; everything after it is dropped.
        var full = false
        func fill(_ records: [ResourceRecord]) -> Int {
            guard !full else { return 0 }
            for (n, rr) in records.enumerated() {
                let mark = w.mark()
                w.record(rr)
                if w.buf.count > budget {
                    w.rollback(to: mark)
                    full = true
                    return n
                }
            }
            return records.count
        }
        let anCount = fill(answers)
        let nsCount = fill(authorities)
        let truncated = full
        var arCount = fill(additionals)
        if let edns {
            w.opt(edns, extendedRcode: UInt8(truncatingIfNeeded: h.rcode.rawValue >> 4))
            arCount += 1
        }
        if truncated { w.buf[2] |= 0x02 }
        w.put16(UInt16(clamping: anCount), at: 6)
        w.put16(UInt16(clamping: nsCount), at: 8)
        w.put16(UInt16(clamping: arCount), at: 10)
        return w.buf
    }

    /// The largest response to send over UDP for `query`: 512 without EDNS, else the client's
    /// advertised size clamped to 512...`serverMax` (1232 is the DNS Flag Day 2020 default).
    public static func udpResponseLimit(for query: DNSMessage, serverMax: Int = 1232) -> Int {
        guard let e = query.edns else { return 512 }
        return max(512, min(Int(e.udpPayloadSize), serverMax))
    }

    /// A FORMERR reply built from a packet that failed to parse, or nil when the packet should be
    /// dropped: shorter than a header, or itself a response (answering responses invites loops).
    public static func formatErrorResponse(to packet: [UInt8]) -> [UInt8]? {
        guard packet.count >= 12, packet[2] & 0x80 == 0 else { return nil }
        // Keep ID, opcode and RD; set QR; everything else zero; no sections (RFC 1035 §4.1.1).
        return [packet[0], packet[1], 0x80 | (packet[2] & 0x79), 0x01, 0, 0, 0, 0, 0, 0, 0, 0]
    }
}

struct WireWriter {
    var buf: [UInt8] = []
    /// Offsets of label starts already written, the candidates for compression pointers.
    var labels: [UInt16] = []

    struct Mark {
        var count: Int
        var labels: Int
    }

    func mark() -> Mark { Mark(count: buf.count, labels: labels.count) }

    mutating func rollback(to m: Mark) {
        buf.removeSubrange(m.count...)
        labels.removeSubrange(m.labels...)
    }

    @inline(__always) mutating func u16(_ v: UInt16) {
        buf.append(UInt8(v >> 8))
        buf.append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always) mutating func u32(_ v: UInt32) {
        buf.append(UInt8(v >> 24))
        buf.append(UInt8(truncatingIfNeeded: v >> 16))
        buf.append(UInt8(truncatingIfNeeded: v >> 8))
        buf.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func put16(_ v: UInt16, at i: Int) {
        buf[i] = UInt8(v >> 8)
        buf[i + 1] = UInt8(truncatingIfNeeded: v)
    }

    /// Writes `n`, replacing its longest suffix already in the buffer with a pointer. Matching is
    /// byte-exact (case-sensitive) so every name keeps its spelling on the wire.
    mutating func name(_ n: DNSName, compress: Bool) {
        let wire = n.wire
        // New label offsets join the table only once the name is complete, so a lookup never
        // walks into a half-written name.
        let firstNew = labels.count
        var k = 0
        while wire[k] != 0 {
            if compress, let target = findSuffix(wire, from: k, limit: firstNew) {
                u16(0xC000 | target)
                return
            }
            if buf.count < 0x3FFF && compress {
                labels.append(UInt16(buf.count))
            }
            let len = Int(wire[k])
            buf.append(contentsOf: wire[k...(k + len)])
            k += len + 1
        }
        buf.append(0)
    }

    private func findSuffix(_ wire: [UInt8], from k: Int, limit: Int) -> UInt16? {
        for off in labels[..<limit] where matches(wire, k, Int(off)) { return off }
        return nil
    }

    /// Does the name in the buffer at `off` (following our own pointers) equal wire[k...]?
    private func matches(_ wire: [UInt8], _ k: Int, _ off: Int) -> Bool {
        var a = k, b = off
        while true {
            while buf[b] & 0xC0 == 0xC0 { b = Int(buf[b] & 0x3F) << 8 | Int(buf[b + 1]) }
            let la = Int(wire[a])
            guard la == Int(buf[b]) else { return false }
            if la == 0 { return true }
            for j in 1...la where wire[a + j] != buf[b + j] { return false }
            a += la + 1
            b += la + 1
        }
    }

    mutating func record(_ rr: ResourceRecord) {
        name(rr.name, compress: true)
        u16(rr.type.rawValue)
        u16(rr.rclass.rawValue)
        u32(rr.ttl)
        let lenAt = buf.count
        u16(0)
        switch rr.data {
        case .a(let a):
            u32(a.value)
        case .aaaa(let a):
            buf.append(contentsOf: a.bytes)
        case .ns(let n), .cname(let n), .ptr(let n):
            name(n, compress: true)
        case .mx(let pref, let ex):
            u16(pref)
            name(ex, compress: true)
        case .txt(let strings):
            for s in strings {
                let chunk = s.prefix(255)
                buf.append(UInt8(chunk.count))
                buf.append(contentsOf: chunk)
            }
        case .srv(let prio, let weight, let port, let target):
            u16(prio)
            u16(weight)
            u16(port)
            // RFC 2782: the SRV target must not be compressed.
            name(target, compress: false)
        case .soa(let s):
            name(s.mname, compress: true)
            name(s.rname, compress: true)
            u32(s.serial)
            u32(s.refresh)
            u32(s.retry)
            u32(s.expire)
            u32(s.minimum)
        case .unknown(_, let data):
            buf.append(contentsOf: data.prefix(65535))
        }
        put16(UInt16(clamping: buf.count - lenAt - 2), at: lenAt)
    }

    mutating func opt(_ e: EDNS, extendedRcode: UInt8) {
        buf.append(0)
        u16(RRType.opt.rawValue)
        u16(e.udpPayloadSize)
        u32(UInt32(extendedRcode) << 24 | UInt32(e.version) << 16 | (e.dnssecOK ? 0x8000 : 0) | UInt32(e.otherFlags & 0x7FFF))
        u16(UInt16(clamping: e.options.reduce(0) { $0 + 4 + $1.data.count }))
        for o in e.options {
            u16(o.code)
            u16(UInt16(clamping: o.data.count))
            buf.append(contentsOf: o.data)
        }
    }
}
