import KubeAPI
import ProxyRules
import Testing

@testable import ServiceProxy

private func table(_ snapshot: ClusterSnapshot, node: NodeConfig = F.node()) -> UserspaceTable {
    UserspaceTable(services: snapshot.services, endpointSlices: snapshot.endpointSlices, node: node)
}

private let webTCP = ServicePortID(namespace: "ns1", name: "web", portName: "http", protocol: .tcp)

@Suite struct UserspaceTableTests {
    @Test func clusterIPFrontendAndReadyEndpoints() throws {
        let t = table(F.web(["10.180.0.2", "10.180.0.1"]))
        let key = FrontendKey(ip: "172.30.0.10", port: 80, protocol: .tcp)
        let fe = try #require(t.frontends[key])
        #expect(fe.kind == .clusterIP && fe.service == webTCP && !fe.localOnly)
        #expect(t.frontends.count == 1)
        let pool = try #require(t.pools[PoolKey(service: webTCP, family: .ipv4)])
        #expect(pool.cluster == [BackendEndpoint(ip: "10.180.0.1", port: 8080), BackendEndpoint(ip: "10.180.0.2", port: 8080)])
        #expect(pool.affinityTimeout == nil)
        #expect(key.description == "172.30.0.10:80/tcp")
        #expect(webTCP.description == "ns1/web:http/tcp")
    }

    @Test func terminatingEndpointsAreOnlyAFallback() throws {
        let slice = F.slice("ns1", "web", ports: [("http", 8080, "TCP")], endpoints: [
            F.ep("10.180.0.1"), F.ep("10.180.0.2", ready: false, serving: true, terminating: true),
        ])
        let svc = F.serviceJSON("ns1", "web", clusterIP: "172.30.0.10", ports: [F.port("http", 80)])
        let t = table(F.snapshot(services: [svc], slices: [slice]))
        #expect(t.pools.first?.value.cluster == [BackendEndpoint(ip: "10.180.0.1", port: 8080)])

        let onlyTerminating = F.slice("ns1", "web", ports: [("http", 8080, "TCP")], endpoints: [
            F.ep("10.180.0.2", ready: false, serving: true, terminating: true),
            F.ep("10.180.0.3", ready: false, serving: false, terminating: true),
        ])
        let t2 = table(F.snapshot(services: [svc], slices: [onlyTerminating]))
        #expect(t2.pools.first?.value.cluster == [BackendEndpoint(ip: "10.180.0.2", port: 8080)])
    }

    @Test func nodePortLoadBalancerAndExternalIPs() throws {
        let svc = F.serviceJSON("ns1", "lb", type: "LoadBalancer", clusterIP: "172.30.0.20",
                                ports: [F.port("http", 80, nodePort: 30080)],
                                spec: ["externalIPs": ["192.168.99.5", "8.8.8.8"], "externalTrafficPolicy": "Local"],
                                lbIngress: ["192.168.99.100"])
        let slice = F.slice("ns1", "lb", ports: [("http", 8080, "TCP")], endpoints: [F.ep("10.180.0.1", node: "node-a"), F.ep("10.180.0.9")])
        let t = table(F.snapshot(services: [svc], slices: [slice]))
        let kinds = Dictionary(uniqueKeysWithValues: t.frontends.map { ($0.key.description, $0.value.kind) })
        #expect(kinds == [
            "172.30.0.20:80/tcp": .clusterIP, "192.168.0.2:30080/tcp": .nodePort,
            "192.168.99.5:80/tcp": .externalIP, "192.168.99.100:80/tcp": .loadBalancer,
        ])
        // ETP=Local applies to external frontends only.
        #expect(t.frontends.values.filter(\.localOnly).count == 3)
        let pool = try #require(t.pools.first?.value)
        #expect(pool.local == [BackendEndpoint(ip: "10.180.0.1", port: 8080)])
        #expect(t.warnings.contains { $0.contains("8.8.8.8") })
    }

    @Test(arguments: [
        ("headless", F.serviceJSON("ns", "h", clusterIP: "None", ports: [F.port("p", 80)])),
        ("externalName", F.serviceJSON("ns", "e", type: "ExternalName", clusterIP: "", ports: [F.port("p", 80)])),
        ("sctp", F.serviceJSON("ns", "s", clusterIP: "172.30.0.5", ports: [F.port("p", 80, proto: "SCTP")])),
        ("badPort", F.serviceJSON("ns", "b", clusterIP: "172.30.0.6", ports: [F.port("p", 0)])),
        ("badIP", F.serviceJSON("ns", "i", clusterIP: "not-an-ip", ports: [F.port("p", 80)])),
        ("ipv6OnV4Node", F.serviceJSON("ns", "v6", clusterIP: "fd00::5", ports: [F.port("p", 80)])),
    ])
    func servicesWithoutFrontends(_ name: String, svc: JSON) {
        let t = table(F.snapshot(services: [svc], slices: []))
        #expect(t.frontends.isEmpty, "\(name)")
    }

    @Test func conflictingFrontendsKeepTheFirstService() {
        let a = F.serviceJSON("a", "one", clusterIP: "172.30.0.30", ports: [F.port("p", 80)],
                              spec: ["externalIPs": ["192.168.99.1"]])
        let b = F.serviceJSON("b", "two", clusterIP: "172.30.0.31", ports: [F.port("p", 80)],
                              spec: ["externalIPs": ["192.168.99.1"]])
        let t = table(F.snapshot(services: [b, a], slices: []))
        #expect(t.frontends[FrontendKey(ip: "192.168.99.1", port: 80, protocol: .tcp)]?.service.namespace == "a")
        #expect(t.warnings.count == 1)
    }

    @Test func affinityAndTargetPortByName() throws {
        let t = table(F.web(["10.180.0.1"], port: 9090, affinity: 30))
        let pool = try #require(t.pools.first?.value)
        #expect(pool.affinityTimeout == .seconds(30))
        #expect(pool.cluster == [BackendEndpoint(ip: "10.180.0.1", port: 9090)])
    }

    @Test func slicePortsMustMatchNameAndProtocol() {
        let svc = F.serviceJSON("ns1", "web", clusterIP: "172.30.0.10", ports: [F.port("http", 80)])
        let slice = F.slice("ns1", "web", ports: [("other", 8080, "TCP"), ("http", 8081, "UDP")], endpoints: [F.ep("10.180.0.1")])
        let t = table(F.snapshot(services: [svc], slices: [slice]))
        #expect(t.pools.first?.value.cluster == [])
        #expect(t.frontends.count == 1)  // the listener stays; connections are refused for lack of endpoints
    }
}
