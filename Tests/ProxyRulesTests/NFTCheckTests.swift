import Foundation
import KubeAPI
import TestSupport
import Testing

@testable import ProxyRules

private typealias F = Fixtures
private typealias D = DiffFixtures

/// Runs `nft -c -f` (check only: the kernel validates the transaction, nothing is committed). Never
/// runs `nft -f` without `-c`.
enum NFT {
    static let path: String? = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// nft exists and can reach the kernel (CAP_NET_ADMIN and netlink), shown by checking a trivial script.
    static let canCheck: Bool = path != nil && check("add table ip ferry_probe\n").ok

    static func check(_ script: String) -> (ok: Bool, output: String) {
        guard let path else { return (false, "nft not found") }
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("proxyrules-\(UUID().uuidString).nft")
        do {
            try script.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = ["-c", "-f", file.path]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            return (finish(p) == 0, String(decoding: data, as: UTF8.self))
        } catch {
            return (false, "\(error)")
        }
    }
}

/// One snapshot exercising every rule shape, in both families.
func everything(dnsEndpoints: [String] = ["10.180.0.53"]) -> ProxySnapshot {
    let services = [
        F.service("ns1", "svc1", clusterIPs: ["172.30.0.41", "fd00:30::41"], ports: [F.port("p80", 80)]),
        F.service("ns2", "svc2", type: "LoadBalancer", clusterIPs: ["172.30.0.42"], ports: [F.port("p80", 80, nodePort: 3001)],
                  spec: ["externalTrafficPolicy": "Local", "externalIPs": ["192.168.99.22"]], lbIngress: ["1.2.3.4"]),
        F.service("ns3", "svc3", type: "NodePort", clusterIPs: ["172.30.0.43"], ports: [F.port("p80", 80, nodePort: 3003)]),
        F.service("ns5", "svc5", type: "LoadBalancer", clusterIPs: ["172.30.0.45", "fd00:30::45"],
                  ports: [F.port("p80", 80, nodePort: 3002)],
                  spec: ["loadBalancerSourceRanges": ["203.0.113.0/25", "192.168.0.0/24", "2001:db8::/64"],
                         "sessionAffinity": "ClientIP"], lbIngress: ["5.6.7.8", "2001:db8:ff::8"]),
        F.service("ns6", "svc6", type: "LoadBalancer", clusterIPs: ["172.30.0.46"], ports: [F.port("p80", 80, nodePort: 3006)],
                  lbIngress: ["9.10.11.12"]),
        F.service("ns7", "svc7", clusterIPs: ["172.30.0.47"], ports: [F.port("http", 80)], spec: ["internalTrafficPolicy": "Local"]),
        F.service("ns8", "svc8", clusterIPs: ["172.30.0.48"], ports: [F.port("p80", 80)]),
        F.service("ns9", "dns", clusterIPs: ["172.30.0.10", "fd00:30::10"],
                  ports: [F.port("dns-tcp", 53), F.port("dns-udp", 53, proto: "UDP"), F.port("sctp", 9999, proto: "SCTP")]),
    ]
    let slices = [
        F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1"), F.ep("10.180.0.11", node: "node-a")]),
        F.slice("ns1", "svc1", name: "v6", addressType: "IPv6", ports: [("p80", 80, "TCP")], endpoints: [F.ep("fd00:10::1")]),
        F.slice("ns2", "svc2", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.2", node: "node-a"), F.ep("10.180.0.9")]),
        F.slice("ns3", "svc3", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.3")]),
        F.slice("ns5", "svc5", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.3"), F.ep("10.180.0.5")]),
        F.slice("ns5", "svc5", name: "v6", addressType: "IPv6", ports: [("p80", 80, "TCP")], endpoints: [F.ep("fd00:10::5")]),
        F.slice("ns7", "svc7", ports: [("http", 8080, "TCP")], endpoints: [F.ep("10.180.1.7", node: "node-b")]),
        F.slice("ns8", "svc8", ports: [("p80", 80, "TCP")],
                endpoints: [F.ep("10.180.0.8", ready: false, serving: true, terminating: true)]),
        F.slice("ns9", "dns", ports: [("dns-udp", 53, "UDP"), ("dns-tcp", 5353, "TCP"), ("sctp", 9999, "SCTP")],
                endpoints: dnsEndpoints.map { F.ep($0) }),
    ]
    return ProxySnapshot(services: services, endpointSlices: slices, node: F.node(families: [.ipv4, .ipv6]))
}

@Suite(.enabled(if: NFT.canCheck, "nft is missing or cannot talk to the kernel (needs CAP_NET_ADMIN), so nft -c cannot run"))
struct NFTCheckTests {
    @Test func renderedRulesetIsAcceptedByNft() {
        let r = render(everything())
        // Guard against checking a degenerate ruleset.
        #expect(r.text.contains("add table ip6 ferry"))
        #expect(r.text.contains("meta l4proto sctp dnat to 10.180.0.53:9999"))
        let result = NFT.check(r.text)
        #expect(result.ok, "\(result.output)")
    }

    @Test func fullSyncScriptIsAcceptedByNft() {
        let result = NFT.check(render(everything()).fullSyncScript)
        #expect(result.ok, "\(result.output)")
    }

    @Test(arguments: 0..<6)
    func incrementalTransactionsApplyOnTopOfTheOldRuleset(scenario: Int) {
        let pairs: [(ProxySnapshot, ProxySnapshot)] = [
            (everything(), everything(dnsEndpoints: ["10.180.0.53", "10.180.0.54"])),
            (everything(dnsEndpoints: ["10.180.0.53", "10.180.0.54"]), everything(dnsEndpoints: [])),
            (everything(dnsEndpoints: []), everything()),
            (everything(), ProxySnapshot(services: [], endpointSlices: [], node: F.node(families: [.ipv4]))),
            (ProxySnapshot(services: [D.svc4Affinity(300)], endpointSlices: [D.slice4(["10.180.0.4"])], node: F.node()),
             ProxySnapshot(services: [D.svc4Affinity(600)], endpointSlices: [D.slice4(["10.180.0.4", "10.180.0.5"])], node: F.node())),
            (ProxySnapshot(services: [D.svc4Affinity(300)], endpointSlices: [D.slice4(["10.180.0.4"])], node: F.node()),
             ProxySnapshot(services: [D.svc4], endpointSlices: [D.slice4(["10.180.0.4"])], node: F.node())),
        ]
        let (a, b) = pairs[scenario]
        let old = render(a)
        let script = diff(from: old, to: render(b))
        #expect(!script.isEmpty)
        // One batch: the old ruleset as the kernel would hold it, then the incremental transaction.
        let result = NFT.check(old.text + script)
        #expect(result.ok, "\(result.output)")
    }

    @Test func checkerRejectsABrokenTransaction() {
        // Control: deleting a chain that a map element still references must fail, proving the check
        // really validates ordering and references rather than just syntax.
        let old = render(ProxySnapshot(services: [D.svc1], endpointSlices: [D.slice1], node: F.node()))
        let broken = "delete chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80\n"
        #expect(!NFT.check(old.text + broken).ok)
        #expect(!NFT.check("add rule ip ferry nowhere accept\n").ok)
    }
}
