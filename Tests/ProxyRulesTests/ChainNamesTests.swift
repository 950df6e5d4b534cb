import Foundation
import Testing

@testable import ProxyRules

@Suite struct ChainNamesTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        // 56 bytes: the padding spills into a second block.
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256MatchesFIPSVectors(input: String, hex: String) {
        let digest = SHA256.hash(Array(input.utf8))
        #expect(digest.map { String(format: "%02x", $0) }.joined() == hex)
    }

    @Test func sha256OfMultiBlockInput() {
        // One million 'a's, the third FIPS 180-2 vector.
        let digest = SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))
        #expect(digest.map { String(format: "%02x", $0) }.joined()
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    // Expected values are copied from kube-proxy's TestOverallNFTablesRules golden, so Ferry's chain
    // names are the ones kube-proxy would use for the same Service.
    @Test(arguments: [
        ("ns1/svc1/tcp/p80", "ULMVA6XW-ns1/svc1/tcp/p80"),
        ("ns2/svc2/tcp/p80", "42NFTM6N-ns2/svc2/tcp/p80"),
        ("ns3/svc3/tcp/p80", "4AT6LBPK-ns3/svc3/tcp/p80"),
        ("ns4/svc4/tcp/p80", "LAUZTJTB-ns4/svc4/tcp/p80"),
        ("ns5/svc5/tcp/p80", "HVFWP5L3-ns5/svc5/tcp/p80"),
        ("ns1/svc1/tcp/p80__10.180.0.1/80", "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"),
        ("ns5/svc5/tcp/p80__10.180.0.3/80", "GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80"),
    ])
    func hashMatchesKubeProxy(name: String, expected: String) {
        #expect(ChainNames.hashAndTruncate(name) == expected)
    }

    @Test func serviceAndEndpointNames() {
        let n = ChainNames(namespace: "ns4", name: "svc4", protocol: "tcp", portName: "p80")
        #expect(n.service == "service-LAUZTJTB-ns4/svc4/tcp/p80")
        #expect(n.local == "local-LAUZTJTB-ns4/svc4/tcp/p80")
        #expect(n.external == "external-LAUZTJTB-ns4/svc4/tcp/p80")
        #expect(n.firewall == "firewall-LAUZTJTB-ns4/svc4/tcp/p80")
        #expect(n.endpoint(ip: "10.180.0.5", port: 80) == "endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80")
        #expect(n.affinity(ip: "10.180.0.4", port: 80) == "affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80")
    }

    @Test func ipv6EndpointNamesUseDots() {
        // Hash computed with `printf %s NAME | sha256sum | xxd -r -p | base32 | cut -c1-8`.
        let n = ChainNames(namespace: "ns1", name: "svc1", protocol: "tcp", portName: "p80")
        #expect(n.endpoint(ip: "fd00:10::1", port: 80) == "endpoint-YO76WRLM-ns1/svc1/tcp/p80__fd00.10..1/80")
    }

    @Test(arguments: [110, 111, 112, 113, 200])
    func longNamesAreTruncatedTo112(length: Int) {
        let name = String(repeating: "n", count: length - 9)  // 8-char hash + "-" + name
        let out = ChainNames.hashAndTruncate(name)
        if length <= 112 {
            #expect(out.count == length)
            #expect(!out.hasSuffix("..."))
        } else {
            #expect(out.count == 112)
            #expect(out.hasSuffix("n..."))
        }
    }

    @Test func truncatedNamesStayDistinct() {
        let a = ChainNames.hashAndTruncate(String(repeating: "x", count: 150) + "a")
        let b = ChainNames.hashAndTruncate(String(repeating: "x", count: 150) + "b")
        #expect(a != b)
        #expect(a.dropFirst(8) == b.dropFirst(8))
    }
}

@Suite struct NodeConfigTests {
    @Test func parsesAndNormalises() throws {
        let c = try NodeConfig(
            nodeName: "n", nodeIPs: ["192.168.0.2"], families: [.ipv6, .ipv4, .ipv6], podCIDRs: [" 10.1.2.3/8"],
            allowedExternalIPCIDRs: ["192.168.99.7/24"])
        #expect(c.families == [.ipv4, .ipv6])
        #expect(c.podCIDRs.map(\.text) == ["10.0.0.0/8"])
        #expect(c.allowedExternalIPCIDRs.map(\.text) == ["192.168.99.0/24"])
        #expect(c.masqueradeMark == 0x4000)
        #expect(c.tableName == "ferry")
    }

    @Test(arguments: [
        (["nope"], [String](), [String](), [String](), [IPFamily.ipv4], "ferry", ProxyRulesError.invalidNodeIP("nope")),
        (["10.0.0.1/24"], [], [], [], [.ipv4], "ferry", .invalidNodeIP("10.0.0.1/24")),
        ([], ["10.0.0.0"], [], [], [.ipv4], "ferry", .invalidCIDR("10.0.0.0")),
        ([], [], ["10.96.0.0/33"], [], [.ipv4], "ferry", .invalidCIDR("10.96.0.0/33")),
        ([], [], [], ["fd00::/129"], [.ipv4], "ferry", .invalidCIDR("fd00::/129")),
        ([], [], [], [], [], "ferry", .noFamilies),
        ([], [], [], [], [.ipv4], "", .invalidTableName("")),
        ([], [], [], [], [.ipv4], "fer ry", .invalidTableName("fer ry")),
        ([], [], [], [], [.ipv4], "1ferry", .invalidTableName("1ferry")),
        ([], [], [], [], [.ipv4], "a;b", .invalidTableName("a;b")),
    ])
    func rejectsBadSettings(
        nodeIPs: [String], pods: [String], services: [String], allowed: [String], families: [IPFamily], table: String,
        expected: ProxyRulesError
    ) {
        #expect(throws: expected) {
            try NodeConfig(
                nodeName: "n", nodeIPs: nodeIPs, families: families, podCIDRs: pods, serviceCIDRs: services,
                allowedExternalIPCIDRs: allowed, tableName: table)
        }
    }
}
