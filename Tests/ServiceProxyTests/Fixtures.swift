import Foundation
import KubeAPI
import Logging
import ProxyRules
import Synchronization

@testable import ServiceProxy

// Conventions: ClusterIPs 172.30.0.0/16, endpoints 10.180.0.0/16, node "node-a" at 192.168.0.2.
// Loopback tests use 127.0.0.1 backends and remap frontends to 127.0.0.1:0 (ephemeral).

enum F {
    static let logger: Logger = {
        var l = Logger(label: "ServiceProxyTests")
        // SERVICEPROXY_TEST_LOG=trace shows the proxy's logs when debugging a test.
        l.logLevel = ProcessInfo.processInfo.environment["SERVICEPROXY_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return l
    }()

    static func node(families: [IPFamily] = [.ipv4], nodeIPs: [String] = ["192.168.0.2"],
                     allowedExternalIPs: [String] = ["192.168.99.0/24"]) -> NodeConfig {
        // Force-unwrapping is fine here: these literals are the fixture, and a typo should fail loudly.
        try! NodeConfig(nodeName: "node-a", nodeIPs: nodeIPs, families: families, podCIDRs: ["10.0.0.0/8"],
                        serviceCIDRs: ["172.30.0.0/16"], allowedExternalIPCIDRs: allowedExternalIPs)
    }

    static func serviceJSON(_ ns: String, _ name: String, type: String = "ClusterIP", clusterIP: String, ports: [JSON],
                            spec extra: [String: JSON] = [:], lbIngress: [String] = [], resourceVersion: String = "1") -> JSON {
        var spec: [String: JSON] = [
            "type": .string(type), "clusterIP": .string(clusterIP), "clusterIPs": [.string(clusterIP)], "ports": .array(ports),
        ]
        for (k, v) in extra { spec[k] = v }
        var obj: JSON = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["namespace": .string(ns), "name": .string(name), "resourceVersion": .string(resourceVersion)],
            "spec": .object(spec),
        ]
        if !lbIngress.isEmpty {
            obj["status"] = ["loadBalancer": ["ingress": .array(lbIngress.map { ["ip": .string($0)] })]]
        }
        return obj
    }

    static func port(_ name: String, _ port: Int, proto: String = "TCP", nodePort: Int? = nil) -> JSON {
        var p: JSON = ["name": .string(name), "port": .int(Int64(port)), "protocol": .string(proto)]
        if let nodePort { p["nodePort"] = .int(Int64(nodePort)) }
        return p
    }

    static func slice(_ ns: String, _ svc: String, name: String? = nil, addressType: String = "IPv4",
                      ports: [(name: String, port: Int, proto: String)], endpoints: [Endpoint]) -> EndpointSlice {
        EndpointSlice(
            metadata: ObjectMeta(name: name ?? "\(svc)-abc", namespace: ns, labels: ["kubernetes.io/service-name": svc]),
            addressType: addressType, endpoints: endpoints,
            ports: ports.map { EndpointPort(name: $0.name, protocol: $0.proto, port: $0.port) })
    }

    static func ep(_ ip: String, node: String? = nil, ready: Bool = true, serving: Bool = true, terminating: Bool = false) -> Endpoint {
        Endpoint(addresses: [ip], ready: ready, serving: serving, terminating: terminating, nodeName: node)
    }

    static func snapshot(services: [JSON], slices: [EndpointSlice], version: Int = 1, synced: Bool = true) -> ClusterSnapshot {
        var svcs = ClusterSnapshot.Objects()
        for s in services { svcs[ClusterSnapshot.key(of: s)] = s }
        var sl = ClusterSnapshot.Objects()
        for s in slices { sl["\(s.metadata.namespace)/\(s.metadata.name)"] = s.json }
        return ClusterSnapshot(objects: [.service: svcs, .endpointSlice: sl],
                               synced: synced ? [.service, .endpointSlice] : [], version: version)
    }

    /// A web Service `ns1/web` at 172.30.0.10:80 with endpoints on `backendPort`.
    static func web(_ endpoints: [String], port: Int = 8080, proto: String = "TCP", affinity: Int? = nil,
                    version: Int = 1) -> ClusterSnapshot {
        var extra: [String: JSON] = [:]
        if let affinity {
            extra["sessionAffinity"] = "ClientIP"
            extra["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": .int(Int64(affinity))]]
        }
        return snapshot(
            services: [serviceJSON("ns1", "web", clusterIP: "172.30.0.10", ports: [F.port("http", 80, proto: proto)], spec: extra,
                                   resourceVersion: "\(version)")],
            slices: [slice("ns1", "web", ports: [("http", port, proto)], endpoints: endpoints.map { ep($0) })],
            version: version)
    }
}

/// A `ClusterSource` the test drives: `publish` replaces the snapshot and wakes every `updates()` stream.
final class FakeClusterSource: ClusterSource {
    private struct State {
        var snapshot: ClusterSnapshot
        var continuations: [AsyncStream<ClusterSnapshot>.Continuation] = []
    }

    private let state: Mutex<State>

    init(_ snapshot: ClusterSnapshot = ClusterSnapshot()) { state = Mutex(State(snapshot: snapshot)) }

    var current: ClusterSnapshot { state.withLock { $0.snapshot } }

    func updates() -> AsyncStream<ClusterSnapshot> {
        let (stream, cont) = AsyncStream.makeStream(of: ClusterSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.continuations.append(cont) }
        return stream
    }

    func publish(_ snapshot: ClusterSnapshot) {
        let conts = state.withLock { s in
            s.snapshot = snapshot
            return s.continuations
        }
        for c in conts { c.yield(snapshot) }
    }
}

/// Records every script; fails the next `failNext` applies.
final class FakeApplier: RuleApplier {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "injected failure" }
    }

    private let state = Mutex<(scripts: [String], failNext: Int)>(([], 0))

    var scripts: [String] { state.withLock { $0.scripts } }

    func failNext(_ n: Int) { state.withLock { $0.failNext = n } }

    func apply(script: String) async throws {
        let fail = state.withLock { s -> Bool in
            s.scripts.append(script)
            if s.failNext > 0 {
                s.failNext -= 1
                return true
            }
            return false
        }
        if fail { throw Failure() }
    }
}

/// Records commands and answers from a table (default: status 0, no output).
final class FakeRunner: CommandRunner {
    private let state = Mutex<[[String]]>([])
    private let answer: @Sendable ([String]) -> CommandResult

    init(answer: @escaping @Sendable ([String]) -> CommandResult = { _ in CommandResult(status: 0, output: "") }) {
        self.answer = answer
    }

    var commands: [[String]] { state.withLock { $0 } }

    func run(_ argv: [String], stdin: String) async throws -> CommandResult {
        state.withLock { $0.append(argv) }
        return answer(argv)
    }
}

/// Collects `SyncReport`s and lets a test await the next one matching a predicate (bounded wait).
final class SyncRecorder: Sendable {
    private let state = Mutex<[SyncReport]>([])

    var reports: [SyncReport] { state.withLock { $0 } }

    @Sendable func record(_ r: SyncReport) { state.withLock { $0.append(r) } }

    /// Waits up to `timeout` for a report satisfying `predicate` (from `after` on); nil on timeout.
    func wait(after: Int = 0, timeout: Duration = .seconds(30), _ predicate: (SyncReport) -> Bool = { _ in true }) async -> SyncReport? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = state.withLock { $0.dropFirst(after).first(where: predicate) }
            if let found { return found }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }
}
