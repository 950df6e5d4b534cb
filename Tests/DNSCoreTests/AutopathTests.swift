import DNSCore
import Testing

@Suite struct AutopathTests {
    let client = IPAddress("10.244.0.7")!  // pod "client" in namespace default
    let zone = Fixture.zone

    func run(_ name: String, _ type: RRType = .a, from ip: IPAddress? = nil, zone: ClusterZone? = nil) -> AutopathResult {
        autopath(Fixture.query(name, type), sourceIP: ip ?? client, in: zone ?? self.zone)
    }

    @Test func secondSearchElementHitAnswersWithCname() throws {
        guard case .answer(let m) = run("svc1.testns.default.svc.cluster.local.") else {
            Issue.record("expected answer")
            return
        }
        #expect(m.rcode == .noError)
        #expect(m.questions[0].name.description == "svc1.testns.default.svc.cluster.local.")
        #expect(
            m.answers.map(Fixture.text) == [
                "svc1.testns.default.svc.cluster.local. 30 CNAME svc1.testns.svc.cluster.local.", "svc1.testns.svc.cluster.local. 30 A 10.0.0.1",
            ])
    }

    @Test func clientSpellingIsKeptInCnameAndQuestion() throws {
        guard case .answer(let m) = run("Svc1.TestNS.Default.svc.cluster.local.", from: IPAddress("fd00:244::7")) else {
            Issue.record("expected answer")
            return
        }
        #expect(m.questions[0].name.description == "Svc1.TestNS.Default.svc.cluster.local.")
        #expect(
            m.answers.map(Fixture.text) == [
                "Svc1.TestNS.Default.svc.cluster.local. 30 CNAME Svc1.TestNS.svc.cluster.local.", "Svc1.TestNS.svc.cluster.local. 30 A 10.0.0.1",
            ])
    }

    /// The bare name inside the zone is answered here too (the classic `...cluster.local.<ns>.svc...` miss).
    @Test func bareNameInZone() throws {
        guard case .answer(let m) = run("svc1.testns.svc.cluster.local.default.svc.cluster.local.") else {
            Issue.record("expected answer")
            return
        }
        #expect(
            m.answers.map(Fixture.text) == [
                "svc1.testns.svc.cluster.local.default.svc.cluster.local. 30 CNAME svc1.testns.svc.cluster.local.",
                "svc1.testns.svc.cluster.local. 30 A 10.0.0.1",
            ])
    }

    /// NODATA on a later element is returned as is, without a CNAME (CoreDNS `cnamer`).
    @Test func nodataOnLaterElement() throws {
        guard case .answer(let m) = run("svc1.testns.default.svc.cluster.local.", .aaaa) else {
            Issue.record("expected answer")
            return
        }
        #expect(m.rcode == .noError)
        #expect(m.answers.isEmpty)
        #expect(m.authorities.map(Fixture.text) == [Fixture.soa])
        #expect(m.questions[0].name.description == "svc1.testns.default.svc.cluster.local.")
    }

    @Test(arguments: [
        ("www.example.com.default.svc.cluster.local.", "www.example.com."), ("svc1.default.svc.cluster.local.", "svc1."),
    ])
    func outsideBareNameIsForwarded(_ name: String, _ bare: String) {
        let r = run(name)
        guard case .forward(let cname, let then) = r else {
            Issue.record("expected forward, got \(r)")
            return
        }
        #expect(Fixture.text(cname) == "\(name) 30 CNAME \(bare)")
        #expect(then.description == bare)
    }

    @Test func completeAutopathBuildsReply() throws {
        let q = Fixture.query("www.example.com.default.svc.cluster.local.", .a, id: 99)
        guard case .forward(let cname, let then) = autopath(q, sourceIP: client, in: zone) else {
            Issue.record("expected forward")
            return
        }
        var up = DNSMessage.query(id: 5, name: then, type: .a)
        up.header.isResponse = true
        up.answers = [ResourceRecord(name: then, ttl: 300, data: .a(IPv4Address(93, 184, 216, 34)))]
        let ok = completeAutopath(query: q, cname: cname, upstream: up, in: zone)
        #expect(ok.header.id == 99)
        #expect(ok.rcode == .noError)
        #expect(
            ok.answers.map(Fixture.text) == [
                "www.example.com.default.svc.cluster.local. 300 CNAME www.example.com.", "www.example.com. 300 A 93.184.216.34",
            ])

        up.answers = []
        up.header.rcode = .nxDomain
        let nx = completeAutopath(query: q, cname: cname, upstream: up, in: zone)
        #expect(nx.rcode == .nxDomain)
        #expect(nx.answers.isEmpty)
        #expect(nx.authorities.map(Fixture.text) == [Fixture.soa])
        #expect(nx.questions == q.questions)

        let failed = completeAutopath(query: q, cname: cname, upstream: nil, in: zone)
        #expect(failed.rcode == .servFail)
    }

    @Test func firstElementThatExistsIsAnsweredDirectly() throws {
        let q = Fixture.query("_http._tcp.svc1.testns.svc.cluster.local.", .srv)
        let ip = IPAddress("172.0.0.2")!  // pod web-0 in testns
        guard case .answer(let m) = autopath(q, sourceIP: ip, in: zone) else {
            Issue.record("expected answer")
            return
        }
        #expect(Resolution.answer(m) == resolve(q, in: zone))
    }

    @Test(arguments: [
        ("svc1.testns.default.svc.cluster.local.", "10.99.99.99"),  // unknown source
        ("svc1.testns.default.svc.cluster.local.", "192.168.1.10"),  // IP shared by pods of two namespaces
        ("svc1.testns.default.svc.cluster.local.", "10.244.0.8"),  // dnsPolicy None
        ("svc1.testns.default.svc.cluster.local.", "10.244.0.9"),  // Succeeded pod
        ("svc1.testns.svc.cluster.local.", "10.244.0.7"),  // not under the client's first search element
        ("default.svc.cluster.local.", "10.244.0.7"),  // the search element itself
        ("www.example.com.", "10.244.0.7"),
        ("ext.testns.default.svc.cluster.local.", "10.244.0.7"),  // ExternalName hop: left to the client
    ])
    func notApplicable(_ name: String, _ ip: String) {
        #expect(run(name, from: IPAddress(ip)!) == .notApplicable)
    }

    @Test func notApplicableBeforeSyncOrForTransfers() {
        #expect(run("svc1.testns.default.svc.cluster.local.", zone: .notSynced(config: Fixture.config())) == .notApplicable)
        #expect(run("svc1.testns.default.svc.cluster.local.", .axfr) == .notApplicable)
    }

    /// All in-zone candidates NXDOMAIN and the bare name in-zone NXDOMAIN too: the first reply.
    @Test func allMissReturnsFirstReply() throws {
        let name = "nope.cluster.local.default.svc.cluster.local."
        guard case .answer(let m) = run(name) else {
            Issue.record("expected answer")
            return
        }
        #expect(m.rcode == .nxDomain)
        #expect(m.questions[0].name.description == name)
        #expect(m.answers.isEmpty)
    }
}
