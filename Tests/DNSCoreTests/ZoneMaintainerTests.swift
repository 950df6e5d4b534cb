import DNSCore
import KubeAPI
import TestSupport
import Testing

/// `ZoneMaintainer` rebuilds only changed Services; after any sequence of changes it must answer
/// exactly as a zone built from scratch from the same snapshot.
@Suite struct ZoneMaintainerTests {
    static let names = ["a", "b", "c", "d", "e", "f"]
    static let namespaces = ["ns1", "ns2"]
    static let ips = (1...6).map { "10.9.0.\($0)" } + ["fd00::9"]
    static let hostnames = ["web-0", "web-1"]

    struct World {
        var snap: ClusterSnapshot
        init(lineage: UInt64) {
            snap = ClusterSnapshot(objects: [.service: [:], .endpointSlice: [:], .namespace: [:], .pod: [:]],
                                   synced: [.service, .endpointSlice, .namespace, .pod])
            snap.lineage = lineage
        }
        var last = ""
        mutating func set(_ r: ResourceType, _ key: String, _ obj: JSON?) {
            last = "\(r.plural) \(key) = \(obj.map { $0.serialized() } ?? "nil")"
            snap.record(r, key: key)
            snap.objects[r, default: [:]][key] = obj
            snap.version += 1
        }
    }

    static func serviceJSON(_ ns: String, _ name: String, _ rng: inout SplitMix64, rv: Int) -> JSON {
        var spec: JSON = ["ports": [["name": "http", "port": 80, "protocol": "TCP"], ["port": 81, "protocol": "UDP"]]]
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: spec["clusterIP"] = "None"
        case 1:
            spec["type"] = "ExternalName"
            spec["externalName"] = .string(["www.example.com", "a.ns1.svc.cluster.local", "1.2.3.4"].randomElement(using: &rng)!)
        default:
            let ip = ips.randomElement(using: &rng)!  // duplicates on purpose: ClusterIP PTR precedence
            spec["clusterIP"] = .string(ip)
            spec["clusterIPs"] = [.string(ip)]
        }
        return ["metadata": ["name": .string(name), "namespace": .string(ns), "resourceVersion": .string("\(rv)")], "spec": spec]
    }

    static func sliceJSON(_ ns: String, _ name: String, _ rng: inout SplitMix64, rv: Int) -> JSON {
        let endpoints = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            Endpoint(
                addresses: [ips.randomElement(using: &rng)!], ready: [true, false, nil].randomElement(using: &rng)!,
                hostname: Bool.random(using: &rng) ? hostnames.randomElement(using: &rng)! : nil)
        }
        let owner = names.randomElement(using: &rng)!
        var json = EndpointSlice(
            metadata: ObjectMeta(name: name, namespace: ns, labels: ["kubernetes.io/service-name": owner]),
            addressType: "IPv4", endpoints: endpoints, ports: [EndpointPort(name: "http", protocol: "TCP", port: 8080)]
        ).json
        json["metadata"]?["resourceVersion"] = .string("\(rv)")
        return json
    }

    static func queries() -> [DNSMessage] {
        var out: [DNSMessage] = []
        var id: UInt16 = 0
        func q(_ name: String, _ t: RRType) {
            id += 1
            if let n = try? DNSName(name) { out.append(DNSMessage.query(id: id, name: n, type: t)) }
        }
        for ns in namespaces + ["nope"] {
            q("\(ns).svc.cluster.local.", .a)
            for n in names {
                let svc = "\(n).\(ns).svc.cluster.local."
                for t in [RRType.a, .aaaa, .srv, .cname, .txt] { q(svc, t) }
                q("_http._tcp.\(svc)", .srv)
                q("_x._udp.\(svc)", .srv)
                for h in hostnames + ips.map { $0.replacingOccurrences(of: ".", with: "-") } { q("\(h).\(svc)", .a) }
            }
        }
        for ip in ips { q(IPAddress(ip)!.reverseName.description, .ptr) }
        return out
    }

    /// Compares the two zones' answers; records one issue for the first difference.
    static func expectSameAnswers(_ a: ClusterZone, _ b: ClusterZone, _ queries: [DNSMessage], _ label: String) -> Bool {
        for query in queries {
            let x = resolve(query, in: a), y = resolve(query, in: b)
            if x != y {
                Issue.record("\(label): \(query.questions[0].name) \(query.questions[0].type): incremental \(x) vs full \(y)")
                return false
            }
        }
        return true
    }

    @Test func randomChangesMatchAFullBuild() {
        var rng = SplitMix64(state: 0x20_26_11_25)
        let config = ClusterDNSConfig(nameserverIPs: [IPAddress("10.96.0.10")!])
        let queries = Self.queries()
        var world = World(lineage: 42)
        for ns in Self.namespaces { world.set(.namespace, ns, ["metadata": ["name": .string(ns), "resourceVersion": "1"]]) }
        var everyStep = ZoneMaintainer(config: config, podsMatter: false)
        var everyFifth = ZoneMaintainer(config: config, podsMatter: false)  // coalesced snapshots
        var noLog = ZoneMaintainer(config: config, podsMatter: false)  // no lineage: full comparisons
        var rv = 1
        for step in 0..<400 {
            rv += 1
            let ns = Self.namespaces.randomElement(using: &rng)!
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...3:
                let name = Self.names.randomElement(using: &rng)!
                world.set(.service, "\(ns)/\(name)", Bool.random(using: &rng) || step < 20 ? Self.serviceJSON(ns, name, &rng, rv: rv) : JSON?.none)
            case 4...8:
                let name = "slice-\(Int.random(in: 0..<8, using: &rng))"
                world.set(.endpointSlice, "\(ns)/\(name)", Int.random(in: 0..<4, using: &rng) > 0 ? Self.sliceJSON(ns, name, &rng, rv: rv) : JSON?.none)
            default:
                let extra = "ns3"
                world.set(.namespace, extra, world.snap[.namespace][extra] == nil ? ["metadata": ["name": "ns3", "resourceVersion": .string("\(rv)")]] : JSON?.none)
            }
            let snap = world.snap
            everyStep.apply(snap, serial: 7)
            if step % 5 == 4 { everyFifth.apply(snap, serial: 7) }
            var plain = snap
            plain.lineage = 0
            noLog.apply(plain, serial: 7)
            let full = ClusterZone(
                config: config, services: snap.services, endpointSlices: snap.endpointSlices, pods: [],
                namespaces: Array(snap[.namespace].keys), serial: 7)
            guard Self.expectSameAnswers(everyStep.zone, full, queries, "step \(step) (\(world.last)), every snapshot"),
                Self.expectSameAnswers(noLog.zone, full, queries, "step \(step), without change log"),
                step % 5 != 4 || Self.expectSameAnswers(everyFifth.zone, full, queries, "step \(step), every fifth snapshot")
            else { return }
        }
    }

    @Test func changeLogListsExactlyTheTouchedKeys() {
        var world = World(lineage: 9)
        world.set(.service, "ns1/a", ["metadata": ["name": "a", "namespace": "ns1", "resourceVersion": "1"]])
        let before = world.snap
        world.set(.service, "ns1/b", ["metadata": ["name": "b", "namespace": "ns1", "resourceVersion": "2"]])
        world.set(.endpointSlice, "ns1/s", ["metadata": ["name": "s", "namespace": "ns1", "resourceVersion": "3"]])
        world.set(.service, "ns1/a", nil)
        #expect(world.snap.changedKeys(.service, since: before) == ["ns1/a", "ns1/b"])
        #expect(world.snap.changedKeys(.endpointSlice, since: before) == ["ns1/s"])
        #expect(world.snap.changedKeys(.pod, since: before).isEmpty)
        // A relist (key nil) falls back to comparing resourceVersions.
        world.snap.record(.service, key: nil)
        world.snap.objects[.service] = ["ns1/c": ["metadata": ["name": "c", "namespace": "ns1", "resourceVersion": "5"]]]
        world.snap.version += 1
        #expect(world.snap.changedKeys(.service, since: before) == ["ns1/a", "ns1/c"])
        // Another lineage is compared object by object.
        var other = before
        other.lineage = 10
        #expect(world.snap.changedKeys(.service, since: other) == ["ns1/a", "ns1/c"])
    }

    @Test func logBeyondItsCapFallsBackToFullComparison() {
        var world = World(lineage: 3)
        let start = world.snap
        for i in 0..<(ChangeLog.limit + 10) {
            world.set(.pod, "ns1/p\(i % 3)", ["metadata": ["name": .string("p\(i % 3)"), "namespace": "ns1", "resourceVersion": .string("\(i)")]])
        }
        #expect(world.snap.changedKeys(.pod, since: start) == ["ns1/p0", "ns1/p1", "ns1/p2"])
    }
}
