import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

typealias FuzzRNG = SplitMix64

/// A DNS query on the wire, encoded by hand so this black-box test shares no code with the server.
func wireQuery(_ name: String, type: UInt16, id: UInt16, edns: Bool = false) -> [UInt8] {
    var p: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0]
    for label in name.split(separator: ".") {
        p.append(UInt8(label.utf8.count))
        p += Array(label.utf8)
    }
    p += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
    if edns { p += [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0] }  // OPT, 1232-byte payload
    return p
}

/// A connected UDP socket with a receive timeout.
final class UDPClient {
    let fd: Int32
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        guard connectLoopback(fd, port: port) else { throw HarnessError("connect: \(errno)") }
    }
    func send(_ p: [UInt8]) { _ = p.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
    /// One datagram, or nil after `timeoutMs`.
    func receive(timeoutMs: Int32) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMs) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buf[..<n]) : nil
    }
    deinit { close(fd) }
}

/// Valid queries the fuzzer starts from: zone answers, NXDOMAIN, NODATA, SRV, PTR, EDNS, forwarded names.
let fuzzCorpus: [[UInt8]] = {
    let z = "cluster.local"
    let names: [(String, UInt16)] = [
        ("svc1.testns.svc.\(z)", 1), ("svc6.testns.svc.\(z)", 28), ("_http._tcp.svc1.testns.svc.\(z)", 33),
        ("hdls.testns.svc.\(z)", 1), ("nope.testns.svc.\(z)", 1), ("svc1.testns.svc.\(z)", 16),
        ("10.0.96.10.in-addr.arpa", 12), ("1-2-3-4.testns.pod.\(z)", 1), ("\(z)", 6), ("\(z)", 252),
        ("ext.testns.svc.\(z)", 5), ("dns-version.\(z)", 16), ("svc1.testns.svc.\(z).testns.svc.\(z)", 1),
    ]
    return names.enumerated().map { i, q in wireQuery(q.0, type: q.1, id: UInt16(i), edns: i % 2 == 0) }
}()

/// One fuzz packet: a quarter pure noise, the rest mutated corpus queries. Never carries the
/// probe's ID 0xBEEF, so a reply with that ID is the probe's.
func fuzzPacket(_ rng: inout FuzzRNG) -> [UInt8] {
    var p = fuzzMutation(&rng)
    if p.count >= 2 && p[0] == 0xBE && p[1] == 0xEF { p[0] = 0 }
    return p
}

func fuzzMutation(_ rng: inout FuzzRNG) -> [UInt8] {
    if Int.random(in: 0..<4, using: &rng) == 0 {
        return (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
    var p = fuzzCorpus[Int.random(in: 0..<fuzzCorpus.count, using: &rng)]
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0 where !p.isEmpty: p[Int.random(in: 0..<p.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 1 where !p.isEmpty: p[Int.random(in: 0..<p.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
        case 2 where !p.isEmpty: p.removeLast(Int.random(in: 1...p.count, using: &rng))
        case 3: p += (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 4 where p.count >= 12:  // section counts: huge or off by one
            let at = 4 + 2 * Int.random(in: 0..<4, using: &rng)
            p[at] = UInt8.random(in: 0...255, using: &rng)
            p[at + 1] = UInt8.random(in: 0...255, using: &rng)
        case 5 where p.count >= 14:  // a compression pointer into the header, itself, or past the end
            let at = Int.random(in: 12..<p.count - 1, using: &rng)
            p[at] = 0xC0 | UInt8.random(in: 0...0x3F, using: &rng)
            p[at + 1] = UInt8.random(in: 0...255, using: &rng)
        case 6 where p.count >= 3: p[2] = UInt8.random(in: 0...255, using: &rng)  // QR/opcode/flags
        default: p.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...p.count, using: &rng))
        }
    }
    return p
}

@Suite("cluster DNS under fuzzing", .serialized)
struct DNSFuzzEndToEndTests {
    /// ≥ 1M random and mutated datagrams at the running binary, in batches each followed by a valid
    /// probe that must be answered correctly (so the server is never just silently dead), then TCP
    /// garbage, then dig over UDP and TCP.
    @Test("a million random and mutated packets: the server keeps answering")
    func millionPackets() throws {
        guard which("dig") != nil else { throw HarnessError("dig is not installed (apt-get install dnsutils)") }
        let dnsPort = freePort()
        let ferry = try FerryServerProcess(extraArgs: [
            "--service-cidr", "10.96.0.0/12,fd00:10:96::/108", "--dns-listen", "127.0.0.1:\(dnsPort)", "--upstream", "127.0.0.1:9",
        ])
        defer { ferry.stop() }
        let r = try ferry.kubectl(["apply", "-f", "-"], stdin: dnsFixture)
        #expect(r.status == 0, "\(r)")
        let svc1 = try ferry.kubectl(["get", "svc", "svc1", "-n", "testns", "-o", "jsonpath={.spec.clusterIP}"]).stdout
        #expect(try eventually { try digShort(dnsPort, ["svc1.testns.svc.cluster.local", "A"]) == [svc1] })
        let svc1Bytes = svc1.split(separator: ".").compactMap { UInt8($0) }

        // Batches stay far below a socket buffer, so the kernel drops (next to) nothing: counted below.
        let perSender = 500_000, batch = 64, senders = 2
        let dropsBefore = udpReceiveBufferErrors()
        let failures = LockedData()
        let tally = FuzzTally()
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: senders) { worker in
            guard let client = try? UDPClient(port: dnsPort) else { failures.set(Data("socket".utf8)); return }
            var rng = FuzzRNG(state: 0xD15EA5E + UInt64(worker))
            let probe = wireQuery("svc1.testns.svc.cluster.local", type: 1, id: 0xBEEF)
            var mySent = 0, myAnswered = 0, myLost = 0, consecutiveLost = 0
            while mySent < perSender && Date().timeIntervalSince(start) < 600 {
                for _ in 0..<batch {
                    client.send(fuzzPacket(&rng))
                    mySent += 1
                }
                // Everything from one socket lands on one server socket in order, so the probe's
                // answer also means the batch before it was read.
                client.send(probe)
                var gotProbe = false
                let deadline = Date().addingTimeInterval(2)
                while !gotProbe && Date() < deadline, let reply = client.receive(timeoutMs: 200) {
                    myAnswered += 1
                    if reply.count > 12, reply[0] == 0xBE, reply[1] == 0xEF, reply[2] & 0x80 != 0 {
                        // NOERROR with an A record ending in svc1's address.
                        if reply[3] & 0x0F == 0, Array(reply.suffix(4)) == svc1Bytes { gotProbe = true } else {
                            failures.set(Data("probe answered wrongly: \(reply)".utf8))
                        }
                    }
                }
                if gotProbe { consecutiveLost = 0 } else {
                    myLost += 1
                    consecutiveLost += 1
                    if consecutiveLost >= 5 {
                        failures.set(Data("5 probes in a row unanswered after \(mySent) packets".utf8))
                        break
                    }
                }
            }
            tally.add(sent: mySent, answered: myAnswered, probesLost: myLost)
        }
        let (sent, answered, probesLost) = tally.totals
        let elapsed = Date().timeIntervalSince(start)
        let dropped = udpReceiveBufferErrors().map { $0 - (dropsBefore ?? 0) }
        print("dns fuzz: sent \(sent) packets in \(String(format: "%.1f", elapsed)) s, \(answered) replies, \(probesLost) probes lost, kernel receive-buffer drops \(dropped.map(String.init) ?? "unknown")")
        // Nearly every packet must have reached the server, not a full socket buffer.
        if let dropped { #expect(dropped * 100 <= sent, "\(dropped) datagrams dropped by the kernel") }
        #expect(failures.get().isEmpty, "\(String(decoding: failures.get(), as: UTF8.self))")
        #expect(sent >= 1_000_000, "only \(sent) packets sent in the time bound")
        // A probe may be lost to a full socket buffer now and then; most must be answered.
        #expect(probesLost * 100 <= sent / batch, "\(probesLost) of \(sent / batch) probes unanswered")
        #expect(ferry.isRunning, "ferry exited:\n\(ferry.serverLog().suffix(4000))")

        // TCP: garbage frames, lying length prefixes, abrupt closes.
        var rng = FuzzRNG(state: 0x7C9)
        for _ in 0..<500 {
            var frame: [UInt8] = []
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let body = fuzzPacket(&rng)
                let len = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 0...65535, using: &rng) : body.count
                frame += [UInt8(len >> 8 & 0xFF), UInt8(len & 0xFF)] + body
            }
            tcpSendAndClose(port: dnsPort, frame)
        }
        #expect(ferry.isRunning, "ferry exited:\n\(ferry.serverLog().suffix(4000))")
        #expect(try digShort(dnsPort, ["svc1.testns.svc.cluster.local", "A"]) == [svc1])
        #expect(try digShort(dnsPort, ["+tcp", "svc1.testns.svc.cluster.local", "A"]) == [svc1])
        #expect(try digShort(dnsPort, ["_http._tcp.svc1.testns.svc.cluster.local", "SRV"]) == ["0 100 80 svc1.testns.svc.cluster.local."])
    }
}

final class FuzzTally: @unchecked Sendable {
    private let lock = NSLock()
    private var sent = 0, answered = 0, probesLost = 0
    func add(sent s: Int, answered a: Int, probesLost l: Int) {
        lock.lock()
        sent += s
        answered += a
        probesLost += l
        lock.unlock()
    }
    var totals: (Int, Int, Int) { lock.lock(); defer { lock.unlock() }; return (sent, answered, probesLost) }
}

/// `RcvbufErrors` from /proc/net/snmp: UDP datagrams the kernel dropped because a socket buffer was full.
func udpReceiveBufferErrors() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/net/snmp", encoding: .utf8) else { return nil }
    let lines = text.split(separator: "\n").filter { $0.hasPrefix("Udp: ") }.map { $0.split(separator: " ") }
    guard lines.count >= 2, let i = lines[0].firstIndex(of: "RcvbufErrors"), i < lines[1].count else { return nil }
    return Int(lines[1][i])
}

/// Writes `bytes` on a fresh TCP connection and closes it without waiting for answers.
func tcpSendAndClose(port: Int, _ bytes: [UInt8]) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return }
    defer { close(fd) }
    guard connectLoopback(fd, port: port) else { return }
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
}

/// Connects `fd` to 127.0.0.1:`port`.
func connectLoopback(_ fd: Int32, port: Int) -> Bool {
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
