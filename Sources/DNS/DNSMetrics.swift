import CoreMetrics
import DNSCore
import NIOConcurrencyHelpers

/// The transport a query came in on (the `proto` label).
enum DNSTransport: String, Sendable {
    case udp
    case tcp
}

/// CoreDNS's metric names and labels (plugin/metrics, plugin/cache, plugin/forward), so existing
/// CoreDNS dashboards and alerts work unchanged. Handles are created once per label set and kept
/// (creating one per query would take the metrics factory's lock every time).
final class DNSMetrics: Sendable {
    let server: String
    let factory: any MetricsFactory
    /// The server block's zone: Ferry has one block, `.`, like the standard Corefile.
    static let zone = "."
    static let view = ""

    /// Query types CoreDNS reports by name; everything else is `other` (plugin/metrics/vars/monitor.go).
    static let monitoredTypes: [UInt16: String] = [
        1: "A", 28: "AAAA", 15: "MX", 6: "SOA", 5: "CNAME", 12: "PTR", 16: "TXT", 2: "NS", 33: "SRV", 43: "DS",
        48: "DNSKEY", 46: "RRSIG", 47: "NSEC", 50: "NSEC3", 65: "HTTPS", 251: "IXFR", 252: "AXFR", 255: "ANY",
    ]

    /// miekg/dns `RcodeToString` (16 is reported as BADSIG there, and so here).
    static func rcodeName(_ r: DNSRCode) -> String {
        let i = Int(r.rawValue)
        return i < rcodeNames.count && !rcodeNames[i].isEmpty ? rcodeNames[i] : String(r.rawValue)
    }

    static let rcodeNames = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
        "", "", "", "", "", "BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
    ]
    /// The plugins the engine reports; their response counters are made up front (no lock per query).
    static let plugins = ["", "kubernetes", "forward", "cache", "autopath"]

    static func typeName(_ t: RRType) -> String { monitoredTypes[t.rawValue] ?? "other" }

    private struct RequestKey: Hashable {
        var proto: DNSTransport
        var family: Int
        var type: String
    }

    private struct ResponseKey: Hashable {
        var rcode: String
        var plugin: String
    }

    private struct ForwardResponseKey: Hashable {
        var to: String
        var rcode: String
    }

    private let requests: [RequestKey: Counter]
    /// `[udp/tcp × family 1/2][type code]` for the monitored types below 256.
    private let requestsByType: [[Counter?]]
    private let durations: [String: Timer]
    private let responses: NIOLockedValueBox<[ResponseKey: Counter]>
    /// `[plugin index][rcode]` for the common rcodes (0...10) of `plugins`.
    private let commonResponses: [[Counter]]
    private let durationByType: [Timer?]
    private let forwardHandles: NIOLockedValueBox<[String: (requests: Counter, duration: Timer)]>
    private let forwardResponses: NIOLockedValueBox<[ForwardResponseKey: (count: Counter, proxyDuration: Timer)]>
    let cacheHits: [CacheKind: Counter]
    let cacheMisses: Counter
    let cacheRequests: Counter
    let cacheEntries: [CacheKind: Gauge]
    let forwardRejects: Counter

    init(server: String, factory: any MetricsFactory) {
        self.server = server
        self.factory = factory
        let types = Array(Set(Self.monitoredTypes.values)) + ["other"]
        var req: [RequestKey: Counter] = [:]
        for proto in [DNSTransport.udp, .tcp] {
            for family in [1, 2] {
                for t in types {
                    req[RequestKey(proto: proto, family: family, type: t)] = Counter(
                        label: "coredns_dns_requests_total",
                        dimensions: [
                            ("server", server), ("zone", Self.zone), ("view", Self.view), ("proto", proto.rawValue),
                            ("family", String(family)), ("type", t),
                        ], factory: factory)
                }
            }
        }
        requests = req
        requestsByType = [DNSTransport.udp, .tcp].flatMap { proto in
            [1, 2].map { family in
                var row = [Counter?](repeating: nil, count: 256)
                for (code, name) in Self.monitoredTypes where code < 256 { row[Int(code)] = req[RequestKey(proto: proto, family: family, type: name)] }
                return row
            }
        }
        var dur: [String: Timer] = [:]
        for t in types {
            dur[t] = Timer(
                label: "coredns_dns_request_duration_seconds",
                dimensions: [("server", server), ("zone", Self.zone), ("view", Self.view), ("type", t)], factory: factory)
        }
        durations = dur
        var byType = [Timer?](repeating: nil, count: 256)
        for (code, name) in Self.monitoredTypes where code < 256 { byType[Int(code)] = dur[name] }
        durationByType = byType
        commonResponses = Self.plugins.map { plugin in
            (0...10).map { rcode in
                Counter(
                    label: "coredns_dns_responses_total",
                    dimensions: [
                        ("server", server), ("zone", Self.zone), ("view", Self.view), ("rcode", Self.rcodeNames[rcode]), ("plugin", plugin),
                    ], factory: factory)
            }
        }
        responses = NIOLockedValueBox([:])
        forwardHandles = NIOLockedValueBox([:])
        forwardResponses = NIOLockedValueBox([:])
        let cacheDims = [("server", server), ("zones", Self.zone), ("view", Self.view)]
        var hits: [CacheKind: Counter] = [:]
        var entries: [CacheKind: Gauge] = [:]
        for kind in [CacheKind.success, .denial] {
            let dims = [("server", server), ("type", kind.rawValue), ("zones", Self.zone), ("view", Self.view)]
            hits[kind] = Counter(label: "coredns_cache_hits_total", dimensions: dims, factory: factory)
            entries[kind] = Gauge(label: "coredns_cache_entries", dimensions: dims, factory: factory)
        }
        cacheHits = hits
        cacheEntries = entries
        cacheMisses = Counter(label: "coredns_cache_misses_total", dimensions: cacheDims, factory: factory)
        cacheRequests = Counter(label: "coredns_cache_requests_total", dimensions: cacheDims, factory: factory)
        forwardRejects = Counter(label: "coredns_forward_max_concurrent_rejects_total", dimensions: [], factory: factory)
    }

    func request(proto: DNSTransport, family: Int, type: RRType) {
        let slot = (proto == .udp ? 0 : 2) + (family == 2 ? 1 : 0)
        if type.rawValue < 256, let c = requestsByType[slot][Int(type.rawValue)] {
            c.increment()
        } else {
            requests[RequestKey(proto: proto, family: family, type: "other")]?.increment()
        }
    }

    func response(rcode: DNSRCode, plugin: String, type: RRType, nanoseconds: Int64) {
        let timer = type.rawValue < 256 ? durationByType[Int(type.rawValue)] : nil
        (timer ?? durations["other"])?.recordNanoseconds(max(0, nanoseconds))
        if rcode.rawValue <= 10, let p = Self.plugins.firstIndex(of: plugin) {
            commonResponses[p][Int(rcode.rawValue)].increment()
            return
        }
        let key = ResponseKey(rcode: Self.rcodeName(rcode), plugin: plugin)
        let counter = responses.withLockedValue { table in
            if let c = table[key] { return c }
            let c = Counter(
                label: "coredns_dns_responses_total",
                dimensions: [
                    ("server", server), ("zone", Self.zone), ("view", Self.view), ("rcode", key.rcode), ("plugin", key.plugin),
                ], factory: factory)
            table[key] = c
            return c
        }
        counter.increment()
    }

    func forwardRequest(to: String) {
        forwardHandle(to).requests.increment()
    }

    func forwardResponse(to: String, rcode: DNSRCode, nanoseconds: Int64) {
        forwardHandle(to).duration.recordNanoseconds(max(0, nanoseconds))
        let key = ForwardResponseKey(to: to, rcode: Self.rcodeName(rcode))
        let h = forwardResponses.withLockedValue { table in
            if let h = table[key] { return h }
            let h = (
                count: Counter(label: "coredns_forward_responses_total", dimensions: [("to", to), ("rcode", key.rcode)], factory: factory),
                proxyDuration: Timer(
                    label: "coredns_proxy_request_duration_seconds", dimensions: [("proxy_name", "forward"), ("to", to), ("rcode", key.rcode)],
                    factory: factory)
            )
            table[key] = h
            return h
        }
        h.count.increment()
        h.proxyDuration.recordNanoseconds(max(0, nanoseconds))
    }

    private func forwardHandle(_ to: String) -> (requests: Counter, duration: Timer) {
        forwardHandles.withLockedValue { table in
            if let h = table[to] { return h }
            let h = (
                requests: Counter(label: "coredns_forward_requests_total", dimensions: [("to", to)], factory: factory),
                duration: Timer(label: "coredns_forward_request_duration_seconds", dimensions: [("to", to)], factory: factory)
            )
            table[to] = h
            return h
        }
    }
}
