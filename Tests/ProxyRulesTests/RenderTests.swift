import KubeAPI
import Testing

@testable import ProxyRules

// Goldens are hand-written. Chain hashes come from kube-proxy's own golden (ns1..ns5 names) or were
// computed independently with `printf %s NAME | sha256sum | xxd -r -p | base32 | cut -c1-8`.

private typealias F = Fixtures

/// The fixed part of the IPv4 table for `Fixtures.node()`.
let baseIPv4 = """
    add table ip ferry { comment "rules for ferry service proxy" ; }

    add set ip ferry cluster-ips { type ipv4_addr ; comment "active ClusterIPs" ; }
    add set ip ferry nodeport-ips { type ipv4_addr ; comment "addresses that accept NodePorts" ; }
    add map ip ferry firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "LoadBalancer IPs with loadBalancerSourceRanges" ; }
    add map ip ferry no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "NodePorts without usable endpoints" ; }
    add map ip ferry no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "service IPs without usable endpoints" ; }
    add map ip ferry service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIPs, external IPs and LoadBalancer IPs" ; }
    add map ip ferry service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePorts" ; }
    add chain ip ferry filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }
    add chain ip ferry filter-output-pre-dnat { type filter hook output priority -110 ; }
    add chain ip ferry filter-input { type filter hook input priority 0 ; }
    add chain ip ferry filter-forward { type filter hook forward priority 0 ; }
    add chain ip ferry filter-output { type filter hook output priority 0 ; }
    add chain ip ferry nat-prerouting { type nat hook prerouting priority -100 ; }
    add chain ip ferry nat-output { type nat hook output priority -100 ; }
    add chain ip ferry nat-postrouting { type nat hook postrouting priority 100 ; }
    add chain ip ferry cluster-ips-check
    add chain ip ferry firewall-check
    add chain ip ferry mark-for-masquerade
    add chain ip ferry masquerading
    add chain ip ferry nodeport-endpoints-check
    add chain ip ferry reject-chain
    add chain ip ferry service-endpoints-check
    add chain ip ferry services
    add rule ip ferry filter-prerouting-pre-dnat ct state new jump firewall-check
    add rule ip ferry filter-output-pre-dnat ct state new jump firewall-check
    add rule ip ferry filter-input ct state new jump nodeport-endpoints-check
    add rule ip ferry filter-input ct state new jump service-endpoints-check
    add rule ip ferry filter-forward ct state new jump service-endpoints-check
    add rule ip ferry filter-forward ct state new jump cluster-ips-check
    add rule ip ferry filter-output ct state new jump service-endpoints-check
    add rule ip ferry filter-output ct state new jump cluster-ips-check
    add rule ip ferry nat-prerouting jump services
    add rule ip ferry nat-output jump services
    add rule ip ferry nat-postrouting jump masquerading
    add rule ip ferry cluster-ips-check ip daddr @cluster-ips goto reject-chain
    add rule ip ferry cluster-ips-check ip daddr { 172.30.0.0/16 } drop
    add rule ip ferry firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
    add rule ip ferry mark-for-masquerade mark set mark or 0x4000
    add rule ip ferry masquerading mark and 0x4000 == 0 return
    add rule ip ferry masquerading mark set mark xor 0x4000
    add rule ip ferry masquerading masquerade fully-random
    add rule ip ferry nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
    add rule ip ferry reject-chain meta l4proto tcp reject with tcp reset
    add rule ip ferry reject-chain reject with icmp type port-unreachable
    add rule ip ferry service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
    add rule ip ferry services ip daddr . meta l4proto . th dport vmap @service-ips
    add rule ip ferry services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
    add element ip ferry nodeport-ips { 192.168.0.2 }

    """

@Suite struct BaseRulesTests {
    @Test func emptyClusterRendersOnlyTheBaseTable() {
        let r = F.render([], [])
        #expect(r.text == baseIPv4)
        #expect(r.tables.map(\.family) == [.ipv4])
        #expect(r.warnings.isEmpty)
    }

    @Test func ipv6BaseUsesIP6Expressions() throws {
        let r = F.render([], [], node: F.node(families: [.ipv6]))
        let t = try #require(r.table(.ipv6))
        #expect(r.table(.ipv4) == nil)
        let text = t.text
        #expect(text.hasPrefix("add table ip6 ferry { comment \"rules for ferry service proxy\" ; }\n"))
        #expect(text.contains("add set ip6 ferry cluster-ips { type ipv6_addr ; comment \"active ClusterIPs\" ; }\n"))
        #expect(text.contains("add rule ip6 ferry reject-chain reject with icmpv6 type port-unreachable\n"))
        #expect(text.contains("add rule ip6 ferry cluster-ips-check ip6 daddr { fd00:30::/112 } drop\n"))
        #expect(text.contains("add rule ip6 ferry services ip6 daddr . meta l4proto . th dport vmap @service-ips\n"))
        #expect(text.hasSuffix("add element ip6 ferry nodeport-ips { 2001:db8::2 }\n"))
        #expect(!text.contains(" ip daddr") && !text.contains("192.168.0.2") && !text.contains("icmp type"))
    }

    @Test func noServiceCIDRMeansNoUnallocatedDrop() throws {
        let node = try NodeConfig(nodeName: "node-a", nodeIPs: [])
        let text = F.render([], [], node: node).text
        #expect(!text.contains(" drop"))
        #expect(!text.contains("add element"))
    }

    @Test func loopbackNodeIPsNeverAcceptNodePorts() throws {
        let node = try NodeConfig(
            nodeName: "node-a", nodeIPs: ["127.0.0.1", "192.168.0.2", "::1", "2001:db8::2", "192.168.0.2"],
            families: [.ipv4, .ipv6])
        let elements = F.render([], [], node: node).tables.flatMap { $0.sections.flatMap(\.elements) }
        #expect(elements.map(\.key) == ["192.168.0.2", "2001:db8::2"])
    }

    @Test func masqueradeMarkIsConfigurable() throws {
        let node = try NodeConfig(nodeName: "node-a", nodeIPs: [], masqueradeMark: 0x8000, tableName: "other")
        let text = F.render([], [], node: node).text
        #expect(text.contains("add rule ip other mark-for-masquerade mark set mark or 0x8000\n"))
        #expect(text.contains("add rule ip other masquerading mark and 0x8000 == 0 return\n"))
        #expect(!text.contains("0x4000"))
    }
}

@Suite struct ServiceGoldenTests {
    @Test func clusterIPWithTwoEndpoints() {
        let svc = F.service("ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)])
        // Listed out of order: endpoints are sorted by address.
        let slice = F.slice("ns4", "svc4", ports: [("p80", 80, "TCP")],
                            endpoints: [F.ep("10.180.0.5", node: "node-a"), F.ep("10.180.0.4", node: "node-b")])
        let r = F.render([svc], [slice])
        #expect(r.text.hasPrefix(baseIPv4))
        #expect(F.serviceText(r) == """
            # ns4/svc4:p80/tcp
            add chain ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80
            add chain ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add chain ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 0 goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
            add rule ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
            add rule ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
            add element ip ferry cluster-ips { 172.30.0.44 }
            add element ip ferry service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }

            """)
        #expect(r.table(.ipv4)?.dnatTargets == [
            EndpointAddress(ip: "10.180.0.4", port: 80, protocol: "tcp"),
            EndpointAddress(ip: "10.180.0.5", port: 80, protocol: "tcp"),
        ])
    }

    @Test func nodePort() {
        let svc = F.service("ns3", "svc3", type: "NodePort", clusterIPs: ["172.30.0.43"],
                            ports: [F.port("p80", 80, nodePort: 3003)])
        let slice = F.slice("ns3", "svc3", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.3")])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns3/svc3:p80/tcp
            add chain ip ferry service-4AT6LBPK-ns3/svc3/tcp/p80
            add chain ip ferry external-4AT6LBPK-ns3/svc3/tcp/p80
            add chain ip ferry endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
            add rule ip ferry service-4AT6LBPK-ns3/svc3/tcp/p80 ip daddr 172.30.0.43 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-4AT6LBPK-ns3/svc3/tcp/p80 goto endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80
            add rule ip ferry external-4AT6LBPK-ns3/svc3/tcp/p80 jump mark-for-masquerade
            add rule ip ferry external-4AT6LBPK-ns3/svc3/tcp/p80 goto service-4AT6LBPK-ns3/svc3/tcp/p80
            add rule ip ferry endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
            add rule ip ferry endpoint-UEIP74TE-ns3/svc3/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
            add element ip ferry cluster-ips { 172.30.0.43 }
            add element ip ferry service-ips { 172.30.0.43 . tcp . 80 : goto service-4AT6LBPK-ns3/svc3/tcp/p80 }
            add element ip ferry service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }

            """)
    }

    @Test func nodePortIsIgnoredOnClusterIPType() {
        // A stale nodePort left on a ClusterIP Service must not open a port on the node.
        let svc = F.service("ns3", "svc3", clusterIPs: ["172.30.0.43"], ports: [F.port("p80", 80, nodePort: 3003)])
        let slice = F.slice("ns3", "svc3", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.3")])
        let text = F.serviceText(F.render([svc], [slice]))
        #expect(!text.contains("3003"))
        #expect(!text.contains("external-"))
    }

    @Test func loadBalancerWithSourceRangesAndAffinity() {
        // kube-proxy's "svc5": LB IP behind a source-range firewall, ClientIP affinity.
        let svc = F.service(
            "ns5", "svc5", type: "LoadBalancer", clusterIPs: ["172.30.0.45"], ports: [F.port("p80", 80, nodePort: 3002)],
            spec: [
                "loadBalancerSourceRanges": [" 203.0.113.0/25"], "sessionAffinity": "ClientIP",
                "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 10800]],
            ], lbIngress: ["5.6.7.8"])
        let slice = F.slice("ns5", "svc5", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.3")])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns5/svc5:p80/tcp
            add set ip ferry affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
            add chain ip ferry service-HVFWP5L3-ns5/svc5/tcp/p80
            add chain ip ferry external-HVFWP5L3-ns5/svc5/tcp/p80
            add chain ip ferry firewall-HVFWP5L3-ns5/svc5/tcp/p80
            add chain ip ferry endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
            add rule ip ferry service-HVFWP5L3-ns5/svc5/tcp/p80 ip daddr 172.30.0.45 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
            add rule ip ferry service-HVFWP5L3-ns5/svc5/tcp/p80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80
            add rule ip ferry external-HVFWP5L3-ns5/svc5/tcp/p80 jump mark-for-masquerade
            add rule ip ferry external-HVFWP5L3-ns5/svc5/tcp/p80 goto service-HVFWP5L3-ns5/svc5/tcp/p80
            add rule ip ferry firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop
            add rule ip ferry endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 ip saddr 10.180.0.3 jump mark-for-masquerade
            add rule ip ferry endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }
            add rule ip ferry endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 meta l4proto tcp dnat to 10.180.0.3:80
            add element ip ferry cluster-ips { 172.30.0.45 }
            add element ip ferry service-ips { 172.30.0.45 . tcp . 80 : goto service-HVFWP5L3-ns5/svc5/tcp/p80 }
            add element ip ferry service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
            add element ip ferry service-nodeports { tcp . 3002 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }
            add element ip ferry firewall-ips { 5.6.7.8 . tcp . 80 : goto firewall-HVFWP5L3-ns5/svc5/tcp/p80 }

            """)
    }

    @Test func sourceRangeContainingTheNodeAlsoAdmitsTheLBIPs() {
        let svc = F.service(
            "ns1", "svc1", type: "LoadBalancer", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80, nodePort: 3001)],
            spec: ["loadBalancerSourceRanges": ["192.168.0.0/24", "203.0.113.0/25"]], lbIngress: ["1.2.3.4", "5.6.7.8"])
        let slice = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")])
        let r = F.render([svc], [slice])
        let firewall = r.table(.ipv4)?.sections.last?.chains.first { $0.name.hasPrefix("firewall-") }
        #expect(firewall == Chain(
            name: "firewall-ULMVA6XW-ns1/svc1/tcp/p80", spec: nil,
            rules: ["ip saddr != { 192.168.0.0/24, 203.0.113.0/25, 1.2.3.4, 5.6.7.8 } drop"]))
        #expect(r.table(.ipv4)?.sections.last?.elements.filter { $0.set == "firewall-ips" }.map(\.key)
            == ["1.2.3.4 . tcp . 80", "5.6.7.8 . tcp . 80"])
    }

    @Test(arguments: [
        // (ranges, LB IPs, expected firewall rule or nil when no firewall chain is made)
        ([String](), ["1.2.3.4"], String?.none),
        (["203.0.113.0/25"], [String](), String?.none),  // no LB IP: nothing to firewall (NodePorts are exempt)
        (["fd00::/64"], ["1.2.3.4"], "drop"),  // only another family's ranges: fail closed
        (["not-a-cidr", "203.0.113.0/25"], ["1.2.3.4"], "ip saddr != { 203.0.113.0/25 } drop"),
    ])
    func firewallChainCases(ranges: [String], lbIPs: [String], expected: String?) {
        let svc = F.service(
            "ns1", "svc1", type: "LoadBalancer", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)],
            spec: ["loadBalancerSourceRanges": .array(ranges.map { .string($0) })], lbIngress: lbIPs)
        let slice = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")])
        let section = F.render([svc], [slice]).table(.ipv4)?.sections.last
        let firewall = section?.chains.first { $0.name.hasPrefix("firewall-") }
        #expect(firewall?.rules.first == expected)
        #expect(section?.elements.contains { $0.set == "firewall-ips" } == (expected != nil))
    }

    @Test func clientIPAffinityOnClusterIP() {
        let svc = F.service(
            "ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)],
            spec: ["sessionAffinity": "ClientIP", "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 300]]])
        let slice = F.slice("ns4", "svc4", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.4"), F.ep("10.180.0.5")])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns4/svc4:p80/tcp
            add set ip ferry affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 300s ; }
            add set ip ferry affinity-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 300s ; }
            add chain ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80
            add chain ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add chain ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip saddr @affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip saddr @affinity-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 0 goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 update @affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 { ip saddr }
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
            add rule ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
            add rule ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 update @affinity-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 { ip saddr }
            add rule ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80
            add element ip ferry cluster-ips { 172.30.0.44 }
            add element ip ferry service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }

            """)
    }

    @Test(arguments: [
        // (sessionAffinity, timeoutSeconds in spec, expected set timeout or nil for no affinity sets)
        ("None", Int?.none, Int?.none),
        ("None", 300, Int?.none),
        ("ClientIP", Int?.none, 10800),  // the API default
        ("ClientIP", 86400, 86400),
        ("ClientIP", 0, 10800),  // invalid: fall back to the default rather than a zero timeout
    ])
    func affinityTimeout(affinity: String, timeout: Int?, expected: Int?) {
        var spec: [String: JSON] = ["sessionAffinity": .string(affinity)]
        if let timeout { spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": .int(Int64(timeout))]] }
        let svc = F.service("ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)], spec: spec)
        let slice = F.slice("ns4", "svc4", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.4")])
        let sets = F.render([svc], [slice]).table(.ipv4)?.sections.last?.sets ?? []
        #expect(sets.map(\.spec) == (expected.map { ["type ipv4_addr ; flags dynamic,timeout ; timeout \($0)s ;"] } ?? []))
    }

    @Test func externalTrafficPolicyLocalWithoutLocalEndpoints() {
        // kube-proxy's "svc2": the only endpoint is on another node, so external traffic is dropped
        // unless it comes from a pod or this host (short-circuited to the cluster-wide chain).
        let svc = F.service(
            "ns2", "svc2", type: "LoadBalancer", clusterIPs: ["172.30.0.42"], ports: [F.port("p80", 80, nodePort: 3001)],
            spec: ["externalTrafficPolicy": "Local", "externalIPs": ["192.168.99.22"], "healthCheckNodePort": 30000],
            lbIngress: ["1.2.3.4"])
        let slice = F.slice("ns2", "svc2", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.2", node: "node-b")])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns2/svc2:p80/tcp
            add chain ip ferry service-42NFTM6N-ns2/svc2/tcp/p80
            add chain ip ferry external-42NFTM6N-ns2/svc2/tcp/p80
            add chain ip ferry endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
            add rule ip ferry service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-42NFTM6N-ns2/svc2/tcp/p80 goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
            add rule ip ferry external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
            add rule ip ferry external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
            add rule ip ferry external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
            add rule ip ferry endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
            add rule ip ferry endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
            add element ip ferry cluster-ips { 172.30.0.42 }
            add element ip ferry service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
            add element ip ferry service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
            add element ip ferry service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
            add element ip ferry service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
            add element ip ferry no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }
            add element ip ferry no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop }
            add element ip ferry no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }

            """)
    }

    @Test func externalTrafficPolicyLocalWithLocalEndpoint() {
        let svc = F.service(
            "ns2", "svc2", type: "LoadBalancer", clusterIPs: ["172.30.0.42"], ports: [F.port("p80", 80, nodePort: 3001)],
            spec: ["externalTrafficPolicy": "Local"], lbIngress: ["1.2.3.4"])
        let slice = F.slice("ns2", "svc2", ports: [("p80", 80, "TCP")],
                            endpoints: [F.ep("10.180.0.2", node: "node-a"), F.ep("10.180.0.9", node: "node-b")])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns2/svc2:p80/tcp
            add chain ip ferry service-42NFTM6N-ns2/svc2/tcp/p80
            add chain ip ferry local-42NFTM6N-ns2/svc2/tcp/p80
            add chain ip ferry external-42NFTM6N-ns2/svc2/tcp/p80
            add chain ip ferry endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
            add chain ip ferry endpoint-ISWCJE4H-ns2/svc2/tcp/p80__10.180.0.9/80
            add rule ip ferry service-42NFTM6N-ns2/svc2/tcp/p80 ip daddr 172.30.0.42 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 2 0 goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
            add rule ip ferry service-42NFTM6N-ns2/svc2/tcp/p80 goto endpoint-ISWCJE4H-ns2/svc2/tcp/p80__10.180.0.9/80
            add rule ip ferry local-42NFTM6N-ns2/svc2/tcp/p80 goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80
            add rule ip ferry external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"
            add rule ip ferry external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"
            add rule ip ferry external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"
            add rule ip ferry external-42NFTM6N-ns2/svc2/tcp/p80 goto local-42NFTM6N-ns2/svc2/tcp/p80
            add rule ip ferry endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
            add rule ip ferry endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
            add rule ip ferry endpoint-ISWCJE4H-ns2/svc2/tcp/p80__10.180.0.9/80 ip saddr 10.180.0.9 jump mark-for-masquerade
            add rule ip ferry endpoint-ISWCJE4H-ns2/svc2/tcp/p80__10.180.0.9/80 meta l4proto tcp dnat to 10.180.0.9:80
            add element ip ferry cluster-ips { 172.30.0.42 }
            add element ip ferry service-ips { 172.30.0.42 . tcp . 80 : goto service-42NFTM6N-ns2/svc2/tcp/p80 }
            add element ip ferry service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }
            add element ip ferry service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }

            """)
    }

    @Test func externalTrafficPolicyLocalIsMootWithoutExternalAccess() {
        // ETP=Local on a plain ClusterIP Service has no external path, so no local or external chain.
        let svc = F.service("ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)],
                            spec: ["externalTrafficPolicy": "Local"])
        let slice = F.slice("ns4", "svc4", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.4", node: "node-b")])
        let chains = F.render([svc], [slice]).table(.ipv4)?.sections.last?.chains.map(\.name)
        #expect(chains == ["service-LAUZTJTB-ns4/svc4/tcp/p80", "endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80"])
    }

    @Test func internalTrafficPolicyLocal() {
        let svc = F.service("ns7", "svc7", clusterIPs: ["172.30.0.47"], ports: [F.port("http", 80)],
                            spec: ["internalTrafficPolicy": "Local"])
        let slice = F.slice("ns7", "svc7", ports: [("http", 8080, "TCP")],
                            endpoints: [F.ep("10.180.0.7", node: "node-a"), F.ep("10.180.1.7", node: "node-b")])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns7/svc7:http/tcp
            add chain ip ferry local-5VLR64BG-ns7/svc7/tcp/http
            add chain ip ferry endpoint-BEHX47Z5-ns7/svc7/tcp/http__10.180.0.7/8080
            add rule ip ferry local-5VLR64BG-ns7/svc7/tcp/http ip daddr 172.30.0.47 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry local-5VLR64BG-ns7/svc7/tcp/http goto endpoint-BEHX47Z5-ns7/svc7/tcp/http__10.180.0.7/8080
            add rule ip ferry endpoint-BEHX47Z5-ns7/svc7/tcp/http__10.180.0.7/8080 ip saddr 10.180.0.7 jump mark-for-masquerade
            add rule ip ferry endpoint-BEHX47Z5-ns7/svc7/tcp/http__10.180.0.7/8080 meta l4proto tcp dnat to 10.180.0.7:8080
            add element ip ferry cluster-ips { 172.30.0.47 }
            add element ip ferry service-ips { 172.30.0.47 . tcp . 80 : goto local-5VLR64BG-ns7/svc7/tcp/http }

            """)
    }

    @Test func internalTrafficPolicyLocalWithoutLocalEndpointsDrops() {
        // Drop, not reject: the Service has endpoints, just none on this node.
        let svc = F.service("ns7", "svc7", clusterIPs: ["172.30.0.47"], ports: [F.port("http", 80)],
                            spec: ["internalTrafficPolicy": "Local"])
        let slice = F.slice("ns7", "svc7", ports: [("http", 8080, "TCP")], endpoints: [F.ep("10.180.1.7", node: "node-b")])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns7/svc7:http/tcp
            add element ip ferry cluster-ips { 172.30.0.47 }
            add element ip ferry no-endpoint-services { 172.30.0.47 . tcp . 80 comment "ns7/svc7:http" : drop }

            """)
    }

    @Test func noEndpointsRejects() {
        let svc = F.service("ns6", "svc6", clusterIPs: ["172.30.0.46"], ports: [F.port("p80", 80)])
        #expect(F.serviceText(F.render([svc], [])) == """
            # ns6/svc6:p80/tcp
            add element ip ferry cluster-ips { 172.30.0.46 }
            add element ip ferry no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }

            """)
    }

    @Test(arguments: [
        // Endpoints that exist but are all unusable count as none.
        [Endpoint](),
        [F.ep("10.180.0.6", ready: false, serving: false, terminating: false)],
        [F.ep("10.180.0.6", ready: false, serving: false, terminating: true)],
        [F.ep("10.180.0.6", ready: false, serving: true, terminating: false)],  // starting up, not yet ready
    ])
    func unusableEndpointsRejectEveryEntryPoint(endpoints: [Endpoint]) {
        let svc = F.service(
            "ns6", "svc6", type: "LoadBalancer", clusterIPs: ["172.30.0.46"], ports: [F.port("p80", 80, nodePort: 3006)],
            spec: ["externalIPs": ["192.168.99.6"]], lbIngress: ["1.2.3.4"])
        let slice = F.slice("ns6", "svc6", ports: [("p80", 80, "TCP")], endpoints: endpoints)
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns6/svc6:p80/tcp
            add element ip ferry cluster-ips { 172.30.0.46 }
            add element ip ferry no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
            add element ip ferry no-endpoint-services { 192.168.99.6 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
            add element ip ferry no-endpoint-services { 1.2.3.4 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }
            add element ip ferry no-endpoint-nodeports { tcp . 3006 comment "ns6/svc6:p80" : goto reject-chain }

            """)
    }

    @Test func terminatingEndpointsAreAFallback() {
        let svc = F.service("ns8", "svc8", clusterIPs: ["172.30.0.48"], ports: [F.port("p80", 80)])
        let slice = F.slice("ns8", "svc8", ports: [("p80", 80, "TCP")], endpoints: [
            F.ep("10.180.0.8", ready: false, serving: true, terminating: true),
            F.ep("10.180.0.18", ready: false, serving: false, terminating: true),  // no longer serving: never used
        ])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns8/svc8:p80/tcp
            add chain ip ferry service-QAZH6GIY-ns8/svc8/tcp/p80
            add chain ip ferry endpoint-H2N7FXBO-ns8/svc8/tcp/p80__10.180.0.8/80
            add rule ip ferry service-QAZH6GIY-ns8/svc8/tcp/p80 ip daddr 172.30.0.48 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-QAZH6GIY-ns8/svc8/tcp/p80 goto endpoint-H2N7FXBO-ns8/svc8/tcp/p80__10.180.0.8/80
            add rule ip ferry endpoint-H2N7FXBO-ns8/svc8/tcp/p80__10.180.0.8/80 ip saddr 10.180.0.8 jump mark-for-masquerade
            add rule ip ferry endpoint-H2N7FXBO-ns8/svc8/tcp/p80__10.180.0.8/80 meta l4proto tcp dnat to 10.180.0.8:80
            add element ip ferry cluster-ips { 172.30.0.48 }
            add element ip ferry service-ips { 172.30.0.48 . tcp . 80 : goto service-QAZH6GIY-ns8/svc8/tcp/p80 }

            """)
    }

    @Test func terminatingEndpointsAreIgnoredWhileAReadyOneExists() {
        let svc = F.service("ns8", "svc8", clusterIPs: ["172.30.0.48"], ports: [F.port("p80", 80)])
        let slice = F.slice("ns8", "svc8", ports: [("p80", 80, "TCP")], endpoints: [
            F.ep("10.180.0.8", ready: false, serving: true, terminating: true),
            F.ep("10.180.0.28"),
        ])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns8/svc8:p80/tcp
            add chain ip ferry service-QAZH6GIY-ns8/svc8/tcp/p80
            add chain ip ferry endpoint-VXJC6SZJ-ns8/svc8/tcp/p80__10.180.0.28/80
            add rule ip ferry service-QAZH6GIY-ns8/svc8/tcp/p80 ip daddr 172.30.0.48 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-QAZH6GIY-ns8/svc8/tcp/p80 goto endpoint-VXJC6SZJ-ns8/svc8/tcp/p80__10.180.0.28/80
            add rule ip ferry endpoint-VXJC6SZJ-ns8/svc8/tcp/p80__10.180.0.28/80 ip saddr 10.180.0.28 jump mark-for-masquerade
            add rule ip ferry endpoint-VXJC6SZJ-ns8/svc8/tcp/p80__10.180.0.28/80 meta l4proto tcp dnat to 10.180.0.28:80
            add element ip ferry cluster-ips { 172.30.0.48 }
            add element ip ferry service-ips { 172.30.0.48 . tcp . 80 : goto service-QAZH6GIY-ns8/svc8/tcp/p80 }

            """)
    }

    @Test func udpAndTCPOnTheSamePort() {
        let svc = F.service("ns9", "dns", clusterIPs: ["172.30.0.10"],
                            ports: [F.port("dns-tcp", 53), F.port("dns-udp", 53, proto: "UDP")])
        let slice = F.slice("ns9", "dns", ports: [("dns-udp", 53, "UDP"), ("dns-tcp", 5353, "TCP")],
                            endpoints: [F.ep("10.180.0.53")])
        let r = F.render([svc], [slice])
        #expect(F.serviceText(r) == """
            # ns9/dns:dns-tcp/tcp
            add chain ip ferry service-UWA24ZQT-ns9/dns/tcp/dns-tcp
            add chain ip ferry endpoint-WIBVRD37-ns9/dns/tcp/dns-tcp__10.180.0.53/5353
            add rule ip ferry service-UWA24ZQT-ns9/dns/tcp/dns-tcp ip daddr 172.30.0.10 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-UWA24ZQT-ns9/dns/tcp/dns-tcp goto endpoint-WIBVRD37-ns9/dns/tcp/dns-tcp__10.180.0.53/5353
            add rule ip ferry endpoint-WIBVRD37-ns9/dns/tcp/dns-tcp__10.180.0.53/5353 ip saddr 10.180.0.53 jump mark-for-masquerade
            add rule ip ferry endpoint-WIBVRD37-ns9/dns/tcp/dns-tcp__10.180.0.53/5353 meta l4proto tcp dnat to 10.180.0.53:5353
            add element ip ferry cluster-ips { 172.30.0.10 }
            add element ip ferry service-ips { 172.30.0.10 . tcp . 53 : goto service-UWA24ZQT-ns9/dns/tcp/dns-tcp }

            # ns9/dns:dns-udp/udp
            add chain ip ferry service-TEEIXN3Q-ns9/dns/udp/dns-udp
            add chain ip ferry endpoint-FHUCDWXU-ns9/dns/udp/dns-udp__10.180.0.53/53
            add rule ip ferry service-TEEIXN3Q-ns9/dns/udp/dns-udp ip daddr 172.30.0.10 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-TEEIXN3Q-ns9/dns/udp/dns-udp goto endpoint-FHUCDWXU-ns9/dns/udp/dns-udp__10.180.0.53/53
            add rule ip ferry endpoint-FHUCDWXU-ns9/dns/udp/dns-udp__10.180.0.53/53 ip saddr 10.180.0.53 jump mark-for-masquerade
            add rule ip ferry endpoint-FHUCDWXU-ns9/dns/udp/dns-udp__10.180.0.53/53 meta l4proto udp dnat to 10.180.0.53:53
            add element ip ferry service-ips { 172.30.0.10 . udp . 53 : goto service-TEEIXN3Q-ns9/dns/udp/dns-udp }

            """)
        #expect(r.table(.ipv4)?.dnatTargets == [
            EndpointAddress(ip: "10.180.0.53", port: 5353, protocol: "tcp"),
            EndpointAddress(ip: "10.180.0.53", port: 53, protocol: "udp"),
        ])
    }

    @Test func allowedExternalIPIsProgrammedAndOthersRefused() {
        let svc = F.service("ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)],
                            spec: ["externalIPs": ["8.8.8.8", "192.168.99.33"]])
        let slice = F.slice("ns4", "svc4", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.4")])
        let r = F.render([svc], [slice])
        #expect(F.serviceText(r) == """
            # ns4/svc4:p80/tcp
            add chain ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80
            add chain ip ferry external-LAUZTJTB-ns4/svc4/tcp/p80
            add chain ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade
            add rule ip ferry external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80
            add element ip ferry cluster-ips { 172.30.0.44 }
            add element ip ferry service-ips { 172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/p80 }
            add element ip ferry service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }

            """)
        #expect(r.warnings == [.externalIPRefused(service: "ns4/svc4", ip: "8.8.8.8")])
    }

    @Test(arguments: [
        // (allow-list, externalIPs, expected programmed, expected refused)
        ([String](), ["192.168.99.33"], [String](), ["192.168.99.33"]),  // default: refuse everything
        (["192.168.99.0/24"], ["192.168.100.1"], [], ["192.168.100.1"]),
        (["192.168.99.33/32"], ["192.168.99.33", "192.168.99.34"], ["192.168.99.33"], ["192.168.99.34"]),
        (["0.0.0.0/0"], ["8.8.8.8"], ["8.8.8.8"], []),
    ])
    func externalIPAllowList(allowed: [String], externalIPs: [String], programmed: [String], refused: [String]) {
        let svc = F.service("ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)],
                            spec: ["externalIPs": .array(externalIPs.map { .string($0) })])
        let slice = F.slice("ns4", "svc4", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.4")])
        let r = F.render([svc], [slice], node: F.node(allowedExternalIPs: allowed))
        let keys = r.table(.ipv4)?.sections.last?.elements.filter { $0.set == "service-ips" }.map(\.key) ?? []
        #expect(keys == ["172.30.0.44 . tcp . 80"] + programmed.map { "\($0) . tcp . 80" })
        #expect(r.warnings == refused.map { .externalIPRefused(service: "ns4/svc4", ip: $0) })
        // A Service whose only external IPs were refused is not externally accessible at all.
        let hasExternalChain = r.table(.ipv4)?.sections.last?.chains.contains { $0.name.hasPrefix("external-") } ?? false
        #expect(hasExternalChain == !programmed.isEmpty)
    }

    @Test(arguments: [
        F.service("ns1", "headless", clusterIPs: ["None"], ports: [F.port("p80", 80)]),
        F.service("ns1", "ext", type: "ExternalName", clusterIPs: [], ports: [F.port("p80", 80)],
                  spec: ["externalName": "example.com"]),
        F.service("ns1", "unallocated", clusterIPs: [], ports: [F.port("p80", 80)]),
        F.service("ns1", "v6only", clusterIPs: ["fd00:30::1"], ports: [F.port("p80", 80)]),  // IPv4 table only
        F.service("ns1", "zero-port", clusterIPs: ["172.30.0.9"], ports: [F.port("p0", 0)]),
        F.service("ns1", "icmp", clusterIPs: ["172.30.0.9"], ports: [F.port("p80", 80, proto: "ICMP")]),
    ])
    func servicesWithoutRules(svc: Service) {
        let slice = F.slice("ns1", svc.metadata.name, ports: [("p80", 80, "TCP"), ("p0", 80, "TCP")],
                            endpoints: [F.ep("10.180.0.1")])
        #expect(F.render([svc], [slice]).text == baseIPv4)
    }

    @Test func masqueradeAllMarksEveryClusterIPConnection() {
        let svc = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)])
        let slice = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")])
        let chain = F.render([svc], [slice], node: F.node(masqueradeAll: true)).table(.ipv4)?.sections.last?.chains.first
        #expect(chain?.rules.first == "ip daddr 172.30.0.41 jump mark-for-masquerade")
    }

    @Test func withoutPodCIDRsNoClusterIPMasqueradeOrPodShortCircuit() throws {
        let node = try NodeConfig(nodeName: "node-a", nodeIPs: ["192.168.0.2"])
        let svc = F.service("ns2", "svc2", type: "NodePort", clusterIPs: ["172.30.0.42"],
                            ports: [F.port("p80", 80, nodePort: 3001)], spec: ["externalTrafficPolicy": "Local"])
        let slice = F.slice("ns2", "svc2", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.2", node: "node-a")])
        let chains = F.render([svc], [slice], node: node).table(.ipv4)?.sections.last?.chains ?? []
        #expect(chains.first { $0.name.hasPrefix("service-") }?.rules.count == 1)  // the endpoint pick only
        #expect(chains.first { $0.name.hasPrefix("external-") }?.rules == [
            "fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\"",
            "fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment \"short-circuit local traffic\"",
            "goto local-42NFTM6N-ns2/svc2/tcp/p80",
        ])
    }
}

@Suite struct EndpointSelectionTests {
    @Test func slicesOfOtherServicesNamespacesAndFamiliesAreIgnored() {
        let svc = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)])
        let slices = [
            F.slice("ns1", "svc1", name: "a", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")]),
            F.slice("ns2", "svc1", name: "b", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.2")]),
            F.slice("ns1", "other", name: "c", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.3")]),
            F.slice("ns1", "svc1", name: "d", addressType: "IPv6", ports: [("p80", 80, "TCP")], endpoints: [F.ep("fd00:10::4")]),
            F.slice("ns1", "svc1", name: "e", addressType: "FQDN", ports: [("p80", 80, "TCP")], endpoints: [F.ep("example.com")]),
            F.slice("ns1", "svc1", name: "f", ports: [("p81", 80, "TCP")], endpoints: [F.ep("10.180.0.6")]),  // other port name
            F.slice("ns1", "svc1", name: "g", ports: [("p80", 80, "UDP")], endpoints: [F.ep("10.180.0.7")]),  // other protocol
        ]
        let targets = F.render([svc], slices).table(.ipv4)?.dnatTargets
        #expect(targets == [EndpointAddress(ip: "10.180.0.1", port: 80, protocol: "tcp")])
    }

    @Test func duplicateEndpointsAcrossSlicesCollapse() {
        let svc = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)])
        let slices = [
            F.slice("ns1", "svc1", name: "b", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")]),
            F.slice("ns1", "svc1", name: "a", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1"), F.ep("10.180.0.2")]),
        ]
        let chain = F.render([svc], slices).table(.ipv4)?.sections.last?.chains.first
        #expect(chain?.rules.filter { $0.contains("goto endpoint-") }.count == 2)
        #expect(chain?.rules.last?.hasPrefix("goto endpoint-") == true)
    }

    @Test func smallEndpointSetsAreACascadeLargeOnesAVmap() throws {
        func pickRules(_ n: Int) throws -> [String] {
            let svc = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)])
            let eps = (1...n).map { F.ep("10.180.\($0 / 256).\($0 % 256)") }
            let slice = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: eps)
            let chain = try #require(F.render([svc], [slice]).table(.ipv4)?.sections.last?.chains.first)
            return chain.rules.filter { $0.contains("goto endpoint-") }
        }
        // Rule i of n matches with probability 1/(n-i): each endpoint gets 1/n.
        let three = try pickRules(3)
        #expect(three.count == 3)
        #expect(three[0].hasPrefix("numgen random mod 3 0 goto endpoint-"))
        #expect(three[1].hasPrefix("numgen random mod 2 0 goto endpoint-"))
        #expect(three[2].hasPrefix("goto endpoint-"))
        let limit = try pickRules(32)
        #expect(limit.count == 32 && limit[0].hasPrefix("numgen random mod 32 0 goto "))
        let large = try pickRules(33)
        #expect(large.count == 1)
        #expect(large[0].hasPrefix("numgen random mod 33 vmap { 0 : goto endpoint-"))
        #expect(large[0].components(separatedBy: " : goto ").count == 34)
    }

    @Test(arguments: [
        // (endpoints as (ready, serving, terminating, local), usesCluster, usesLocal, cluster, local, hasAny)
        ([(true, true, false, false), (true, true, false, true)], true, true, [0, 1], [1], true),
        ([(false, true, true, false), (false, true, true, true)], true, true, [0, 1], [1], true),
        ([(true, true, false, false), (false, true, true, true)], true, true, [0], [1], true),  // local falls back alone
        ([(false, false, true, true)], true, true, [], [], false),
        ([(true, true, false, false)], false, true, [], [], true),  // ITP=Local only: remote ready counts as "any"
        ([(true, true, false, true)], true, false, [0], [], true),
    ])
    func categorize(
        eps: [(Bool, Bool, Bool, Bool)], usesCluster: Bool, usesLocal: Bool, cluster: [Int], local: [Int], hasAny: Bool
    ) {
        let all = eps.enumerated().map { i, e in
            ProxyEndpoint(ip: ParsedIP("10.0.0.\(i + 1)")!, port: 80, ready: e.0, serving: e.1, terminating: e.2, isLocal: e.3)
        }
        let c = CategorizedEndpoints(all, usesCluster: usesCluster, usesLocal: usesLocal)
        #expect(c.cluster == cluster.map { all[$0] })
        #expect(c.local == local.map { all[$0] })
        #expect(c.hasAny == hasAny)
        #expect(Set(c.reachable) == Set(c.cluster + c.local))
    }
}

@Suite struct RenderEdgeTests {
    @Test func dualStackServiceRendersOneSectionPerFamily() throws {
        let svc = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41", "fd00:30::41"], ports: [F.port("p80", 80)])
        let slices = [
            F.slice("ns1", "svc1", name: "v4", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")]),
            F.slice("ns1", "svc1", name: "v6", addressType: "IPv6", ports: [("p80", 80, "TCP")], endpoints: [F.ep("fd00:10::1")]),
        ]
        let r = F.render([svc], slices, node: F.node(families: [.ipv6, .ipv4]))
        #expect(r.tables.map(\.family) == [.ipv4, .ipv6])
        #expect(F.serviceText(r, .ipv6) == """
            # ns1/svc1:p80/tcp
            add chain ip6 ferry service-ULMVA6XW-ns1/svc1/tcp/p80
            add chain ip6 ferry endpoint-YO76WRLM-ns1/svc1/tcp/p80__fd00.10..1/80
            add rule ip6 ferry service-ULMVA6XW-ns1/svc1/tcp/p80 ip6 daddr fd00:30::41 ip6 saddr != fd00:10::/64 jump mark-for-masquerade
            add rule ip6 ferry service-ULMVA6XW-ns1/svc1/tcp/p80 goto endpoint-YO76WRLM-ns1/svc1/tcp/p80__fd00.10..1/80
            add rule ip6 ferry endpoint-YO76WRLM-ns1/svc1/tcp/p80__fd00.10..1/80 ip6 saddr fd00:10::1 jump mark-for-masquerade
            add rule ip6 ferry endpoint-YO76WRLM-ns1/svc1/tcp/p80__fd00.10..1/80 meta l4proto tcp dnat to [fd00:10::1]:80
            add element ip6 ferry cluster-ips { fd00:30::41 }
            add element ip6 ferry service-ips { fd00:30::41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }

            """)
        #expect(F.serviceText(r, .ipv4).contains("dnat to 10.180.0.1:80"))
        #expect(!F.serviceText(r, .ipv4).contains("fd00"))
    }

    @Test func renderIsDeterministicUnderInputOrder() {
        let a = F.service("ns1", "a", clusterIPs: ["172.30.0.1"], ports: [F.port("p80", 80)])
        let b = F.service("ns2", "a", clusterIPs: ["172.30.0.2"], ports: [F.port("p80", 80)])
        let c = F.service("ns1", "b", clusterIPs: ["172.30.0.3"], ports: [F.port("p80", 80)])
        let slices = [
            F.slice("ns1", "a", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1"), F.ep("10.180.0.2")]),
            F.slice("ns2", "a", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.3")]),
        ]
        let r1 = F.render([a, b, c], slices)
        let r2 = F.render([c, b, a], slices.reversed())
        #expect(r1 == r2)
        #expect(r1.text == r2.text)
        #expect(r1.table(.ipv4)?.sections.compactMap(\.title) == ["ns1/a:p80/tcp", "ns1/b:p80/tcp", "ns2/a:p80/tcp"])
    }

    @Test func conflictingExternalIPKeepsTheFirstService() {
        let a = F.service("ns1", "a", clusterIPs: ["172.30.0.1"], ports: [F.port("p80", 80)],
                          spec: ["externalIPs": ["192.168.99.9"]])
        let b = F.service("ns1", "b", clusterIPs: ["172.30.0.2"], ports: [F.port("p80", 80)],
                          spec: ["externalIPs": ["192.168.99.9"]])
        let slices = [
            F.slice("ns1", "a", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")]),
            F.slice("ns1", "b", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.2")]),
        ]
        let r = F.render([b, a], slices)
        let elements = r.table(.ipv4)?.sections.flatMap(\.elements).filter { $0.key == "192.168.99.9 . tcp . 80" }
        #expect(elements?.count == 1)
        #expect(elements?.first?.value?.contains("ns1/a/") == true)
        #expect(r.warnings == [.conflictingElement(service: "ns1/b", map: "service-ips", key: "192.168.99.9 . tcp . 80")])
    }

    @Test func invalidServiceAddressesAreSkippedWithAWarning() {
        let svc = F.service(
            "ns1", "svc1", type: "LoadBalancer", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)],
            spec: ["externalIPs": ["192.168.99.300"]], lbIngress: ["lb.example.com", "1.2.3.4"])
        let slice = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")])
        let r = F.render([svc], [slice])
        #expect(r.warnings == [
            .invalidAddress(service: "ns1/svc1", value: "192.168.99.300"),
            .invalidAddress(service: "ns1/svc1", value: "lb.example.com"),
        ])
        let keys = r.table(.ipv4)?.sections.last?.elements.filter { $0.set == "service-ips" }.map(\.key)
        #expect(keys == ["172.30.0.41 . tcp . 80", "1.2.3.4 . tcp . 80"])
    }

    @Test func loadBalancerIPsOnlyCountForTypeLoadBalancer() {
        // Status left over after a type change from LoadBalancer to ClusterIP must not be programmed.
        let svc = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)], lbIngress: ["1.2.3.4"])
        let slice = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")])
        #expect(!F.render([svc], [slice]).text.contains("1.2.3.4"))
    }

    @Test func unnamedPortUsesEmptyPortName() {
        let svc = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("", 80)])
        let slice = F.slice("ns1", "svc1", ports: [("", 80, "TCP")], endpoints: [])
        #expect(F.serviceText(F.render([svc], [slice])) == """
            # ns1/svc1/tcp
            add element ip ferry cluster-ips { 172.30.0.41 }
            add element ip ferry no-endpoint-services { 172.30.0.41 . tcp . 80 comment "ns1/svc1" : goto reject-chain }

            """)
    }
}
