import DNSCore
import Testing

/// One expected authoritative answer.
struct Row: CustomTestStringConvertible, Sendable {
    var name: String
    var type: RRType
    var rcode: DNSRCode = .noError
    var answer: [String] = []
    var authority: [String] = []
    var additional: [String] = []
    var testDescription: String { "\(name) \(type)" }
}

let soa = Fixture.soa

/// dns-spec §1.2 S1-S15 (S14 is `externalNameRows` below).
let specRows: [Row] = [
    // S1
    Row(name: "dns-version.cluster.local.", type: .txt, answer: ["dns-version.cluster.local. 28800 TXT \"1.1.0\""]),
    // S2
    Row(name: "svc1.testns.svc.cluster.local.", type: .a, answer: ["svc1.testns.svc.cluster.local. 30 A 10.0.0.1"]),
    // S3 (+ dual stack: A gives v4, AAAA gives v6)
    Row(name: "svc6.testns.svc.cluster.local.", type: .aaaa, answer: ["svc6.testns.svc.cluster.local. 30 AAAA 1234:abcd::1"]),
    Row(name: "dual.testns.svc.cluster.local.", type: .a, answer: ["dual.testns.svc.cluster.local. 30 A 10.0.0.5"]),
    Row(name: "dual.testns.svc.cluster.local.", type: .aaaa, answer: ["dual.testns.svc.cluster.local. 30 AAAA fd00::5"]),
    // S4
    Row(
        name: "_http._tcp.svc1.testns.svc.cluster.local.", type: .srv,
        answer: ["_http._tcp.svc1.testns.svc.cluster.local. 30 SRV 0 100 80 svc1.testns.svc.cluster.local."],
        additional: ["svc1.testns.svc.cluster.local. 30 A 10.0.0.1"]),
    Row(
        name: "_http._tcp.svc6.testns.svc.cluster.local.", type: .srv,
        answer: ["_http._tcp.svc6.testns.svc.cluster.local. 30 SRV 0 100 80 svc6.testns.svc.cluster.local."],
        additional: ["svc6.testns.svc.cluster.local. 30 AAAA 1234:abcd::1"]),
    Row(
        name: "_dns._udp.multi.testns.svc.cluster.local.", type: .srv,
        answer: ["_dns._udp.multi.testns.svc.cluster.local. 30 SRV 0 100 53 multi.testns.svc.cluster.local."],
        additional: ["multi.testns.svc.cluster.local. 30 A 10.0.0.2"]),
    // S6
    Row(name: "1.0.0.10.in-addr.arpa.", type: .ptr, answer: ["1.0.0.10.in-addr.arpa. 30 PTR svc1.testns.svc.cluster.local."]),
    // S7: 1234:abcd::1 fully expanded, nibbles reversed.
    Row(
        name: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa.", type: .ptr,
        answer: ["1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa. 30 PTR svc6.testns.svc.cluster.local."]),
    // S8: ready (true and nil) only, never 172.0.0.4.
    Row(
        name: "hdls.testns.svc.cluster.local.", type: .a,
        answer: ["hdls.testns.svc.cluster.local. 30 A 172.0.0.2", "hdls.testns.svc.cluster.local. 30 A 172.0.0.3"]),
    // S9: hostname field, and the dashed IP when there is none.
    Row(name: "web-0.hdls.testns.svc.cluster.local.", type: .a, answer: ["web-0.hdls.testns.svc.cluster.local. 30 A 172.0.0.2"]),
    Row(name: "172-0-0-3.hdls.testns.svc.cluster.local.", type: .a, answer: ["172-0-0-3.hdls.testns.svc.cluster.local. 30 A 172.0.0.3"]),
    // S10
    Row(
        name: "hdls.testns.svc.cluster.local.", type: .aaaa,
        answer: ["hdls.testns.svc.cluster.local. 30 AAAA 5678:abcd::1", "hdls.testns.svc.cluster.local. 30 AAAA 5678:abcd::2"]),
    Row(name: "web-0.hdls.testns.svc.cluster.local.", type: .aaaa, answer: ["web-0.hdls.testns.svc.cluster.local. 30 AAAA 5678:abcd::1"]),
    Row(
        name: "5678-abcd--2.hdls.testns.svc.cluster.local.", type: .aaaa,
        answer: ["5678-abcd--2.hdls.testns.svc.cluster.local. 30 AAAA 5678:abcd::2"]),
    // S11: no ready endpoints is NXDOMAIN.
    Row(name: "hdlsempty.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    // S12: 4 candidates (web-0 twice, v4 and v6) -> weight 25; SRV deduplicated by (target, port).
    Row(
        name: "_http._tcp.hdls.testns.svc.cluster.local.", type: .srv,
        answer: [
            "_http._tcp.hdls.testns.svc.cluster.local. 30 SRV 0 25 80 web-0.hdls.testns.svc.cluster.local.",
            "_http._tcp.hdls.testns.svc.cluster.local. 30 SRV 0 25 80 172-0-0-3.hdls.testns.svc.cluster.local.",
            "_http._tcp.hdls.testns.svc.cluster.local. 30 SRV 0 25 80 5678-abcd--2.hdls.testns.svc.cluster.local.",
        ],
        additional: [
            "web-0.hdls.testns.svc.cluster.local. 30 A 172.0.0.2", "172-0-0-3.hdls.testns.svc.cluster.local. 30 A 172.0.0.3",
            "web-0.hdls.testns.svc.cluster.local. 30 AAAA 5678:abcd::1",
            "5678-abcd--2.hdls.testns.svc.cluster.local. 30 AAAA 5678:abcd::2",
        ]),
    // S13: two Services own 172.0.0.2's endpoint -> two PTRs; IPv6 endpoint in nibble form.
    Row(
        name: "2.0.0.172.in-addr.arpa.", type: .ptr,
        answer: ["2.0.0.172.in-addr.arpa. 30 PTR web-0.hdls.testns.svc.cluster.local.", "2.0.0.172.in-addr.arpa. 30 PTR web-0.orphan.testns.svc.cluster.local."]),
    Row(name: "3.0.0.172.in-addr.arpa.", type: .ptr, answer: ["3.0.0.172.in-addr.arpa. 30 PTR 172-0-0-3.hdls.testns.svc.cluster.local."]),
    Row(
        name: "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa.", type: .ptr,
        answer: ["2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.8.7.6.5.ip6.arpa. 30 PTR 5678-abcd--2.hdls.testns.svc.cluster.local."]),
    Row(name: "1.1.0.172.in-addr.arpa.", type: .ptr, answer: ["1.1.0.172.in-addr.arpa. 30 PTR 172-0-1-1.svc1.testns.svc.cluster.local."]),
    // S15: case-insensitive, owner keeps the query's spelling; so does the negative SOA owner.
    Row(name: "SVC1.TestNS.SVC.Cluster.Local.", type: .a, answer: ["SVC1.TestNS.SVC.Cluster.Local. 30 A 10.0.0.1"]),
    Row(name: "WEB-0.Hdls.testns.svc.CLUSTER.local.", type: .a, answer: ["WEB-0.Hdls.testns.svc.CLUSTER.local. 30 A 172.0.0.2"]),
    Row(name: "1.0.0.10.IN-ADDR.ARPA.", type: .ptr, answer: ["1.0.0.10.IN-ADDR.ARPA. 30 PTR svc1.testns.svc.cluster.local."]),
    Row(
        name: "Nope.testns.svc.CLUSTER.LOCAL.", type: .a, rcode: .nxDomain,
        authority: ["CLUSTER.LOCAL. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 30"]),
]

/// dns-spec §1.3: NODATA where the name exists.
let nodataRows: [Row] = [
    Row(name: "svc1.testns.svc.cluster.local.", type: .aaaa, authority: [soa]),
    Row(name: "svc6.testns.svc.cluster.local.", type: .a, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .txt, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .mx, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .hinfo, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .soa, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .ptr, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .cname, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .https, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.", type: .any, authority: [soa]),
    Row(name: "hdlsportless.testns.svc.cluster.local.", type: .srv, authority: [soa]),
    Row(name: "cluster.local.", type: .a, authority: [soa]),
    Row(name: "cluster.local.", type: .txt, authority: [soa]),
    Row(name: "svc.cluster.local.", type: .a, authority: [soa]),
    Row(name: "pod.cluster.local.", type: .a, authority: [soa]),
    Row(name: "testns.svc.cluster.local.", type: .a, authority: [soa]),
    Row(name: "emptyns.svc.cluster.local.", type: .a, authority: [soa]),
    Row(name: "testns.pod.cluster.local.", type: .a, authority: [soa]),
    Row(name: "ext.testns.svc.cluster.local.", type: .srv, authority: [soa]),
    Row(name: "ext.testns.svc.cluster.local.", type: .mx, authority: [soa]),
    Row(name: "ns.dns.cluster.local.", type: .aaaa, authority: [soa]),
    Row(name: "dns.cluster.local.", type: .a, authority: [soa]),
    Row(name: "1-2-3-4.testns.pod.cluster.local.", type: .aaaa, authority: [soa]),
    Row(name: "dns-version.cluster.local.", type: .a, authority: [soa]),
]

/// dns-spec §1.3: NXDOMAIN (with SOA) where the name does not exist.
let nxdomainRows: [Row] = [
    Row(name: "svc0.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "svc0.testns.svc.cluster.local.", type: .aaaa, rcode: .nxDomain, authority: [soa]),
    Row(name: "svc0.testns.svc.cluster.local.", type: .txt, rcode: .nxDomain, authority: [soa]),
    Row(name: "svc0.testns.svc.cluster.local.", type: .soa, rcode: .nxDomain, authority: [soa]),
    Row(name: "svc1.nons.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "nons.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "foo.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "a.b.c.svc1.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "x.ext.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "nope.hdls.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "172-0-0-4.hdls.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "_https._tcp.svc1.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain, authority: [soa]),
    Row(name: "_http._udp.svc1.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain, authority: [soa]),
    Row(name: "_http._tcp.hdlsempty.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain, authority: [soa]),
    // S5: unnamed ports have no SRV name.
    Row(name: "_8080._tcp.unnamed.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain, authority: [soa]),
    Row(name: "_http._tcp.unnamed.testns.svc.cluster.local.", type: .srv, rcode: .nxDomain, authority: [soa]),
    Row(name: "svc1.testns.svc.cluster.local.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    // Wildcards were removed from CoreDNS in 1.9.0.
    Row(name: "*.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "*.hdls.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "any.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "extip.testns.svc.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "1-2-3-4.nons.pod.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "1-2-3.testns.pod.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "1-2-3-256.testns.pod.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
    Row(name: "x.1-2-3-4.testns.pod.cluster.local.", type: .a, rcode: .nxDomain, authority: [soa]),
]

/// CoreDNS extensions and zone-apex records (§1.3 "Extensions", NS/SOA, pod records).
let extensionRows: [Row] = [
    // SRV without _port._proto: one per port; weights from the candidate count.
    Row(
        name: "svc1.testns.svc.cluster.local.", type: .srv, answer: ["svc1.testns.svc.cluster.local. 30 SRV 0 100 80 svc1.testns.svc.cluster.local."],
        additional: ["svc1.testns.svc.cluster.local. 30 A 10.0.0.1"]),
    Row(
        name: "multi.testns.svc.cluster.local.", type: .srv,
        answer: [
            "multi.testns.svc.cluster.local. 30 SRV 0 50 80 multi.testns.svc.cluster.local.",
            "multi.testns.svc.cluster.local. 30 SRV 0 50 53 multi.testns.svc.cluster.local.",
        ],
        additional: ["multi.testns.svc.cluster.local. 30 A 10.0.0.2"]),
    Row(
        name: "_http._tcp.six.testns.svc.cluster.local.", type: .srv,
        answer: (1...6).map { "_http._tcp.six.testns.svc.cluster.local. 30 SRV 0 16 80 172-0-6-\($0).six.testns.svc.cluster.local." },
        additional: (1...6).map { "172-0-6-\($0).six.testns.svc.cluster.local. 30 A 172.0.6.\($0)" }),
    // _port._proto names also answer A (CoreDNS), endpoint names resolve under ClusterIP services.
    Row(name: "_http._tcp.svc1.testns.svc.cluster.local.", type: .a, answer: ["_http._tcp.svc1.testns.svc.cluster.local. 30 A 10.0.0.1"]),
    Row(name: "172-0-1-1.svc1.testns.svc.cluster.local.", type: .a, answer: ["172-0-1-1.svc1.testns.svc.cluster.local. 30 A 172.0.1.1"]),
    Row(name: "hdlsportless.testns.svc.cluster.local.", type: .a, answer: ["hdlsportless.testns.svc.cluster.local. 30 A 172.0.0.20"]),
    // ClusterIP with zero endpoints still answers.
    Row(name: "multi.testns.svc.cluster.local.", type: .a, answer: ["multi.testns.svc.cluster.local. 30 A 10.0.0.2"]),
    Row(name: "cluster.local.", type: .soa, answer: [soa]),
    Row(name: "cluster.local.", type: .ns, answer: ["cluster.local. 30 NS ns.dns.cluster.local."], additional: ["ns.dns.cluster.local. 30 A 10.96.0.10"]),
    Row(name: "ns.dns.cluster.local.", type: .a, answer: ["ns.dns.cluster.local. 30 A 10.96.0.10"]),
    // pods insecure
    Row(name: "1-2-3-4.testns.pod.cluster.local.", type: .a, answer: ["1-2-3-4.testns.pod.cluster.local. 30 A 1.2.3.4"]),
    Row(name: "172-0-0-2.testns.pod.cluster.local.", type: .a, answer: ["172-0-0-2.testns.pod.cluster.local. 30 A 172.0.0.2"]),
    Row(name: "fd00--1.emptyns.pod.cluster.local.", type: .aaaa, answer: ["fd00--1.emptyns.pod.cluster.local. 30 AAAA fd00::1"]),
    // ExternalName: a CNAME query gets the CNAME; an in-zone target is followed here.
    Row(name: "ext.testns.svc.cluster.local.", type: .cname, answer: ["ext.testns.svc.cluster.local. 30 CNAME www.example.com."]),
    Row(
        name: "extin.testns.svc.cluster.local.", type: .a,
        answer: ["extin.testns.svc.cluster.local. 30 CNAME svc1.testns.svc.cluster.local.", "svc1.testns.svc.cluster.local. 30 A 10.0.0.1"]),
    Row(name: "extin.testns.svc.cluster.local.", type: .aaaa, authority: [soa]),
]

@Suite struct ResolveTests {
    func check(_ row: Row, zone: ClusterZone = Fixture.zone) throws {
        let q = Fixture.query(row.name, row.type, id: 0x4242)
        let m = try #require(Fixture.answer(resolve(q, in: zone)), "expected an answer")
        #expect(m.header.id == 0x4242)
        #expect(m.header.isResponse)
        #expect(m.header.isAuthoritative)
        #expect(m.header.recursionDesired)
        #expect(!m.header.isTruncated)
        #expect(m.rcode == row.rcode)
        #expect(m.questions == q.questions)
        #expect(m.questions[0].name.description == row.name)
        #expect(m.answers.map(Fixture.text) == row.answer)
        #expect(m.authorities.map(Fixture.text) == row.authority)
        #expect(m.additionals.map(Fixture.text) == row.additional)
        #expect(m.edns == nil)
        // Whatever we answer must survive the wire.
        #expect(try DNSMessage(wire: m.serialize()) == m)
    }

    @Test(arguments: specRows) func specRecords(_ row: Row) throws { try check(row) }
    @Test(arguments: nodataRows) func nodata(_ row: Row) throws { try check(row) }
    @Test(arguments: nxdomainRows) func nxdomain(_ row: Row) throws { try check(row) }
    @Test(arguments: extensionRows) func extensions(_ row: Row) throws { try check(row) }

    /// S14: a target outside the zone goes to the shell for an upstream lookup.
    @Test(arguments: [RRType.a, .aaaa, .txt]) func externalNameGoesUpstream(_ type: RRType) {
        let r = resolve(Fixture.query("Ext.testns.svc.cluster.local.", type), in: Fixture.zone)
        guard case .externalName(let cnames, let target) = r else {
            Issue.record("expected .externalName, got \(r)")
            return
        }
        #expect(cnames.map(Fixture.text) == ["Ext.testns.svc.cluster.local. 30 CNAME www.example.com."])
        #expect(target.description == "www.example.com.")
    }

    @Test func completeExternalNameAppendsUpstreamAnswers() throws {
        let q = Fixture.query("ext.testns.svc.cluster.local.", .a)
        guard case .externalName(let cnames, let target) = resolve(q, in: Fixture.zone) else {
            Issue.record("expected .externalName")
            return
        }
        var up = DNSMessage.query(id: 9, name: target, type: .a)
        up.header.isResponse = true
        up.header.isTruncated = true
        up.answers = [ResourceRecord(name: target, ttl: 120, data: .a(IPv4Address(93, 184, 216, 34)))]
        let m = completeExternalName(query: q, cnames: cnames, upstream: up, in: Fixture.zone)
        #expect(m.header.id == q.header.id)
        #expect(m.rcode == .noError)
        #expect(m.header.isTruncated)
        #expect(m.answers.map(Fixture.text) == ["ext.testns.svc.cluster.local. 30 CNAME www.example.com.", "www.example.com. 120 A 93.184.216.34"])

        let failed = completeExternalName(query: q, cnames: cnames, upstream: nil, in: Fixture.zone)
        #expect(failed.rcode == .noError)
        #expect(failed.answers.isEmpty)
        #expect(failed.authorities.map(Fixture.text) == [soa])
    }

    @Test(arguments: [
        ("www.example.com.", RRType.a), ("example.com.", .mx), ("8.8.8.8.in-addr.arpa.", .ptr),
        ("4.0.0.172.in-addr.arpa.", .ptr),  // not-ready endpoint: not ours
        ("1.0.0.10.in-addr.arpa.", .a),  // reverse name, but not a PTR query
        ("10.in-addr.arpa.", .ptr), ("local.", .soa), (".", .ns), ("cluster.local.example.", .a),
    ])
    func forwarded(_ name: String, _ type: RRType) {
        #expect(resolve(Fixture.query(name, type), in: Fixture.zone) == .forward)
    }

    @Test(arguments: [
        ("cluster.local.", RRType.axfr), ("svc1.testns.svc.cluster.local.", .ixfr), ("10.in-addr.arpa.", .axfr),
    ])
    func zoneTransfersRefused(_ name: String, _ type: RRType) throws {
        let m = try #require(Fixture.answer(resolve(Fixture.query(name, type), in: Fixture.zone)))
        #expect(m.rcode == .refused)
        #expect(m.answers.isEmpty && m.authorities.isEmpty)
    }

    @Test(arguments: [PodRecordsMode.insecure, .verified, .disabled])
    func podRecordModes(_ mode: PodRecordsMode) throws {
        let zone = Fixture.zone(mode)
        func rcode(_ name: String) throws -> DNSRCode {
            try #require(Fixture.answer(resolve(Fixture.query(name, .a), in: zone))).rcode
        }
        let existing = try rcode("172-0-0-2.testns.pod.cluster.local.")  // pod web-0 has this IP
        let unknown = try rcode("1-2-3-4.testns.pod.cluster.local.")
        let wrongNamespace = try rcode("172-0-0-2.default.pod.cluster.local.")
        let namespaceName = try rcode("testns.pod.cluster.local.")
        switch mode {
        case .insecure:
            #expect([existing, unknown, wrongNamespace, namespaceName] == [.noError, .noError, .noError, .noError])
        case .verified:
            #expect([existing, unknown, wrongNamespace, namespaceName] == [.noError, .nxDomain, .nxDomain, .noError])
        case .disabled:
            #expect([existing, unknown, wrongNamespace, namespaceName] == [.nxDomain, .nxDomain, .nxDomain, .nxDomain])
        }
    }

    /// Before the first sync NXDOMAIN becomes SERVFAIL; everything else is unchanged.
    @Test func notSyncedServesServfailInsteadOfNxdomain() throws {
        let zone = ClusterZone.notSynced(config: Fixture.config())
        #expect(!zone.isSynced)
        let svc = try #require(Fixture.answer(resolve(Fixture.query("svc1.testns.svc.cluster.local.", .a), in: zone)))
        #expect(svc.rcode == .servFail)
        #expect(svc.authorities.map(Fixture.text) == ["cluster.local. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 30"])
        let apex = try #require(Fixture.answer(resolve(Fixture.query("cluster.local.", .a), in: zone)))
        #expect(apex.rcode == .noError)
        let version = try #require(Fixture.answer(resolve(Fixture.query("dns-version.cluster.local.", .txt), in: zone)))
        #expect(version.answers.map(Fixture.text) == ["dns-version.cluster.local. 28800 TXT \"1.1.0\""])
        #expect(resolve(Fixture.query("www.example.com.", .a), in: zone) == .forward)
        #expect(resolve(Fixture.query("1.0.0.10.in-addr.arpa.", .ptr), in: zone) == .forward)
    }

    @Test func ttlAndZoneComeFromConfig() throws {
        let config = ClusterDNSConfig(zone: "Example.Internal", ttl: 5)
        let zone = ClusterZone(config: config, services: Fixture.services, endpointSlices: [], pods: [], serial: 7)
        let ok = try #require(Fixture.answer(resolve(Fixture.query("svc1.testns.svc.example.internal.", .a), in: zone)))
        #expect(ok.answers.map(Fixture.text) == ["svc1.testns.svc.example.internal. 5 A 10.0.0.1"])
        let neg = try #require(Fixture.answer(resolve(Fixture.query("nope.testns.svc.example.internal.", .a), in: zone)))
        #expect(neg.authorities.map(Fixture.text) == ["example.internal. 5 SOA ns.dns.example.internal. hostmaster.example.internal. 7 7200 1800 86400 5"])
        #expect(resolve(Fixture.query("svc1.testns.svc.cluster.local.", .a), in: zone) == .forward)
        // TTL caps at 3600 like CoreDNS; the SOA RR TTL at 300.
        let long = ClusterZone(config: ClusterDNSConfig(ttl: 86400), services: [], endpointSlices: [], pods: [])
        let soaAnswer = try #require(Fixture.answer(resolve(Fixture.query("cluster.local.", .soa), in: long)))
        #expect(soaAnswer.answers.map(Fixture.text) == ["cluster.local. 300 SOA ns.dns.cluster.local. hostmaster.cluster.local. 0 7200 1800 86400 3600"])
    }
}

@Suite struct HeaderHandlingTests {
    @Test func ednsIsEchoedWithDOBit() throws {
        let q = Fixture.query("svc1.testns.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true))
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(m.edns == EDNS(udpPayloadSize: 1232, version: 0, dnssecOK: true))
        let plain = try #require(Fixture.answer(resolve(Fixture.query("svc1.testns.svc.cluster.local.", .a), in: Fixture.zone)))
        #expect(plain.edns == nil)
    }

    @Test func ednsVersionOneIsBadvers() throws {
        let q = Fixture.query("svc1.testns.svc.cluster.local.", .a, edns: EDNS(udpPayloadSize: 4096, version: 1))
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(m.rcode == .badVers)
        #expect(m.answers.isEmpty)
        let wire = m.serialize()
        #expect(wire[3] & 0x0F == 0)  // BADVERS = 16: low bits 0 in the header, 1 in the OPT TTL
        #expect(try DNSMessage(wire: wire).rcode == .badVers)
    }

    @Test func rdAndCdAreCopiedRaIsSet() throws {
        var q = Fixture.query("svc1.testns.svc.cluster.local.", .a)
        q.header.recursionDesired = false
        q.header.checkingDisabled = true
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(!m.header.recursionDesired)
        #expect(m.header.checkingDisabled)
        #expect(m.header.recursionAvailable)
    }

    @Test(arguments: [0, 2]) func questionCountOtherThanOneIsFormerr(_ count: Int) throws {
        var q = Fixture.query("svc1.testns.svc.cluster.local.", .a)
        q.questions = Array(repeating: q.questions[0], count: count)
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(m.rcode == .formErr)
        #expect(m.answers.isEmpty)
    }

    @Test(arguments: [DNSOpcode.notify, .update, DNSOpcode(rawValue: 2)]) func otherOpcodesAreNotimp(_ op: DNSOpcode) throws {
        var q = Fixture.query("svc1.testns.svc.cluster.local.", .a)
        q.header.opcode = op
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(m.rcode == .notImp)
        #expect(m.header.opcode == op)
    }

    @Test func nonInClassInZoneIsRefused() throws {
        var q = Fixture.query("svc1.testns.svc.cluster.local.", .a)
        q.questions[0].qclass = .chaos
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(m.rcode == .refused)
    }

    @Test func responsesAreNotAnswered() throws {
        var q = Fixture.query("svc1.testns.svc.cluster.local.", .a)
        q.header.isResponse = true
        let m = try #require(Fixture.answer(resolve(q, in: Fixture.zone)))
        #expect(m.rcode == .formErr)
        #expect(DNSMessage.formatErrorResponse(to: q.serialize()) == nil)
    }
}
