import DNSCore
import MetricsTestKit
import NIOCore
import NIOEmbedded
import NIOExtras
import Testing

@testable import DNS

/// `svc1.testns.svc.cluster.local.` in wire form.
let svc1Wire: [UInt8] =
    [4] + Array("svc1".utf8) + [6] + Array("testns".utf8) + [3] + Array("svc".utf8) + [7] + Array("cluster".utf8) + [5] + Array("local".utf8) + [0]

/// The exact query `dig +noedns svc1.testns.svc.cluster.local A` sends (ID 0x1234, RD).
let svc1Query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + svc1Wire + [0, 1, 0, 1]

/// Its answer: QR AA RD RA, one A 10.0.0.1 TTL 30 whose owner is a pointer to the question (0xC00C).
let svc1Answer: [UInt8] =
    [0x12, 0x34, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + svc1Wire + [0, 1, 0, 1]
    + [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 1]

/// A header promising one question, followed by a name cut short.
let malformedWithHeader: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77]

@Suite struct UDPHandlerTests {
    let client = try! SocketAddress(ipAddress: "10.244.0.7", port: 40000)

    func channel(_ engine: DNSEngine = makeEngine()) throws -> EmbeddedChannel {
        let ch = EmbeddedChannel()
        try ch.pipeline.syncOperations.addHandler(DNSUDPHandler(engine: engine))
        return ch
    }

    func send(_ ch: EmbeddedChannel, _ bytes: [UInt8]) throws {
        try ch.writeInbound(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: bytes)))
    }

    func reply(_ ch: EmbeddedChannel) throws -> (to: SocketAddress, bytes: [UInt8])? {
        guard let out = try ch.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) else { return nil }
        return (out.remoteAddress, Array(out.data.readableBytesView))
    }

    @Test func answersAQueryWithExactBytes() throws {
        let ch = try channel()
        try send(ch, svc1Query)
        let r = try #require(try reply(ch))
        #expect(r.to == client)
        #expect(r.bytes == svc1Answer)
        #expect(try reply(ch) == nil)
        #expect(try ch.finish().isClean)
    }

    @Test func repliesToEveryDatagramInABurst() throws {
        let ch = try channel()
        for id in 0..<3 as Range<UInt16> { try send(ch, Wire.query("svc1.testns.svc.cluster.local.", .a, id: id)) }
        var ids: [UInt16] = []
        while let r = try reply(ch) { ids.append(try #require(Wire.parse(r.bytes)).header.id) }
        #expect(ids == [0, 1, 2])
        #expect(try ch.finish().isClean)
    }

    @Test func formErrForMalformedPacketWithReadableHeader() throws {
        let ch = try channel()
        try send(ch, malformedWithHeader)
        let r = try #require(try reply(ch))
        // ID kept, QR set, RD copied, RCODE 1, no sections.
        #expect(r.bytes == [0xAB, 0xCD, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try ch.finish().isClean)
    }

    @Test(arguments: [
        [UInt8](),
        [0x00],
        [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0],  // 11 bytes: no full header
        [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77],  // malformed response (QR set)
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
    ])
    func dropsGarbage(_ bytes: [UInt8]) throws {
        let ch = try channel()
        try send(ch, bytes)
        #expect(try reply(ch) == nil)
        #expect(try ch.finish().isClean)
    }

    @Test func dropsWellFormedResponses() throws {
        let ch = try channel()
        try send(ch, svc1Answer)
        #expect(try reply(ch) == nil)
        #expect(try ch.finish().isClean)
    }

    @Test func truncatesBigHeadlessAnswerWithTC() throws {
        let ch = try channel(makeEngine(zone: TestCluster.zone(bigCount: 150)))
        try send(ch, Wire.query("big.testns.svc.cluster.local.", .a))
        let r = try #require(try reply(ch))
        #expect(r.bytes.count <= 512)
        let m = try #require(Wire.parse(r.bytes))
        #expect(m.header.isTruncated)
        #expect(m.rcode == .noError)
        #expect(m.answers.count > 0 && m.answers.count < 150)
        #expect(try ch.finish().isClean)
    }

    @Test func ednsRaisesTheUDPLimit() throws {
        let ch = try channel(makeEngine(zone: TestCluster.zone(bigCount: 60)))
        // 60 A records (16 bytes each) need ~1 KB: too big for 512, fine for 1232.
        try send(ch, Wire.query("big.testns.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 4096)))
        let r = try #require(try reply(ch))
        let m = try #require(Wire.parse(r.bytes))
        #expect(r.bytes.count > 512 && r.bytes.count <= 1232)
        #expect(!m.header.isTruncated)
        #expect(m.answers.count == 60)
        #expect(m.edns?.udpPayloadSize == 1232)
        #expect(try ch.finish().isClean)
    }

    @Test func servfailBeforeSync() throws {
        let ch = try channel(makeEngine(zone: nil))
        try send(ch, Wire.query("nope.testns.svc.cluster.local.", .a))
        let r = try #require(try reply(ch))
        let m = try #require(Wire.parse(r.bytes))
        #expect(m.rcode == .servFail)
        #expect(try ch.finish().isClean)
    }

    @Test func externalNamesWithoutUpstreamsGetServfail() throws {
        let ch = try channel(makeEngine(upstreams: []))
        try send(ch, Wire.query("www.Example.org.", .a, id: 77))
        let r = try #require(try reply(ch))
        let m = try #require(Wire.parse(r.bytes))
        #expect(m.rcode == .servFail)
        #expect(m.header.id == 77)
        #expect(m.questions.first?.name.description == "www.Example.org.")
        #expect(try ch.finish().isClean)
    }

    @Test func autopathAnswersSearchPathExpansionFromPodIP() throws {
        let ch = try channel(makeEngine(zone: TestCluster.zone(podIPs: ["10.244.0.7"]), autopath: true))
        // A pod in testns resolving "svc1.testns" sends the first search expansion.
        try send(ch, Wire.query("svc1.testns.testns.svc.cluster.local.", .a))
        let r = try #require(try reply(ch))
        let m = try #require(Wire.parse(r.bytes))
        #expect(m.rcode == .noError)
        #expect(m.questions.first?.name == "svc1.testns.testns.svc.cluster.local.")
        #expect(m.answers.map(\.data) == [.cname("svc1.testns.svc.cluster.local."), .a(IPv4Address(10, 0, 0, 1))])
        #expect(try ch.finish().isClean)
    }

    @Test(arguments: [(false, ["10.244.0.7"]), (true, ["10.244.0.8"])])
    func noAutopathWhenDisabledOrNotAPod(_ enabled: Bool, _ podIPs: [String]) throws {
        let ch = try channel(makeEngine(zone: TestCluster.zone(podIPs: podIPs), autopath: enabled))
        try send(ch, Wire.query("svc1.testns.testns.svc.cluster.local.", .a))
        let r = try #require(try reply(ch))
        #expect(Wire.parse(r.bytes)?.rcode == .nxDomain)
        #expect(try ch.finish().isClean)
    }

    @Test func countsRequestsAndResponsesWithCoreDNSLabels() throws {
        let metrics = TestMetrics()
        let ch = try channel(makeEngine(metrics: DNSMetrics(server: "dns://:53", factory: metrics)))
        try send(ch, svc1Query)
        try send(ch, Wire.query("nope.testns.svc.cluster.local.", .aaaa))
        try send(ch, malformedWithHeader)
        _ = try reply(ch)
        let base = [("server", "dns://:53"), ("zone", "."), ("view", "")]
        #expect(try metrics.expectCounter("coredns_dns_requests_total", base + [("proto", "udp"), ("family", "1"), ("type", "A")]).totalValue == 1)
        #expect(try metrics.expectCounter("coredns_dns_requests_total", base + [("proto", "udp"), ("family", "1"), ("type", "AAAA")]).totalValue == 1)
        #expect(try metrics.expectCounter("coredns_dns_responses_total", base + [("rcode", "NOERROR"), ("plugin", "kubernetes")]).totalValue == 1)
        #expect(try metrics.expectCounter("coredns_dns_responses_total", base + [("rcode", "NXDOMAIN"), ("plugin", "kubernetes")]).totalValue == 1)
        #expect(try metrics.expectCounter("coredns_dns_responses_total", base + [("rcode", "FORMERR"), ("plugin", "")]).totalValue == 1)
        #expect(try metrics.expectTimer("coredns_dns_request_duration_seconds", base + [("type", "A")]).values.count == 1)
        _ = try ch.finish()
    }
}

extension ZoneAnswerCache.Hit {
    /// The answer as the handler sends it: with the query's ID.
    var reply: [UInt8] {
        var r = Array(answer)
        r[0] = UInt8(id >> 8)
        r[1] = UInt8(id & 0xFF)
        return r
    }
}

/// The per-channel cache of zone answers: byte-identical to a fresh answer, never stale.
@Suite struct ZoneAnswerCacheTests {
    let client = try! SocketAddress(ipAddress: "10.244.0.7", port: 40000)

    func ask(_ ch: EmbeddedChannel, _ bytes: [UInt8]) throws -> [UInt8] {
        try ch.writeInbound(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: bytes)))
        let out = try #require(try ch.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
        return Array(out.data.readableBytesView)
    }

    func withID(_ bytes: [UInt8], _ id: UInt16) -> [UInt8] {
        var b = bytes
        b[0] = UInt8(id >> 8)
        b[1] = UInt8(id & 0xFF)
        return b
    }

    @Test func repeatedQueriesGetTheSameBytesWithTheirOwnID() throws {
        let metrics = TestMetrics()
        let ch = EmbeddedChannel(handler: DNSUDPHandler(engine: makeEngine(metrics: DNSMetrics(server: "dns://:53", factory: metrics))))
        for id: UInt16 in [0x1234, 0x0001, 0xFFFF, 0x1234] {
            #expect(try ask(ch, withID(svc1Query, id)) == withID(svc1Answer, id))
        }
        // Another spelling of the name is another key, answered with its own case.
        var upper = svc1Query
        upper[13] = UInt8(ascii: "S")
        let a = try ask(ch, upper)
        #expect(a[13] == UInt8(ascii: "S") && a.count == svc1Answer.count)
        // Hits are counted like misses.
        let base = [("server", "dns://:53"), ("zone", "."), ("view", "")]
        #expect(try metrics.expectCounter("coredns_dns_requests_total", base + [("proto", "udp"), ("family", "1"), ("type", "A")]).totalValue == 5)
        #expect(try metrics.expectCounter("coredns_dns_responses_total", base + [("rcode", "NOERROR"), ("plugin", "kubernetes")]).totalValue == 5)
        _ = try ch.finish()
    }

    @Test func aNewZoneIsAnsweredAtOnce() throws {
        let engine = makeEngine()
        let ch = EmbeddedChannel(handler: DNSUDPHandler(engine: engine))
        #expect(try ask(ch, svc1Query) == svc1Answer)
        engine.setZone(ClusterZone(services: [], endpointSlices: [], pods: [], namespaces: ["testns"], serial: 2))
        let after = try ask(ch, svc1Query)
        #expect(after[3] & 0x0F == 3, "NXDOMAIN once svc1 is gone, got rcode \(after[3] & 0x0F)")
        engine.setZone(TestCluster.zone())
        #expect(try ask(ch, svc1Query) == svc1Answer)
        _ = try ch.finish()
    }

    @Test func forwardedAndAutopathAnswersAreNotKept() throws {
        var cache = ZoneAnswerCache()
        _ = cache.answer(ByteBuffer(bytes: svc1Query), generation: 1)
        cache.store(query: ByteBuffer(bytes: svc1Query), answer: svc1Answer, generation: 1)
        #expect(cache.answer(ByteBuffer(bytes: withID(svc1Query, 9)), generation: 1)?.reply == withID(svc1Answer, 9))
        // One byte more or less, or a different byte, is another query.
        #expect(cache.answer(ByteBuffer(bytes: svc1Query + [0]), generation: 1) == nil)
        #expect(cache.answer(ByteBuffer(bytes: Array(svc1Query.dropLast())), generation: 1) == nil)
        var other = svc1Query
        other[other.count - 1] ^= 1
        #expect(cache.answer(ByteBuffer(bytes: other), generation: 1) == nil)
        #expect(cache.answer(ByteBuffer(bytes: svc1Query), generation: 2) == nil)  // the zone changed
        // The engine marks only zone answers without autopath as cacheable.
        let autopath = makeEngine(autopath: true)
        guard case .reply(_, let cacheable) = autopath.handle(
            ByteBuffer(bytes: svc1Query), source: client, transport: .udp, on: EmbeddedEventLoop())
        else { Issue.record("no reply"); return }
        #expect(!cacheable)
        guard case .reply(_, let plain) = makeEngine().handle(ByteBuffer(bytes: svc1Query), source: client, transport: .udp, on: EmbeddedEventLoop())
        else { Issue.record("no reply"); return }
        #expect(plain)
    }
}

@Suite struct TCPHandlerTests {
    func channel(_ engine: DNSEngine = makeEngine(), maxPending: Int = 4) throws -> EmbeddedChannel {
        let ch = EmbeddedChannel()
        try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
        try ch.pipeline.syncOperations.addHandler(DNSTCPHandler(engine: engine, maxPending: maxPending))
        return ch
    }

    func framed(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }

    func readFrames(_ ch: EmbeddedChannel) throws -> [[UInt8]] {
        var out: [UInt8] = []
        while var b = try ch.readOutbound(as: ByteBuffer.self) { out += b.readBytes(length: b.readableBytes) ?? [] }
        var frames: [[UInt8]] = []
        var i = 0
        while i + 2 <= out.count {
            let n = Int(out[i]) << 8 | Int(out[i + 1])
            frames.append(Array(out[(i + 2)..<min(out.count, i + 2 + n)]))
            i += 2 + n
        }
        #expect(i == out.count, "no partial frames")
        return frames
    }

    @Test func answersWithLengthPrefixExactBytes() throws {
        let ch = try channel()
        try ch.writeInbound(ByteBuffer(bytes: framed(svc1Query)))
        var out = try #require(try ch.readOutbound(as: ByteBuffer.self))
        #expect(out.readBytes(length: out.readableBytes) == framed(svc1Answer))
        #expect(try ch.finish().isClean)
    }

    @Test func reassemblesQueriesSplitAcrossReads() throws {
        let ch = try channel()
        let two = framed(svc1Query) + framed(Wire.query("svc1.testns.svc.cluster.local.", .a, id: 9))
        for chunk in [Array(two[0..<1]), Array(two[1..<20]), Array(two[20..<40]), Array(two[40...])] {
            try ch.writeInbound(ByteBuffer(bytes: chunk))
        }
        let frames = try readFrames(ch)
        #expect(frames.count == 2)
        #expect(frames.first == svc1Answer)
        #expect(frames.last.flatMap(Wire.parse)?.header.id == 9)
        #expect(try ch.finish().isClean)
    }

    @Test func fullAnswerOverTCPForBigHeadless() throws {
        let ch = try channel(makeEngine(zone: TestCluster.zone(bigCount: 150)))
        try ch.writeInbound(ByteBuffer(bytes: framed(Wire.query("big.testns.svc.cluster.local.", .a))))
        let frames = try readFrames(ch)
        let m = try #require(frames.first.flatMap(Wire.parse))
        #expect(frames[0].count > 512)
        #expect(!m.header.isTruncated)
        #expect(m.answers.count == 150)
        #expect(try ch.finish().isClean)
    }

    @Test func formErrAndDropOverTCP() throws {
        let ch = try channel()
        try ch.writeInbound(ByteBuffer(bytes: framed([1, 2, 3]) + framed(malformedWithHeader)))
        #expect(try readFrames(ch) == [[0xAB, 0xCD, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]])
        #expect(try ch.finish().isClean)
    }

    @Test func idleTimeoutEventClosesConnection() throws {
        let ch = try channel()
        try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 53)).wait()
        ch.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        #expect(!ch.isActive)
    }

    @Test func halfCloseWithNothingPendingCloses() throws {
        let ch = try channel()
        try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 53)).wait()
        try ch.writeInbound(ByteBuffer(bytes: framed(svc1Query)))
        ch.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try readFrames(ch) == [svc1Answer])
        #expect(!ch.isActive)
    }
}
