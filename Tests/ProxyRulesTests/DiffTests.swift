import KubeAPI
import Testing

@testable import ProxyRules

private typealias F = Fixtures

/// Small building blocks for before/after snapshots.
enum DiffFixtures {
    static let svc1 = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)])
    static let svc4 = F.service("ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)])
    static func svc4Affinity(_ timeout: Int) -> Service {
        F.service("ns4", "svc4", clusterIPs: ["172.30.0.44"], ports: [F.port("p80", 80)],
                  spec: ["sessionAffinity": "ClientIP", "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": .int(Int64(timeout))]]])
    }
    static let slice1 = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1")])
    static func slice4(_ ips: [String]) -> EndpointSlice {
        F.slice("ns4", "svc4", ports: [("p80", 80, "TCP")], endpoints: ips.map { F.ep($0) })
    }
    static let dns = F.service("ns9", "dns", clusterIPs: ["172.30.0.10"], ports: [F.port("dns-udp", 53, proto: "UDP")])
    static func dnsSlice(_ ips: [String]) -> EndpointSlice {
        F.slice("ns9", "dns", ports: [("dns-udp", 53, "UDP")], endpoints: ips.map { F.ep($0) })
    }
}

private typealias D = DiffFixtures

@Suite struct DiffTests {
    @Test func unchangedIsAnEmptyTransaction() {
        let a = F.render([D.svc1, D.svc4], [D.slice1, D.slice4(["10.180.0.4"])])
        let b = F.render([D.svc4, D.svc1], [D.slice4(["10.180.0.4"]), D.slice1])
        #expect(diff(from: a, to: b) == "")
        #expect(diff(from: a, to: a) == "")
    }

    @Test func addingAnEndpointRewritesOnlyThatService() {
        let old = F.render([D.svc1, D.svc4], [D.slice1, D.slice4(["10.180.0.4"])])
        let new = F.render([D.svc1, D.svc4], [D.slice1, D.slice4(["10.180.0.4", "10.180.0.5"])])
        #expect(diff(from: old, to: new) == """
            add chain ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
            flush chain ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 numgen random mod 2 0 goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80
            add rule ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 ip saddr 10.180.0.5 jump mark-for-masquerade
            add rule ip ferry endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 meta l4proto tcp dnat to 10.180.0.5:80

            """)
    }

    @Test func removingAServiceDeletesItsElementsAndChains() {
        let old = F.render([D.svc1, D.svc4], [D.slice1, D.slice4(["10.180.0.4"])])
        let new = F.render([D.svc4], [D.slice4(["10.180.0.4"])])
        #expect(diff(from: old, to: new) == """
            flush chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80
            flush chain ip ferry endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
            delete element ip ferry cluster-ips { 172.30.0.41 }
            delete element ip ferry service-ips { 172.30.0.41 . tcp . 80 }
            delete chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80
            delete chain ip ferry endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80

            """)
    }

    @Test func losingAllEndpointsSwitchesToReject() {
        let old = F.render([D.svc1], [D.slice1])
        let new = F.render([D.svc1], [])
        #expect(diff(from: old, to: new) == """
            flush chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80
            flush chain ip ferry endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
            delete element ip ferry service-ips { 172.30.0.41 . tcp . 80 }
            add element ip ferry no-endpoint-services { 172.30.0.41 . tcp . 80 comment "ns1/svc1:p80" : goto reject-chain }
            delete chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80
            delete chain ip ferry endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80

            """)
        // And back again: the reverse transaction.
        #expect(diff(from: new, to: old) == """
            add chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80
            add chain ip ferry endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
            delete element ip ferry no-endpoint-services { 172.30.0.41 . tcp . 80 }
            add element ip ferry service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
            add rule ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80 goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
            add rule ip ferry endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
            add rule ip ferry endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80

            """)
    }

    @Test func changedMapValueIsDeletedThenAdded() {
        // ITP switches Cluster -> Local: the ClusterIP element now points at the local chain.
        let local = F.service("ns1", "svc1", clusterIPs: ["172.30.0.41"], ports: [F.port("p80", 80)],
                              spec: ["internalTrafficPolicy": "Local"])
        let localSlice = F.slice("ns1", "svc1", ports: [("p80", 80, "TCP")], endpoints: [F.ep("10.180.0.1", node: "node-a")])
        let old = F.render([D.svc1], [localSlice])
        let new = F.render([local], [localSlice])
        #expect(diff(from: old, to: new) == """
            add chain ip ferry local-ULMVA6XW-ns1/svc1/tcp/p80
            flush chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80
            delete element ip ferry service-ips { 172.30.0.41 . tcp . 80 }
            add element ip ferry service-ips { 172.30.0.41 . tcp . 80 : goto local-ULMVA6XW-ns1/svc1/tcp/p80 }
            add rule ip ferry local-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry local-ULMVA6XW-ns1/svc1/tcp/p80 goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
            delete chain ip ferry service-ULMVA6XW-ns1/svc1/tcp/p80

            """)
    }

    @Test func affinityTimeoutChangeRecreatesSetsAndTheirUsers() {
        let old = F.render([D.svc4Affinity(300)], [D.slice4(["10.180.0.4"])])
        let new = F.render([D.svc4Affinity(600)], [D.slice4(["10.180.0.4"])])
        #expect(diff(from: old, to: new) == """
            flush chain ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80
            flush chain ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            delete set ip ferry affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add set ip ferry affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 600s ; }
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 ip saddr @affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry service-LAUZTJTB-ns4/svc4/tcp/p80 goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 ip saddr 10.180.0.4 jump mark-for-masquerade
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 update @affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 { ip saddr }
            add rule ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80 meta l4proto tcp dnat to 10.180.0.4:80

            """)
    }

    @Test func droppingAffinityDeletesTheSets() {
        let old = F.render([D.svc4Affinity(300)], [D.slice4(["10.180.0.4"])])
        let new = F.render([D.svc4], [D.slice4(["10.180.0.4"])])
        let script = diff(from: old, to: new)
        let lines = script.split(separator: "\n").map(String.init)
        let flushEndpoint = lines.firstIndex(of: "flush chain ip ferry endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80")
        let deleteSet = lines.firstIndex(of: "delete set ip ferry affinity-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80")
        // The set can only go once no rule refers to it any more.
        #expect(flushEndpoint != nil && deleteSet != nil && flushEndpoint! < deleteSet!)
        #expect(!script.contains("add set"))
        #expect(!script.contains("@affinity"))
    }

    @Test func fromNothingIsTheFullText() {
        let new = F.render([D.svc1], [D.slice1])
        let nothing = Ruleset(tableName: "ferry", tables: [])
        #expect(diff(from: nothing, to: new) == new.text)
        #expect(diff(from: new, to: nothing) == "delete table ip ferry\n")
    }

    @Test func droppingAFamilyDeletesItsTable() {
        let dual = F.render([D.svc1], [D.slice1], node: F.node(families: [.ipv4, .ipv6]))
        let v4 = F.render([D.svc1], [D.slice1])
        #expect(diff(from: dual, to: v4) == "delete table ip6 ferry\n")
    }

    @Test func nodeIPChangeTouchesOnlyNodePortIPs() throws {
        let old = F.render([D.svc1], [D.slice1])
        let node = try NodeConfig(
            nodeName: "node-a", nodeIPs: ["192.168.0.3"], podCIDRs: ["10.0.0.0/8"], serviceCIDRs: ["172.30.0.0/16"],
            allowedExternalIPCIDRs: ["192.168.99.0/24"])
        let new = F.render([D.svc1], [D.slice1], node: node)
        #expect(diff(from: old, to: new) == """
            delete element ip ferry nodeport-ips { 192.168.0.2 }
            add element ip ferry nodeport-ips { 192.168.0.3 }

            """)
    }

    @Test func fullSyncScriptReplacesBothFamilies() {
        let r = F.render([], [])
        #expect(r.fullSyncScript == """
            add table ip ferry
            delete table ip ferry
            add table ip6 ferry
            delete table ip6 ferry

            """ + baseIPv4)
    }
}

@Suite struct ConntrackTests {
    @Test func removedUDPEndpointIsFlushed() {
        let old = F.render([D.dns], [D.dnsSlice(["10.180.0.53", "10.180.0.54"])])
        let new = F.render([D.dns], [D.dnsSlice(["10.180.0.54"])])
        let targets = conntrackFlushTargets(old: old, new: new)
        #expect(targets.map { "\($0.ip) \($0.port) \($0.protocol)" } == ["10.180.0.53 53 udp"])
    }

    @Test func serviceDeletionFlushesAllItsUDPEndpoints() {
        let old = F.render([D.dns], [D.dnsSlice(["10.180.0.54", "10.180.0.53"])])
        let new = F.render([], [])
        #expect(conntrackFlushTargets(old: old, new: new).map { "\($0.ip):\($0.port)" } == ["10.180.0.53:53", "10.180.0.54:53"])
    }

    @Test(arguments: [
        // (old endpoints, new endpoints): nothing to flush
        (["10.180.0.53"], ["10.180.0.53"]),  // unchanged
        ([], ["10.180.0.53"]),  // added
        (["10.180.0.53"], ["10.180.0.53", "10.180.0.54"]),
    ])
    func nothingWentAway(old: [String], new: [String]) {
        let a = F.render([D.dns], [D.dnsSlice(old)])
        let b = F.render([D.dns], [D.dnsSlice(new)])
        #expect(conntrackFlushTargets(old: a, new: b).isEmpty)
    }

    @Test func tcpEndpointsAreNeverFlushed() {
        let old = F.render([D.svc4], [D.slice4(["10.180.0.4", "10.180.0.5"])])
        let new = F.render([D.svc4], [D.slice4(["10.180.0.5"])])
        #expect(conntrackFlushTargets(old: old, new: new).isEmpty)
    }

    @Test func endpointThatTurnedTerminatingWhileOthersAreReadyIsFlushed() {
        let old = F.render([D.dns], [D.dnsSlice(["10.180.0.53", "10.180.0.54"])])
        let slice = F.slice("ns9", "dns", ports: [("dns-udp", 53, "UDP")], endpoints: [
            F.ep("10.180.0.53", ready: false, serving: true, terminating: true), F.ep("10.180.0.54"),
        ])
        let new = F.render([D.dns], [slice])
        #expect(conntrackFlushTargets(old: old, new: new).map(\.ip) == ["10.180.0.53"])
    }

    @Test func endpointStillUsedByAnotherServiceIsKept() {
        let other = F.service("ns9", "dns2", clusterIPs: ["172.30.0.11"], ports: [F.port("dns-udp", 53, proto: "UDP")])
        let otherSlice = F.slice("ns9", "dns2", ports: [("dns-udp", 53, "UDP")], endpoints: [F.ep("10.180.0.53")])
        let old = F.render([D.dns, other], [D.dnsSlice(["10.180.0.53"]), otherSlice])
        let new = F.render([other], [otherSlice])
        #expect(conntrackFlushTargets(old: old, new: new).isEmpty)
    }
}
