import DNSCore
import Testing

@Suite struct CodecTests {
    let svc1 = wireName("svc1.testns.svc.cluster.local")

    @Test func queryParsesAndRoundTripsByteForByte() throws {
        let bytes = hex("beef 0100 0001 0000 0000 0000") + svc1 + hex("0001 0001")
        let m = try DNSMessage(wire: bytes)
        #expect(m.header == DNSHeader(id: 0xBEEF, recursionDesired: true))
        #expect(m.questions == [DNSQuestion(name: "svc1.testns.svc.cluster.local.", type: .a)])
        #expect(m.answers.isEmpty && m.authorities.isEmpty && m.additionals.isEmpty && m.edns == nil)
        #expect(m.serialize() == bytes)
        #expect(DNSMessage.query(id: 0xBEEF, name: "svc1.testns.svc.cluster.local", type: .a).serialize() == bytes)
    }

    @Test func answerUsesCompressionPointerToQuestion() throws {
        let query = try DNSMessage(wire: hex("beef 0100 0001 0000 0000 0000") + svc1 + hex("0001 0001"))
        guard case .answer(let m) = resolve(query, in: Fixture.zone) else {
            Issue.record("expected answer")
            return
        }
        let expected =
            hex("beef 8580 0001 0001 0000 0000") + svc1 + hex("0001 0001")
            + hex("c00c 0001 0001 0000001e 0004 0a000001")
        #expect(m.serialize() == expected)
        #expect(try DNSMessage(wire: expected) == m)
    }

    /// SRV targets are written uncompressed (RFC 2782); the additional A owner points into the question.
    @Test func srvAnswerBytes() throws {
        let qname = wireName("_http._tcp.svc1.testns.svc.cluster.local")
        let query = try DNSMessage(wire: hex("0001 0100 0001 0000 0000 0000") + qname + hex("0021 0001"))
        guard case .answer(let m) = resolve(query, in: Fixture.zone) else {
            Issue.record("expected answer")
            return
        }
        let expected =
            hex("0001 8580 0001 0001 0000 0001") + qname + hex("0021 0001")
            + hex("c00c 0021 0001 0000001e 0025 0000 0064 0050") + svc1
            + hex("c017 0001 0001 0000001e 0004 0a000001")
        #expect(m.serialize() == expected)
        #expect(try DNSMessage(wire: expected) == m)
    }

    /// A later owner can point into an earlier CNAME's RDATA.
    @Test func externalNameReplyBytes() throws {
        let qname = wireName("ext.testns.svc.cluster.local")
        let query = try DNSMessage(wire: hex("0002 0100 0001 0000 0000 0000") + qname + hex("0001 0001"))
        guard case .externalName(let cnames, let target) = resolve(query, in: Fixture.zone) else {
            Issue.record("expected externalName")
            return
        }
        var up = DNSMessage.query(id: 7, name: target, type: .a)
        up.answers = [ResourceRecord(name: target, ttl: 120, data: .a(IPv4Address(93, 184, 216, 34)))]
        let m = completeExternalName(query: query, cnames: cnames, upstream: up, in: Fixture.zone)
        let expected =
            hex("0002 8580 0001 0002 0000 0000") + qname + hex("0001 0001")
            + hex("c00c 0005 0001 0000001e 0011") + wireName("www.example.com")
            + hex("c03a 0001 0001 00000078 0004 5db8d822")
        #expect(m.serialize() == expected)
        #expect(try DNSMessage(wire: expected) == m)
    }

    @Test func ednsOptRoundTrips() throws {
        let bytes =
            hex("abcd 0100 0001 0000 0000 0001") + svc1 + hex("0001 0001")
            + hex("00 0029 1000 00 00 8000 0008 000a 0004 01020304")
        let m = try DNSMessage(wire: bytes)
        #expect(m.edns == EDNS(udpPayloadSize: 4096, version: 0, dnssecOK: true, options: [EDNSOption(code: 10, data: [1, 2, 3, 4])]))
        #expect(m.additionals.isEmpty)
        #expect(m.serialize() == bytes)
        #expect(DNSMessage.udpResponseLimit(for: m) == 1232)
    }

    @Test func extendedRcodeSplitsBetweenHeaderAndOpt() throws {
        var m = DNSMessage(header: DNSHeader(id: 1, isResponse: true, rcode: .badVers), edns: EDNS(udpPayloadSize: 1232))
        m.questions = [DNSQuestion(name: "a.", type: .a)]
        let bytes = m.serialize()
        #expect(bytes == hex("0001 8000 0001 0000 0000 0001") + wireName("a") + hex("0001 0001") + hex("00 0029 04d0 01 00 0000 0000"))
        #expect(try DNSMessage(wire: bytes) == m)
    }

    static let sampleRecords: [ResourceRecord] = [
        ResourceRecord(name: "Mixed.Case.example.", ttl: 1, data: .a(IPv4Address(1, 2, 3, 4))),
        ResourceRecord(name: "v6.example.", ttl: 2, data: .aaaa(IPv6Address("2001:db8::1")!)),
        ResourceRecord(name: "example.", ttl: 3, data: .ns("ns1.example.")),
        ResourceRecord(name: "www.example.", ttl: 4, data: .cname("example.")),
        ResourceRecord(name: "4.3.2.1.in-addr.arpa.", ttl: 5, data: .ptr("host.example.")),
        ResourceRecord(name: "example.", ttl: 6, data: .mx(preference: 10, exchange: "mail.example.")),
        ResourceRecord(name: "example.", ttl: 7, data: .txt([Array("v=spf1 -all".utf8), [], Array(repeating: 0x41, count: 255)])),
        ResourceRecord(name: "_sip._udp.example.", ttl: 8, data: .srv(priority: 1, weight: 2, port: 5060, target: "sip.example.")),
        ResourceRecord(
            name: "example.", ttl: 9,
            data: .soa(SOAData(mname: "ns1.example.", rname: "hostmaster.example.", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5))),
        ResourceRecord(name: "example.", ttl: 10, data: .unknown(type: RRType(65), data: [0, 1, 0, 0, 1, 0, 3, 2, 0x68, 0x32])),
        ResourceRecord(name: "example.", rclass: .chaos, ttl: 11, data: .unknown(type: .a, data: [9, 9])),
    ]

    @Test(arguments: sampleRecords) func recordRoundTrips(_ rr: ResourceRecord) throws {
        for section in 0..<3 {
            var m = DNSMessage(header: DNSHeader(id: 77, isResponse: true))
            m.questions = [DNSQuestion(name: rr.name, type: rr.type)]
            switch section {
            case 0: m.answers = [rr, rr]
            case 1: m.authorities = [rr]
            default: m.additionals = [rr]
            }
            let bytes = m.serialize()
            let back = try DNSMessage(wire: bytes)
            #expect(back == m)
            #expect(back.serialize() == bytes)
            // Case is preserved exactly, not only up to DNS equality.
            #expect(back.questions[0].name.description == rr.name.description)
        }
    }

    @Test func namesCompareCaseInsensitivelyButKeepSpelling() throws {
        let a: DNSName = "SVC1.TestNS.svc.cluster.local"
        let b: DNSName = "svc1.testns.svc.cluster.local."
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.description == "SVC1.TestNS.svc.cluster.local.")
        #expect(a.labelsBelow("CLUSTER.local") == 3)
        #expect(a.labelsBelow("ster.local") == nil)
        #expect(a.labelsBelow("example.com") == nil)
        #expect(DNSName.root.description == ".")
        let escaped = #"a\.b.c"#
        #expect(try DNSName(escaped).labelCount == 2)
        #expect(try DNSName(escaped).description == #"a\.b.c."#)
    }

    @Test(arguments: ["a..b", ".a", String(repeating: "x", count: 64) + ".com", Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: "."), #"a\25"#, #"\999"#])
    func invalidNamesThrow(_ text: String) {
        #expect(throws: DNSWireError.invalidName) { try DNSName(text) }
    }

    @Test(arguments: [
        ("1.2.3.4", "1.2.3.4"), ("255.255.255.255", "255.255.255.255"), ("::", "::"), ("::1", "::1"),
        ("1234:ABCD::1", "1234:abcd::1"), ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("fd00:0:0:0:0:0:0:5", "fd00::5"),
        ("::ffff:1.2.3.4", "::ffff:102:304"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"),
    ])
    func addressesParseAndFormat(_ text: String, _ canonical: String) throws {
        #expect(try #require(IPAddress(text)).description == canonical)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::",
        ":1", "1:", "1:2:3:4:5:6:7::8:9", "g::1", "::1.2.3", "fe80::1%eth0", "+1::",
    ])
    func badAddressesAreRejected(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func reverseNames() {
        #expect(IPAddress("10.0.0.1")!.reverseName.description == "1.0.0.10.in-addr.arpa.")
        #expect(
            IPAddress("1234:abcd::1")!.reverseName.description
                == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.")
    }
}

/// Malformed input: every case is a typed error, never a crash or a hang.
struct Malformed: CustomTestStringConvertible, Sendable {
    var label: String
    var bytes: [UInt8]
    var error: DNSWireError
    var testDescription: String { label }
}

func header(qd: Int = 1, an: Int = 0, ns: Int = 0, ar: Int = 0) -> [UInt8] {
    [0x12, 0x34, 0x01, 0x00] + [qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
}

let question = wireName("a") + hex("0001 0001")  // 7 bytes at offset 12
let label63 = [UInt8(63)] + Array(repeating: UInt8(ascii: "a"), count: 63)

let malformedCases: [Malformed] = [
    Malformed(label: "empty", bytes: [], error: .truncated),
    Malformed(label: "11-byte header", bytes: Array(header().prefix(11)), error: .truncated),
    Malformed(label: "question count without question", bytes: header(), error: .countsExceedPacket),
    Malformed(label: "65535 answers in a tiny packet", bytes: header(an: 0xFFFF) + question, error: .countsExceedPacket),
    Malformed(label: "65535 of everything", bytes: header(qd: 0xFFFF, an: 0xFFFF, ns: 0xFFFF, ar: 0xFFFF) + question, error: .countsExceedPacket),
    Malformed(label: "pointer to itself", bytes: header() + hex("c00c 0001 0001"), error: .badCompressionPointer),
    Malformed(label: "forward pointer", bytes: header() + hex("c010 0001 0001 00"), error: .badCompressionPointer),
    Malformed(label: "pointer back into own label run", bytes: header() + hex("0161 c00c 0001 0001"), error: .badCompressionPointer),
    Malformed(
        label: "second name points at its own start", bytes: header(qd: 2) + question + hex("0162 c013 0001 0001"),
        error: .badCompressionPointer),
    Malformed(label: "label then forward pointer", bytes: header() + hex("0161 c010 0001 0001"), error: .badCompressionPointer),
    // Unknown RDATA is never parsed as a name, so it can hide a forward pointer that a later
    // owner name reaches through a valid backward pointer (the second hop must fail).
    Malformed(
        label: "second hop forward through RDATA",
        bytes: header(an: 2) + question + hex("c00c 0063 0001 00000000 0004 0162c023") + hex("c01f 0001 0001 00000000 0004 0a000001"),
        error: .badCompressionPointer),
    Malformed(
        label: "loop through RDATA",
        bytes: header(an: 2) + question + hex("c00c 0063 0001 00000000 0004 0162c01f") + hex("c01f 0001 0001 00000000 0004 0a000001"),
        error: .badCompressionPointer),
    Malformed(label: "pointer cut in half", bytes: header(qd: 2) + question + hex("0162 c0"), error: .truncated),
    Malformed(label: "label type 01", bytes: header() + hex("4161 00 0001 0001"), error: .badLabelType),
    Malformed(label: "label type 10", bytes: header() + hex("8161 00 0001 0001"), error: .badLabelType),
    Malformed(label: "label longer than packet", bytes: header() + hex("3f61 6263 64"), error: .truncated),
    Malformed(label: "name over 255 bytes", bytes: header() + (label63 + label63 + label63 + label63 + label63) + hex("00 0001 0001"), error: .nameTooLong),
    Malformed(
        label: "name over 255 bytes through a pointer",
        bytes: header(qd: 2) + (label63 + label63 + label63) + hex("00 0001 0001") + label63 + hex("c00c 0001 0001"),
        error: .nameTooLong),
    Malformed(label: "question without class", bytes: header() + hex("0161 00 0001"), error: .truncated),
    Malformed(
        label: "rdata beyond packet", bytes: header(an: 1) + question + hex("c00c 0001 0001 00000000 0004 0a00"), error: .truncated),
    Malformed(
        label: "A with 5 bytes", bytes: header(an: 1) + question + hex("c00c 0001 0001 00000000 0005 0a00000100"), error: .badRData(.a)),
    Malformed(
        label: "AAAA with 4 bytes", bytes: header(an: 1) + question + hex("c00c 001c 0001 00000000 0004 0a000001"), error: .badRData(.aaaa)),
    Malformed(
        label: "CNAME name runs past rdlength", bytes: header(an: 1) + question + hex("c00c 0005 0001 00000000 0002 0377777700"),
        error: .badRData(.cname)),
    Malformed(
        label: "CNAME with empty rdata", bytes: header(an: 1) + question + hex("c00c 0005 0001 00000000 0000") + hex("c00c 0001 0001"),
        error: .badRData(.cname)),
    Malformed(
        label: "TXT string past rdlength", bytes: header(an: 1) + question + hex("c00c 0010 0001 00000000 0003 056162 6364"),
        error: .badRData(.txt)),
    Malformed(
        label: "SOA without the numbers", bytes: header(an: 1) + question + hex("c00c 0006 0001 00000000 0006 00 00 00000001"),
        error: .badRData(.soa)),
    Malformed(label: "SRV too short", bytes: header(an: 1) + question + hex("c00c 0021 0001 00000000 0004 00000000"), error: .badRData(.srv)),
    Malformed(label: "OPT in answers", bytes: header(an: 1) + question + hex("00 0029 1000 00000000 0000"), error: .badOPT),
    Malformed(label: "two OPTs", bytes: header(ar: 2) + question + hex("00 0029 1000 00000000 0000 00 0029 1000 00000000 0000"), error: .badOPT),
    Malformed(label: "OPT with an owner name", bytes: header(ar: 1) + question + hex("c00c 0029 1000 00000000 0000"), error: .badOPT),
    Malformed(label: "OPT option past rdata", bytes: header(ar: 1) + question + hex("00 0029 1000 00000000 0006 000a 0004 0102"), error: .badRData(.opt)),
    Malformed(label: "trailing byte", bytes: header() + question + [0], error: .trailingBytes),
]

@Suite struct MalformedTests {
    @Test(arguments: malformedCases) func rejected(_ c: Malformed) {
        #expect(throws: c.error) { try DNSMessage(wire: c.bytes) }
    }

    /// Positive controls for the negative cases above: the same shapes, well-formed.
    @Test func validPointersAndLimits() throws {
        let backPointer = try DNSMessage(wire: header(qd: 2) + question + hex("0162 c00c 0001 0001"))
        #expect(backPointer.questions.map(\.name.description) == ["a.", "b.a."])
        let twoHops = try DNSMessage(wire: header(qd: 3) + question + hex("0162 c00c 0001 0001") + hex("0163 c013 0001 0001"))
        #expect(twoHops.questions[2].name.description == "c.b.a.")
        let longest: [UInt8] = label63 + label63 + label63 + [61] + Array(repeating: UInt8(ascii: "b"), count: 61) + [0]
        #expect(longest.count == 255)
        let m = try DNSMessage(wire: header() + longest + hex("0001 0001"))
        #expect(m.questions[0].name.wire == longest)
    }

    @Test func formatErrorResponses() {
        let q = Fixture.query("svc1.testns.svc.cluster.local.", .a, id: 0xABCD).serialize()
        #expect(DNSMessage.formatErrorResponse(to: q) == hex("abcd 8101 0000 0000 0000 0000"))
        #expect(DNSMessage.formatErrorResponse(to: Array(q.prefix(12))) == hex("abcd 8101 0000 0000 0000 0000"))
        #expect(DNSMessage.formatErrorResponse(to: Array(q.prefix(11))) == nil)
        var response = q
        response[2] |= 0x80
        #expect(DNSMessage.formatErrorResponse(to: response) == nil)
        var notify = q
        notify[2] = 0x20  // opcode 4 (NOTIFY), no RD
        #expect(DNSMessage.formatErrorResponse(to: notify) == hex("abcd a001 0000 0000 0000 0000"))
    }
}

@Suite struct TruncationTests {
    func bigQuery(edns: EDNS?) -> DNSMessage { Fixture.query("big.testns.svc.cluster.local.", .a, edns: edns) }

    /// 12 header + 34 question + 16 per compressed A record (+ 11 OPT).
    @Test(arguments: [
        (UInt16?.none, 512, 29, true), (UInt16?(4096), 1232, 73, true), (UInt16?(1000), 1000, 58, true), (UInt16?(100), 512, 28, true),
    ])
    func headlessAnswerOverUDP(_ ednsSize: UInt16?, _ limit: Int, _ fitting: Int, _ tc: Bool) throws {
        let q = bigQuery(edns: ednsSize.map { EDNS(udpPayloadSize: $0) })
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(m.answers.count == 150)
        #expect(DNSMessage.udpResponseLimit(for: q) == limit)
        let bytes = m.serialize(maxSize: limit)
        #expect(bytes.count <= limit)
        #expect(bytes.count > limit - 16)
        let back = try DNSMessage(wire: bytes)
        #expect(back.header.isTruncated == tc)
        #expect(back.answers.count == fitting)
        #expect(back.answers == Array(m.answers.prefix(fitting)))
        #expect((back.edns != nil) == (ednsSize != nil))
    }

    @Test func noLimitReturnsAll150() throws {
        let m = try #require(Fixture.answer(resolve(bigQuery(edns: nil), in: Fixture.zone)))
        for bytes in [m.serialize(), m.serialize(maxSize: 65535)] {
            #expect(bytes.count == 46 + 150 * 16)
            let back = try DNSMessage(wire: bytes)
            #expect(!back.header.isTruncated)
            #expect(back.answers.count == 150)
            #expect(Set(back.answers.map(\.data)).count == 150)
        }
    }

    @Test func droppingOnlyAdditionalsIsNotTruncation() throws {
        let m = try #require(Fixture.answer(resolve(Fixture.query("_http._tcp.six.testns.svc.cluster.local.", .srv), in: Fixture.zone)))
        #expect(m.additionals.count == 6)
        var bare = m
        bare.additionals = []
        let bytes = m.serialize(maxSize: bare.serialize().count)
        let back = try DNSMessage(wire: bytes)
        #expect(!back.header.isTruncated)
        #expect(back.answers == m.answers)
        #expect(back.additionals.isEmpty)
        // One byte less and the last SRV goes too: now it is truncation.
        let tighter = try DNSMessage(wire: m.serialize(maxSize: bare.serialize().count - 1))
        #expect(tighter.header.isTruncated)
        #expect(tighter.answers.count == 5)
    }

    @Test func droppingAuthorityIsTruncation() throws {
        let m = try #require(Fixture.answer(resolve(Fixture.query("nope.testns.svc.cluster.local.", .a), in: Fixture.zone)))
        #expect(m.authorities.count == 1)
        let back = try DNSMessage(wire: m.serialize(maxSize: 60))
        #expect(back.header.isTruncated)
        #expect(back.authorities.isEmpty)
        #expect(back.rcode == .nxDomain)
    }

    @Test func optSurvivesEvenWhenNothingElseFits() throws {
        let q = bigQuery(edns: EDNS(udpPayloadSize: 512, dnssecOK: true))
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        let back = try DNSMessage(wire: m.serialize(maxSize: 57))
        #expect(back.answers.isEmpty)
        #expect(back.header.isTruncated)
        #expect(back.edns == EDNS(udpPayloadSize: 1232, dnssecOK: true))
    }
}
