import DNSCore
import KubeAPI
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

@testable import DNS

/// An in-memory `ClusterSource`: tests publish snapshots by hand.
final class FakeClusterSource: ClusterSource {
    private let state: NIOLockedValueBox<(snapshot: ClusterSnapshot, subscribers: [AsyncStream<ClusterSnapshot>.Continuation])>

    init(_ snapshot: ClusterSnapshot) { state = NIOLockedValueBox((snapshot, [])) }

    var current: ClusterSnapshot { state.withLockedValue { $0.snapshot } }

    func updates() -> AsyncStream<ClusterSnapshot> {
        let (stream, cont) = AsyncStream<ClusterSnapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        state.withLockedValue { s in
            cont.yield(s.snapshot)
            s.subscribers.append(cont)
        }
        return stream
    }

    func publish(_ snapshot: ClusterSnapshot) {
        state.withLockedValue { s in
            s.snapshot = snapshot
            for c in s.subscribers { c.yield(snapshot) }
        }
    }
}

/// A small cluster as API JSON: `svc1.testns` 10.0.0.1 (port http 80), headless `hdls.testns`
/// with two ready endpoints, `ext.testns` ExternalName to `www.example.com`, and optionally a
/// headless `big.testns` with `bigCount` endpoints 10.1.x.y.
enum TestCluster {
    static func service(_ name: String, ns: String = "testns", spec: JSON) -> JSON {
        ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": .string(ns), "resourceVersion": "1"], "spec": spec]
    }

    static func slice(_ name: String, ns: String = "testns", service: String, endpoints: [(ip: String, hostname: String?)]) -> JSON {
        var j = EndpointSlice(
            metadata: ObjectMeta(name: name, namespace: ns, labels: ["kubernetes.io/service-name": service]), addressType: "IPv4",
            endpoints: endpoints.map { Endpoint(addresses: [$0.ip], ready: true, hostname: $0.hostname) },
            ports: [EndpointPort(name: "http", protocol: "TCP", port: 80)]
        ).json
        j["metadata"]?["resourceVersion"] = "1"
        return j
    }

    static func pod(_ name: String, ns: String = "testns", ip: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(ns), "resourceVersion": "1"],
            "spec": ["dnsPolicy": "ClusterFirst"], "status": ["phase": "Running", "podIPs": [["ip": .string(ip)]]],
        ]
    }

    static func snapshot(bigCount: Int = 0, podIPs: [String] = [], synced: Bool = true, version: Int = 1) -> ClusterSnapshot {
        var services: [JSON] = [
            service("svc1", spec: ["clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": [["name": "http", "port": 80, "protocol": "TCP"]]]),
            service("hdls", spec: ["clusterIP": "None", "ports": [["name": "http", "port": 80, "protocol": "TCP"]]]),
            service("ext", spec: ["type": "ExternalName", "externalName": "www.example.com"]),
        ]
        var slices: [JSON] = [slice("hdls-a", service: "hdls", endpoints: [("172.0.0.2", "web-0"), ("172.0.0.3", nil)])]
        if bigCount > 0 {
            services.append(service("big", spec: ["clusterIP": "None", "ports": [["name": "http", "port": 80, "protocol": "TCP"]]]))
            slices.append(slice("big-a", service: "big", endpoints: (0..<bigCount).map { ("10.1.\($0 / 250).\($0 % 250 + 1)", nil) }))
        }
        var objects: [ResourceType: ClusterSnapshot.Objects] = [:]
        for s in services { objects[.service, default: [:]][ClusterSnapshot.key(of: s)] = s }
        for s in slices { objects[.endpointSlice, default: [:]][ClusterSnapshot.key(of: s)] = s }
        for (i, ip) in podIPs.enumerated() {
            let p = pod("client-\(i)", ip: ip)
            objects[.pod, default: [:]][ClusterSnapshot.key(of: p)] = p
        }
        return ClusterSnapshot(objects: objects, synced: synced ? [.service, .endpointSlice, .pod] : [], version: version)
    }

    static func zone(bigCount: Int = 0, podIPs: [String] = []) -> ClusterZone {
        let snap = snapshot(bigCount: bigCount, podIPs: podIPs)
        return ClusterZone(services: snap.services, endpointSlices: snap.endpointSlices, pods: snap.pods, serial: 1)
    }
}

/// Builds an engine like `DNSServer` does, for handler tests.
func makeEngine(
    zone: ClusterZone? = TestCluster.zone(), upstreams: [HostPort] = [], timeout: TimeAmount = .seconds(2), cacheCapacity: Int = 100,
    maxInFlight: Int = 100, autopath: Bool = false, metrics: DNSMetrics = DNSMetrics(server: "dns://:53", factory: NOOPFactory())
) -> DNSEngine {
    let forwarder = Forwarder(timeout: timeout, maxInFlight: maxInFlight, metrics: metrics)
    try! forwarder.setUpstreams(upstreams)
    let engine = DNSEngine(
        zoneConfig: ClusterDNSConfig(), autopath: autopath, forwarder: forwarder,
        cache: ForwardCache(capacity: cacheCapacity, maxSuccessTTL: 30, maxDenialTTL: 30), metrics: metrics,
        logger: Logger(label: "test"))
    if let zone { engine.setZone(zone) }
    return engine
}

import CoreMetrics

/// swift-metrics' no-op handlers, for tests that do not look at metrics.
struct NOOPFactory: MetricsFactory {
    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { NOOPMetricsHandler.instance }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

/// Wire helpers.
enum Wire {
    static func query(_ name: DNSName, _ type: RRType, id: UInt16 = 0x1234, edns: EDNS? = nil) -> [UInt8] {
        DNSMessage.query(id: id, name: name, type: type, edns: edns).serialize()
    }

    static func parse(_ bytes: [UInt8]) -> DNSMessage? { try? DNSMessage(wire: bytes) }
}
