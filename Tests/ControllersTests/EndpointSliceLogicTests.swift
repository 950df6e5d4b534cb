import Testing

@testable import Controllers
@testable import KubeAPI

func service(_ name: String = "web", ns: String = "default", selector: [String: String]? = ["app": "web"], ports: JSON = [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"]], extra: [String: JSON] = [:]) -> Service {
    var spec: JSON = ["ports": ports, "clusterIP": "10.96.0.20", "ipFamilies": ["IPv4"], "type": "ClusterIP"]
    if let selector { spec["selector"] = .object(selector.mapValues { .string($0) }) }
    for (k, v) in extra { spec[k] = v }
    return Service(["metadata": ["name": .string(name), "namespace": .string(ns), "uid": "svc-uid"], "spec": spec])
}

func pod(_ name: String, ip: String?, ready: Bool = true, labels: [String: String] = ["app": "web"], ns: String = "default", phase: String = "Running", deleting: Bool = false, hostname: String? = nil, subdomain: String? = nil, portName: String = "http", port: Int = 8080) -> Pod {
    var meta: JSON = ["name": .string(name), "namespace": .string(ns), "uid": .string("uid-\(name)"), "labels": .object(labels.mapValues { .string($0) })]
    if deleting { meta["deletionTimestamp"] = "2026-01-01T00:00:00Z" }
    var spec: JSON = ["containers": [["name": "c", "ports": [["name": .string(portName), "containerPort": .int(Int64(port)), "protocol": "TCP"]]]]]
    if let hostname { spec["hostname"] = .string(hostname) }
    if let subdomain { spec["subdomain"] = .string(subdomain) }
    var status: JSON = ["phase": .string(phase), "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]
    if let ip { status["podIP"] = .string(ip); status["podIPs"] = [["ip": .string(ip)]] }
    return Pod(["metadata": meta, "spec": spec, "status": status])
}

@Suite struct EndpointSliceLogicTests {
    @Test func readyAndNotReadyPodsWithResolvedNamedPort() {
        let slices = EndpointSliceLogic.desiredSlices(service(), pods: [
            pod("a", ip: "10.0.0.2"), pod("b", ip: "10.0.0.1", ready: false),
        ])
        #expect(slices.count == 1)
        #expect(slices[0].ports == [EndpointPort(name: "http", protocol: "TCP", port: 8080)])
        #expect(slices[0].endpoints.map(\.addresses) == [["10.0.0.1"], ["10.0.0.2"]])
        #expect(slices[0].endpoints.map(\.ready) == [false, true])
        #expect(slices[0].endpoints.map(\.serving) == [false, true])
    }

    @Test(arguments: [
        ("no ip", pod("x", ip: nil)),
        ("other namespace", pod("x", ip: "10.0.0.9", ns: "other")),
        ("labels differ", pod("x", ip: "10.0.0.9", labels: ["app": "db"])),
        ("succeeded", pod("x", ip: "10.0.0.9", phase: "Succeeded")),
        ("failed", pod("x", ip: "10.0.0.9", phase: "Failed")),
    ])
    func excludedPods(_ why: String, _ p: Pod) {
        let slices = EndpointSliceLogic.desiredSlices(service(), pods: [p])
        #expect(slices == [EndpointSliceLogic.DesiredSlice(addressType: "IPv4", ports: [], endpoints: [])], "\(why)")
    }

    @Test func terminatingPodIsNotReadyButServing() {
        let s = EndpointSliceLogic.desiredSlices(service(), pods: [pod("a", ip: "10.0.0.1", deleting: true)])
        #expect(s[0].endpoints[0].ready == false)
        #expect(s[0].endpoints[0].serving == true)
        #expect(s[0].endpoints[0].terminating == true)
    }

    @Test func publishNotReadyAddressesMakesEveryEndpointReady() {
        let svc = service(extra: ["publishNotReadyAddresses": true])
        let s = EndpointSliceLogic.desiredSlices(svc, pods: [pod("a", ip: "10.0.0.1", ready: false), pod("b", ip: "10.0.0.2", deleting: true)])
        #expect(s[0].endpoints.map(\.ready) == [true, true])
    }

    @Test func hostnameOnlyWhenSubdomainMatchesService() {
        let s = EndpointSliceLogic.desiredSlices(service(), pods: [
            pod("a", ip: "10.0.0.1", hostname: "a", subdomain: "web"),
            pod("b", ip: "10.0.0.2", hostname: "b", subdomain: "other"),
            pod("c", ip: "10.0.0.3", subdomain: "web"),
        ])
        #expect(s[0].endpoints.map(\.hostname) == ["a", nil, nil])
    }

    @Test func podsWithDifferentResolvedPortsGoToDifferentSlices() {
        let s = EndpointSliceLogic.desiredSlices(service(), pods: [
            pod("a", ip: "10.0.0.1", port: 8080), pod("b", ip: "10.0.0.2", port: 9090), pod("c", ip: "10.0.0.3", portName: "other"),
        ])
        #expect(s.count == 3)
        #expect(Set(s.map { $0.ports.first?.port ?? 0 }) == [8080, 9090, 0])
    }

    @Test func atMostOneHundredEndpointsPerSlice() {
        let pods = (0..<250).map { pod("p\($0)", ip: "10.1.\($0 / 256).\($0 % 256)") }
        let s = EndpointSliceLogic.desiredSlices(service(), pods: pods)
        #expect(s.map(\.endpoints.count) == [100, 100, 50])
    }

    @Test(arguments: [
        (service(selector: nil), false),
        (service(selector: [:]), false),
        (service(extra: ["type": "ExternalName"]), false),
        (service(), true),
    ])
    func managedServices(_ s: Service, _ managed: Bool) {
        #expect(EndpointSliceLogic.manages(s) == managed)
    }

    @Test func reconcileKeepsNamesAndOnlyWritesChanges() {
        let svc = service()
        let desired = EndpointSliceLogic.desiredSlices(svc, pods: [pod("a", ip: "10.0.0.1")])
        // Nothing existing → create with generateName.
        let create = EndpointSliceLogic.reconcile(svc, desired: desired, existing: [])
        guard case .create(let obj)? = create.first, create.count == 1 else { Issue.record("want one create: \(create)"); return }
        #expect(obj.at("metadata", "generateName") == "web-")
        #expect(obj.at("metadata", "labels", "kubernetes.io/service-name") == "web")
        #expect(obj.at("metadata", "labels", "endpointslice.kubernetes.io/managed-by") == "endpointslice-controller.k8s.io")
        #expect(obj.at("metadata", "ownerReferences")?.arrayValue?.first?["uid"] == "svc-uid")
        // Existing identical → nothing.
        var existing = EndpointSlice(obj)
        existing.metadata.name = "web-abcde"
        #expect(EndpointSliceLogic.reconcile(svc, desired: desired, existing: [existing]).isEmpty)
        // Changed endpoints → update in place; an extra slice → delete.
        let desired2 = EndpointSliceLogic.desiredSlices(svc, pods: [pod("a", ip: "10.0.0.1"), pod("b", ip: "10.0.0.2")])
        var extra = existing
        extra.metadata.name = "web-zzzzz"
        let actions = EndpointSliceLogic.reconcile(svc, desired: desired2, existing: [existing, extra])
        #expect(actions.count == 2)
        if case .update(let name, let o) = actions[0] {
            #expect(name == "web-abcde")
            #expect(EndpointSlice(o).endpoints.count == 2)
        } else { Issue.record("want update first: \(actions)") }
        #expect(actions[1] == .delete(name: "web-zzzzz"))
    }

    @Test func legacyEndpointsSplitReadyAndNotReady() {
        let ep = EndpointSliceLogic.endpoints(service(), pods: [
            pod("a", ip: "10.0.0.2"), pod("b", ip: "10.0.0.1", ready: false), pod("c", ip: "10.0.0.3", deleting: true),
        ])
        let subset = ep["subsets"]?.arrayValue?.first
        #expect(subset?["addresses"]?.arrayValue?.compactMap { $0["ip"]?.stringValue } == ["10.0.0.2"])
        #expect(subset?["notReadyAddresses"]?.arrayValue?.compactMap { $0["ip"]?.stringValue } == ["10.0.0.1"])
        #expect(subset?["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
    }
}

@Suite struct LoadBalancerLogicTests {
    func lb(_ name: String, created: String, requested: String = "", held: [String] = [], cls: String? = nil, type: String = "LoadBalancer") -> Service {
        var spec: JSON = ["type": .string(type), "ports": [["port": 80]]]
        if !requested.isEmpty { spec["loadBalancerIP"] = .string(requested) }
        if let cls { spec["loadBalancerClass"] = .string(cls) }
        var status: JSON = ["loadBalancer": [:]]
        if !held.isEmpty { status["loadBalancer"] = ["ingress": .array(held.map { ["ip": .string($0)] })] }
        return Service(["metadata": ["name": .string(name), "namespace": "default", "creationTimestamp": .string(created)], "spec": spec, "status": status])
    }

    @Test func poolParsingSkipsNetworkAndBroadcast() throws {
        #expect(try LoadBalancerLogic.Pool("127.2.0.0/30").addresses == ["127.2.0.1", "127.2.0.2"])
        #expect(try LoadBalancerLogic.Pool("10.0.0.5/32").addresses == ["10.0.0.5"])
        #expect(try LoadBalancerLogic.Pool("127.2.0.0/24").addresses.count == 254)
    }

    @Test(arguments: ["", "10.0.0.0", "10.0.0.0/8", "10.0.0.300/24", "fd00::/120", "a.b.c.d/24"])
    func poolParsingRejects(_ text: String) {
        #expect(throws: LoadBalancerLogic.Pool.ParseError.self) { _ = try LoadBalancerLogic.Pool(text) }
    }

    @Test func assignsLowestFreeKeepsHeldAndReportsPending() throws {
        let pool = try LoadBalancerLogic.Pool("127.2.0.0/30")
        let plan = LoadBalancerLogic.plan([
            lb("a", created: "1", held: ["127.2.0.2"]),
            lb("b", created: "2"),
            lb("c", created: "3"),
            lb("other", created: "0", cls: "example.com/lb"),
            lb("np", created: "0", type: "NodePort"),
        ], pool: pool, nodeIPs: [])
        #expect(plan["default/a"] == .assigned(["127.2.0.2"]))
        #expect(plan["default/b"] == .assigned(["127.2.0.1"]))
        #expect(plan["default/c"] == .pending(reason: "no available IP in the pool"))
        #expect(plan["default/other"] == nil)
        #expect(plan["default/np"] == nil)
    }

    @Test func requestedAddressHonouredOrRefused() throws {
        let pool = try LoadBalancerLogic.Pool("127.2.0.0/29")
        let plan = LoadBalancerLogic.plan([
            lb("a", created: "1", requested: "127.2.0.5"),
            lb("b", created: "2", requested: "127.2.0.5"),
            lb("c", created: "3", requested: "10.9.9.9"),
        ], pool: pool, nodeIPs: [])
        #expect(plan["default/a"] == .assigned(["127.2.0.5"]))
        #expect(plan["default/b"] == .pending(reason: "requested loadBalancerIP 127.2.0.5 is already in use"))
        #expect(plan["default/c"] == .pending(reason: "requested loadBalancerIP 10.9.9.9 is not in the pool"))
    }

    @Test func withoutPoolNodeIPsArePublished() {
        let plan = LoadBalancerLogic.plan([lb("a", created: "1")], pool: nil, nodeIPs: ["192.0.2.10"])
        #expect(plan["default/a"] == .assigned(["192.0.2.10"]))
        let none = LoadBalancerLogic.plan([lb("a", created: "1")], pool: nil, nodeIPs: [])
        #expect(none["default/a"] == .pending(reason: "no --lb-pool and no --node-ip configured"))
    }
}

@Suite struct IngressStatusTests {
    func ing(_ cls: String?) -> Ingress {
        var spec: JSON = [:]
        if let cls { spec["ingressClassName"] = .string(cls) }
        return Ingress(["metadata": ["name": "i", "namespace": "default"], "spec": spec])
    }
    func cls(_ name: String, isDefault: Bool) -> IngressClass {
        var meta: JSON = ["name": .string(name)]
        if isDefault { meta["annotations"] = ["ingressclass.kubernetes.io/is-default-class": "true"] }
        return IngressClass(["metadata": meta, "spec": ["controller": "ferry.dev/ingress"]])
    }

    @Test(arguments: [
        ("nginx", false, true), ("ferry", false, true), ("other", true, false), (nil, true, true), (nil, false, false),
    ] as [(String?, Bool, Bool)])
    func servesOurClassesAndUnclassedWhenDefault(_ className: String?, _ ferryIsDefault: Bool, _ served: Bool) {
        let classes = [cls("ferry", isDefault: ferryIsDefault), cls("other", isDefault: false)]
        #expect(IngressStatusController.serves(ing(className), classes: ["ferry", "nginx"], ingressClasses: classes) == served)
    }

    @Test func publishesTheServiceLoadBalancerAddressElseTheNodeAddresses() {
        let node: JSON = ["ingress": [["ip": "192.168.1.5"]]]
        #expect(IngressStatusController.published(fallback: ["192.168.1.5"], publishService: nil) == node)
        let pending: JSON = ["metadata": ["name": "ferry-ingress"], "status": ["loadBalancer": [:]]]
        #expect(IngressStatusController.published(fallback: ["192.168.1.5"], publishService: pending) == node)
        let lb: JSON = ["status": ["loadBalancer": ["ingress": [["ip": "203.0.113.7"], ["hostname": "lb.example.com"], [:]]]]]
        #expect(IngressStatusController.published(fallback: ["192.168.1.5"], publishService: lb)
            == ["ingress": [["ip": "203.0.113.7"], ["hostname": "lb.example.com"]]])
    }
}
