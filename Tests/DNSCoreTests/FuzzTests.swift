import DNSCore
import TestSupport
import Testing


@Suite struct FuzzTests {
    /// Valid queries and responses to mutate: every rcode path, compression, EDNS, unknown types.
    static func corpus() -> [[UInt8]] {
        let names: [(String, RRType)] =
            specRows.map { ($0.name, $0.type) } + nxdomainRows.prefix(6).map { ($0.name, $0.type) } + [
                ("ext.testns.svc.cluster.local.", .a), ("1-2-3-4.testns.pod.cluster.local.", .a), ("cluster.local.", .ns),
                ("svc1.testns.default.svc.cluster.local.", .a), ("www.example.com.", .a), ("_http._tcp.six.testns.svc.cluster.local.", .srv),
            ]
        var out: [[UInt8]] = []
        for (i, (name, type)) in names.enumerated() {
            let q = Fixture.query(name, type, id: UInt16(i), edns: i % 2 == 0 ? EDNS(udpPayloadSize: 1232, dnssecOK: i % 4 == 0) : nil)
            out.append(q.serialize())
            if case .answer(let m) = resolve(q, in: Fixture.zone) { out.append(m.serialize()) }
        }
        var mixed = DNSMessage(header: DNSHeader(id: 3, isResponse: true))
        mixed.questions = [DNSQuestion(name: "example.", type: .any)]
        mixed.answers = CodecTests.sampleRecords
        out.append(mixed.serialize())
        return out
    }

    /// 200k seeded mutations: parse never traps; anything that parses can be resolved,
    /// autopathed and re-serialized, and our own output always parses again.
    @Test func mutatedPacketsNeverCrash() throws {
        let corpus = Self.corpus()
        var rng = SplitMix64(state: 0xF3_22_D4_5C)
        let zone = Fixture.zone
        let sources = [IPAddress("10.244.0.7")!, IPAddress("172.0.0.2")!, IPAddress("10.9.9.9")!]
        var parsed = 0, rejected = 0
        var rejectedKinds = Set<String>()
        var ownOutputFailures: [String] = []
        for iteration in 0..<200_000 {
            var p = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) { mutate(&p, &rng) }
            let message: DNSMessage
            do {
                message = try DNSMessage(wire: p)
            } catch {
                rejected += 1
                rejectedKinds.insert("\(error)".components(separatedBy: "(").first ?? "")
                if let fe = DNSMessage.formatErrorResponse(to: p), fe.count != 12 { ownOutputFailures.append("formerr size #\(iteration)") }
                continue
            }
            parsed += 1
            if (try? DNSMessage(wire: message.serialize())) == nil { ownOutputFailures.append("reserialize #\(iteration)") }
            let limit = DNSMessage.udpResponseLimit(for: message)
            switch resolve(message, in: zone) {
            case .answer(let m):
                let out = m.serialize(maxSize: limit)
                if out.count > max(limit, 12 + 4 + 255 + 11) || (try? DNSMessage(wire: out)) == nil {
                    ownOutputFailures.append("answer #\(iteration)")
                }
            case .externalName(let cnames, _):
                let m = completeExternalName(query: message, cnames: cnames, upstream: message, in: zone)
                if (try? DNSMessage(wire: m.serialize(maxSize: limit))) == nil { ownOutputFailures.append("ext #\(iteration)") }
            case .forward:
                break
            }
            switch autopath(message, sourceIP: sources[iteration % sources.count], in: zone) {
            case .answer(let m):
                if (try? DNSMessage(wire: m.serialize(maxSize: limit))) == nil { ownOutputFailures.append("autopath #\(iteration)") }
            case .forward(let cname, _):
                _ = completeAutopath(query: message, cname: cname, upstream: message, in: zone).serialize()
            case .notApplicable:
                break
            }
        }
        #expect(ownOutputFailures.isEmpty, "\(ownOutputFailures.prefix(5))")
        // The loop must exercise both sides, or it proves nothing.
        #expect(parsed > 20_000)
        #expect(rejected > 20_000)
        #expect(rejectedKinds.isSuperset(of: ["truncated", "badCompressionPointer", "badLabelType", "countsExceedPacket", "trailingBytes"]), "\(rejectedKinds)")
    }

    func mutate(_ p: inout [UInt8], _ rng: inout SplitMix64) {
        if p.isEmpty { p = [UInt8.random(in: 0...255, using: &rng)]; return }
        let i = Int.random(in: 0..<p.count, using: &rng)
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: p[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        case 1: p[i] = UInt8.random(in: 0...255, using: &rng)
        case 2: p.removeSubrange(Int.random(in: 0...p.count, using: &rng)...)  // truncate
        case 3: p.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
        case 4:  // a compression pointer anywhere, often backwards, sometimes forwards
            p[i] = 0xC0 | UInt8.random(in: 0...0x3F, using: &rng) & (Bool.random(using: &rng) ? 0 : 0x3F)
            if i + 1 < p.count { p[i + 1] = UInt8.random(in: 0...UInt8(min(255, p.count + 16)), using: &rng) }
        case 5:  // section counts
            let at = 4 + 2 * Int.random(in: 0..<4, using: &rng)
            if at + 1 < p.count { p[at + 1] = UInt8.random(in: 0...5, using: &rng); p[at] = Bool.random(using: &rng) ? 0 : 0xFF }
        case 6:  // label length bytes
            p[i] = [0, 1, 63, 64, 0x80, 0xC0, 0xFF][Int.random(in: 0..<7, using: &rng)]
        default:  // duplicate a slice (grows names and records)
            let j = Int.random(in: i...p.count, using: &rng)
            p.insert(contentsOf: p[i..<j], at: Int.random(in: 0...p.count, using: &rng))
        }
    }
}
