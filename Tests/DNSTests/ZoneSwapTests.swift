import DNSCore
import KubeAPI
import Logging
import Testing

@testable import DNS

/// `DNSServer.apply`: when a snapshot rebuilds the zone, and what the engine serves meanwhile.
@Suite struct ZoneSwapTests {
    func server(autopath: Bool = false) -> DNSServer {
        var config = DNSServerConfig(listen: [HostPort(host: "127.0.0.1", port: 0)], upstreams: .servers([]))
        config.autopath = autopath
        return DNSServer(config: config, source: FakeClusterSource(ClusterSnapshot()), logger: Logger(label: "t"), metricsFactory: NOOPFactory())
    }

    func rcode(_ s: DNSServer, _ name: DNSName) -> DNSRCode? {
        guard case .answer(let m) = resolve(DNSMessage.query(id: 1, name: name, type: .a), in: s.engine.zone) else { return nil }
        return m.rcode
    }

    func withService(_ snap: ClusterSnapshot, _ name: String, version: Int) -> ClusterSnapshot {
        var s = snap
        s.objects[.service]?["testns/\(name)"] = TestCluster.service(
            name, spec: ["clusterIP": "10.0.0.9", "clusterIPs": ["10.0.0.9"], "ports": [["port": 80, "protocol": "TCP"]]])
        s.version = version
        return s
    }

    @Test func servfailUntilServicesAndSlicesSynced() {
        let s = server()
        #expect(!s.engine.zone.isSynced)
        var partial = TestCluster.snapshot()
        partial.synced = [.service]  // slices not listed yet
        s.apply(partial)
        #expect(rcode(s, "nope.testns.svc.cluster.local.") == .servFail)
        s.apply(TestCluster.snapshot())
        #expect(rcode(s, "nope.testns.svc.cluster.local.") == .nxDomain)
        #expect(rcode(s, "svc1.testns.svc.cluster.local.") == .noError)
    }

    @Test func keepsLastZoneWhenSyncIsLost() {
        let s = server()
        let synced = withService(TestCluster.snapshot(), "svc9", version: 2)
        s.apply(synced)
        var relisting = TestCluster.snapshot(synced: false, version: 3)
        relisting.objects = [:]
        s.apply(relisting)
        #expect(rcode(s, "svc9.testns.svc.cluster.local.") == .noError)
    }

    @Test func serviceChangeRebuilds() {
        let s = server()
        let a = TestCluster.snapshot()
        s.apply(a)
        let b = withService(a, "svc9", version: 2)
        s.apply(b)
        #expect(rcode(s, "svc9.testns.svc.cluster.local.") == .noError)
    }

    @Test func podOnlyChangesSkipRebuildUnlessAutopath() {
        for autopath in [false, true] {
            let s = server(autopath: autopath)
            var a = TestCluster.snapshot()
            a.synced.insert(.namespace)  // namespaces watched: pods are not needed to infer them
            a.objects[.namespace] = ["testns": ["metadata": ["name": "testns", "resourceVersion": "1"]]]
            s.apply(a)
            let before = s.engine.zone.podNamespace(for: .v4(IPv4Address(10, 244, 0, 7)))
            var b = a
            b.objects[.pod] = ["testns/p": TestCluster.pod("p", ip: "10.244.0.7")]
            s.apply(b)
            #expect(before == nil)
            #expect(s.engine.zone.podNamespace(for: .v4(IPv4Address(10, 244, 0, 7))) == (autopath ? "testns" : nil))
        }
    }
}
