import DNSCore
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import DNS

@Suite struct ForwardCachePolicyTests {
    static let q = DNSQuestion(name: "www.example.com.", type: .a)
    static func soa(ttl: UInt32, minimum: UInt32) -> ResourceRecord {
        ResourceRecord(
            name: "example.com.", ttl: ttl,
            data: .soa(SOAData(mname: "ns.example.com.", rname: "h.example.com.", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: minimum)))
    }
    static func msg(rcode: DNSRCode = .noError, answers: [UInt32] = [], authority: [ResourceRecord] = [], tc: Bool = false) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(isResponse: true, isTruncated: tc, rcode: rcode), questions: [q],
            answers: answers.map { ResourceRecord(name: "www.example.com.", ttl: $0, data: .a(IPv4Address(1, 2, 3, 4))) },
            authorities: authority)
    }

    @Test(arguments: [
        (msg(answers: [300]), UInt32(30), CacheKind.success),  // capped
        (msg(answers: [20, 10, 300]), 10, .success),  // min RR TTL
        (msg(answers: [20], authority: [soa(ttl: 5, minimum: 60)]), 5, .success),  // authority counts too
        (msg(rcode: .nxDomain, authority: [soa(ttl: 3600, minimum: 12)]), 12, .denial),  // RFC 2308: min(SOA TTL, minimum)
        (msg(rcode: .nxDomain, authority: [soa(ttl: 7, minimum: 600)]), 7, .denial),
        (msg(rcode: .nxDomain, authority: [soa(ttl: 3600, minimum: 3600)]), 30, .denial),  // capped
        (msg(authority: [soa(ttl: 15, minimum: 60)]), 15, .denial),  // NODATA
    ] as [(DNSMessage, UInt32, CacheKind)])
    func cacheable(_ m: DNSMessage, _ ttl: UInt32, _ kind: CacheKind) throws {
        let p = try #require(ForwardCache.policy(for: m, maxSuccessTTL: 30, maxDenialTTL: 30))
        #expect(p.ttl == ttl)
        #expect(p.kind == kind)
    }

    @Test(arguments: [
        msg(rcode: .servFail),
        msg(rcode: .refused, answers: [30]),
        msg(rcode: .formErr),
        msg(answers: [30], tc: true),  // truncated: incomplete
        msg(rcode: .nxDomain),  // no SOA: RFC 2308 says do not cache
        msg(),  // NODATA without SOA
        msg(answers: [0]),  // TTL 0
        msg(rcode: .nxDomain, authority: [soa(ttl: 0, minimum: 60)]),
        msg(rcode: .nxDomain, authority: [soa(ttl: 60, minimum: 0)]),
    ])
    func notCacheable(_ m: DNSMessage) {
        #expect(ForwardCache.policy(for: m, maxSuccessTTL: 30, maxDenialTTL: 30) == nil)
    }
}

/// A settable clock for cache expiry.
final class TestClock: Sendable {
    private let t = NIOLockedValueBox(NIODeadline.uptimeNanoseconds(1_000_000_000))
    var now: NIODeadline { t.withLockedValue { $0 } }
    func advance(_ a: TimeAmount) { t.withLockedValue { $0 = $0 + a } }
}

@Suite struct ForwardCacheTests {
    let clock = TestClock()

    func cache(capacity: Int = 10) -> ForwardCache {
        let clock = self.clock
        return ForwardCache(capacity: capacity, maxSuccessTTL: 30, maxDenialTTL: 30, now: { clock.now })
    }

    func key(_ name: DNSName, _ type: RRType = .a, dnssecOK: Bool = false) -> CacheKey {
        CacheKey(DNSQuestion(name: name, type: type), dnssecOK: dnssecOK)
    }

    @Test func hitAgesTTLsAndExpires() throws {
        let c = cache()
        #expect(c.insert(key("www.example.com."), response: ForwardCachePolicyTests.msg(answers: [20, 300])) == .success)
        clock.advance(.seconds(7))
        let hit = try #require(c.lookup(key("www.example.com.")))
        // 20 -> 13; 300 is capped to the entry TTL (20) first, then aged.
        #expect(hit.message.answers.map(\.ttl) == [13, 13])
        #expect(hit.kind == .success)
        clock.advance(.seconds(13))
        #expect(c.lookup(key("www.example.com.")) == nil)
        #expect(c.count(.success) == 0)
    }

    @Test func keyIgnoresCaseButNotTypeClassOrDO() {
        let c = cache()
        c.insert(key("WWW.Example.COM."), response: ForwardCachePolicyTests.msg(answers: [30]))
        #expect(c.lookup(key("www.example.com.")) != nil)
        #expect(c.lookup(key("www.example.com.", .aaaa)) == nil)
        #expect(c.lookup(key("www.example.com.", dnssecOK: true)) == nil)
        var chaos = DNSQuestion(name: "www.example.com.", type: .a)
        chaos.qclass = .chaos
        #expect(c.lookup(CacheKey(chaos, dnssecOK: false)) == nil)
    }

    @Test func uncacheableIsNotStored() {
        let c = cache()
        #expect(c.insert(key("a."), response: ForwardCachePolicyTests.msg(rcode: .servFail)) == nil)
        #expect(c.lookup(key("a.")) == nil)
        #expect(c.count(.success) + c.count(.denial) == 0)
    }

    @Test func evictsLeastRecentlyUsedAndCountsKinds() {
        let c = cache(capacity: 2)
        c.insert(key("a."), response: ForwardCachePolicyTests.msg(answers: [30]))
        c.insert(key("b."), response: ForwardCachePolicyTests.msg(rcode: .nxDomain, authority: [ForwardCachePolicyTests.soa(ttl: 30, minimum: 30)]))
        #expect(c.count(.success) == 1 && c.count(.denial) == 1)
        _ = c.lookup(key("a."))  // a is now most recent; b goes next
        c.insert(key("c."), response: ForwardCachePolicyTests.msg(answers: [30]))
        #expect(c.lookup(key("b.")) == nil)
        #expect(c.lookup(key("a.")) != nil)
        #expect(c.lookup(key("c.")) != nil)
        #expect(c.count(.success) == 2 && c.count(.denial) == 0)
    }

    @Test func reinsertReplaces() throws {
        let c = cache(capacity: 2)
        c.insert(key("a."), response: ForwardCachePolicyTests.msg(answers: [30]))
        c.insert(key("a."), response: ForwardCachePolicyTests.msg(answers: [10]))
        #expect(try #require(c.lookup(key("a."))).message.answers.map(\.ttl) == [10])
        #expect(c.count(.success) == 1)
    }

    @Test func zeroCapacityDisables() {
        let c = cache(capacity: 0)
        #expect(c.insert(key("a."), response: ForwardCachePolicyTests.msg(answers: [30])) == nil)
        #expect(c.lookup(key("a.")) == nil)
    }
}

@Suite struct LRUStoreTests {
    @Test func orderAndEviction() {
        var s = LRUStore<String, Int>(capacity: 3)
        #expect(s.set("a", 1) == nil)
        #expect(s.set("b", 2) == nil)
        #expect(s.set("c", 3) == nil)
        #expect(s.keysByRecency == ["c", "b", "a"])
        #expect(s.get("a") == 1)
        #expect(s.keysByRecency == ["a", "c", "b"])
        #expect(s.set("d", 4) == 2)  // b evicted
        #expect(s.keysByRecency == ["d", "a", "c"])
        #expect(s.remove("a") == 1)
        #expect(s.remove("a") == nil)
        #expect(s.keysByRecency == ["d", "c"])
        #expect(s.set("e", 5) == nil)  // reuses the freed slot
        #expect(s.count == 3)
        #expect(s.keysByRecency == ["e", "d", "c"])
        #expect(s.get("zz") == nil)
    }

    @Test func manyOperationsStayConsistent() {
        var s = LRUStore<Int, Int>(capacity: 8)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<2000 {
            let k = Int.random(in: 0..<20, using: &rng)
            switch i % 3 {
            case 0: _ = s.set(k, i)
            case 1: _ = s.get(k)
            default: _ = s.remove(k)
            }
            #expect(s.count <= 8)
            #expect(s.keysByRecency.count == s.count)
        }
    }
}
