import KubeAPI
import Testing

@testable import ProxyRules

private typealias F = Fixtures

/// Random cluster changes; after each one the maintained ruleset must equal a full render of the same
/// snapshot, and its diff must equal the diff of the full renders.
@Suite struct RulesetMaintainerTests {
    struct Random {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static let node = try! NodeConfig(
        nodeName: "node-a", nodeIPs: ["192.168.0.2", "2001:db8::2"], families: [.ipv4, .ipv6], podCIDRs: ["10.0.0.0/8"],
        serviceCIDRs: ["172.30.0.0/16", "fd00:30::/112"], allowedExternalIPCIDRs: ["192.168.99.0/24"])

    func randomService(_ r: inout Random, ns: String, name: String, rv: Int) -> JSON {
        let types = ["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"]
        let type = types[r.next(types.count)]
        // Few addresses, so that Services collide on map keys now and then.
        let ip = "172.30.0.\(1 + r.next(12))"
        var ports = [F.port("http", 80, nodePort: type == "ClusterIP" ? nil : 30000 + r.next(6))]
        if r.next(3) == 0 { ports.append(F.port("dns", 53, proto: "UDP")) }
        var spec: [String: JSON] = [:]
        if r.next(4) == 0 { spec["externalIPs"] = [.string("192.168.99.\(1 + r.next(3))")] }
        if r.next(5) == 0 { spec["sessionAffinity"] = "ClientIP" }
        if r.next(5) == 0 { spec["externalTrafficPolicy"] = "Local" }
        let clusterIPs = r.next(4) == 0 ? [ip, "fd00:30::\(1 + r.next(12))"] : [ip]
        var obj = F.serviceJSON(ns, name, type: type, clusterIPs: clusterIPs, ports: ports, spec: spec,
                                lbIngress: type == "LoadBalancer" ? ["5.6.7.\(1 + r.next(3))"] : [])
        obj["metadata"]?["resourceVersion"] = .string(String(rv))
        return obj
    }

    func randomSlice(_ r: inout Random, ns: String, service: String, name: String, rv: Int) -> JSON {
        let eps = (0..<r.next(4)).map { _ in
            F.ep("10.180.0.\(1 + r.next(20))", node: r.next(2) == 0 ? "node-a" : "node-b", ready: r.next(5) != 0)
        }
        var obj = F.slice(ns, service, name: name, ports: [("http", 8080, "TCP"), ("dns", 5353, "UDP")], endpoints: eps).json
        obj["metadata"]?["resourceVersion"] = .string(String(rv))
        return obj
    }

    @Test(arguments: [(UInt64(1), false), (2, true), (3, true), (4, false)])
    func equalsAFullRenderAfterEveryChange(seed: UInt64, changeLog: Bool) {
        var r = Random(state: seed)
        var snap = ClusterSnapshot(synced: [.service, .endpointSlice])
        if changeLog { snap.lineage = seed }
        var maintainer = RulesetMaintainer(node: Self.node)
        var previous: (kept: Ruleset, full: Ruleset)?
        let namespaces = ["a", "a-b", "b"]
        for step in 1...300 {
            let ns = namespaces[r.next(namespaces.count)]
            let name = "s\(r.next(12))"
            let key = "\(ns)/\(name)"
            switch r.next(5) {
            case 0:
                snap.objects[.service, default: [:]][key] = nil
                if changeLog { snap.record(.service, key: key) }
            case 1, 2:
                snap.objects[.service, default: [:]][key] = randomService(&r, ns: ns, name: name, rv: step)
                if changeLog { snap.record(.service, key: key) }
            default:
                let sliceKey = "\(ns)/\(name)-\(r.next(2))"
                let slice = r.next(6) == 0 ? nil : randomSlice(&r, ns: ns, service: name, name: String(sliceKey.split(separator: "/")[1]), rv: step)
                snap.objects[.endpointSlice, default: [:]][sliceKey] = slice
                if changeLog { snap.record(.endpointSlice, key: sliceKey) }
            }
            snap.version += 1
            let kept = maintainer.apply(snap)
            let full = render(ProxySnapshot(services: snap.services, endpointSlices: snap.endpointSlices, node: Self.node))
            #expect(kept.tables == full.tables, "step \(step): tables differ")
            #expect(Set(kept.warnings) == Set(full.warnings), "step \(step): warnings differ")
            if let previous {
                #expect(diff(from: previous.kept, to: kept) == diff(from: previous.full, to: full), "step \(step): diffs differ")
            }
            if kept.tables != full.tables { return }
            previous = (kept, full)
        }
    }
}
