import Foundation
import IngressCore
import KubeAPI
import Logging
import NIOCore
import NIOEmbedded
import Synchronization

@testable import Ingress

/// API objects as JSON (the form snapshots carry), with a fresh resourceVersion each so snapshot diffs see them.
enum Obj {
    private static let rv = Atomic<Int>(0)
    static func nextRV() -> JSON { .string("\(rv.add(1, ordering: .relaxed).newValue)") }

    static func meta(_ name: String, ns: String = "default", extra: [String: JSON] = [:]) -> JSON {
        var m: [String: JSON] = [
            "name": .string(name), "namespace": .string(ns), "resourceVersion": nextRV(),
            "creationTimestamp": "2024-01-01T00:00:00Z",
        ]
        for (k, v) in extra { m[k] = v }
        return .object(m)
    }

    static func path(_ p: String, _ svc: String, type: String = "Prefix", port: Int = 80) -> JSON {
        [
            "path": .string(p), "pathType": .string(type),
            "backend": ["service": ["name": .string(svc), "port": ["number": .int(Int64(port))]]],
        ]
    }

    static func rule(_ host: String?, _ paths: [JSON]) -> JSON {
        var r: JSON = ["http": ["paths": .array(paths)]]
        if let host { r["host"] = .string(host) }
        return r
    }

    static func ingress(
        _ name: String, ns: String = "default", className: String = "ferry", annotations: [String: String] = [:],
        tls: [(hosts: [String], secret: String)] = [], rules: [JSON]
    ) -> JSON {
        var extra: [String: JSON] = [:]
        if !annotations.isEmpty { extra["annotations"] = .object(annotations.mapValues { .string($0) }) }
        var spec: JSON = ["ingressClassName": .string(className), "rules": .array(rules)]
        if !tls.isEmpty {
            spec["tls"] = .array(
                tls.map { ["hosts": .array($0.hosts.map { .string($0) }), "secretName": .string($0.secret)] })
        }
        return [
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta(name, ns: ns, extra: extra),
            "spec": spec,
        ]
    }

    static func service(_ name: String, ns: String = "default", port: Int = 80) -> JSON {
        [
            "apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns: ns),
            "spec": [
                "type": "ClusterIP",
                "ports": [["name": "http", "port": .int(Int64(port)), "targetPort": 8080, "protocol": "TCP"]],
            ],
        ]
    }

    /// One slice per endpoint so every endpoint can have its own target port (test backends listen on
    /// ephemeral ports of 127.0.0.1).
    static func slices(
        _ svc: String, ns: String = "default", ready: [(String, Int)], terminating: [(String, Int)] = []
    ) -> [JSON] {
        func slice(_ i: Int, _ addr: String, _ port: Int, ready: Bool) -> JSON {
            [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": meta(
                    "\(svc)-\(ready ? "r" : "t")\(i)", ns: ns,
                    extra: ["labels": ["kubernetes.io/service-name": .string(svc)]]),
                "addressType": "IPv4",
                "endpoints": [
                    [
                        "addresses": [.string(addr)],
                        "conditions": ["ready": .bool(ready), "serving": true, "terminating": .bool(!ready)],
                    ]
                ],
                "ports": [["name": "http", "port": .int(Int64(port)), "protocol": "TCP"]],
            ]
        }
        return ready.enumerated().map { slice($0.offset, $0.element.0, $0.element.1, ready: true) }
            + terminating.enumerated().map { slice($0.offset, $0.element.0, $0.element.1, ready: false) }
    }

    static func tlsSecret(_ name: String, ns: String = "default", cert: String, key: String) -> JSON {
        [
            "apiVersion": "v1", "kind": "Secret", "metadata": meta(name, ns: ns), "type": "kubernetes.io/tls",
            "data": [
                "tls.crt": .string(Data(cert.utf8).base64EncodedString()),
                "tls.key": .string(Data(key.utf8).base64EncodedString()),
            ],
        ]
    }

    static func opaqueSecret(_ name: String, ns: String = "default", data: [String: String]) -> JSON {
        [
            "apiVersion": "v1", "kind": "Secret", "metadata": meta(name, ns: ns), "type": "Opaque",
            "data": .object(data.mapValues { .string(Data($0.utf8).base64EncodedString()) }),
        ]
    }

    /// A synced snapshot of `objects`, filed by kind.
    static func snapshot(_ objects: [JSON], version: Int = 1) -> ClusterSnapshot {
        var byType: [ResourceType: ClusterSnapshot.Objects] = [:]
        for o in objects {
            let type: ResourceType
            switch o["kind"]?.stringValue {
            case "Ingress": type = .ingress
            case "Service": type = .service
            case "EndpointSlice": type = .endpointSlice
            case "Secret": type = .secret
            case "IngressClass": type = .ingressClass
            default: continue
            }
            byType[type, default: [:]][ClusterSnapshot.key(of: o)] = o
        }
        return ClusterSnapshot(objects: byType, synced: Set(IngressServer.requiredResources), version: version)
    }
}

/// An in-memory `ClusterSource`: `publish` replaces the current snapshot and wakes subscribers.
final class FakeClusterSource: ClusterSource {
    private let state: Mutex<(ClusterSnapshot, [AsyncStream<ClusterSnapshot>.Continuation])>

    init(_ initial: ClusterSnapshot) { state = Mutex((initial, [])) }

    var current: ClusterSnapshot { state.withLock { $0.0 } }

    func updates() -> AsyncStream<ClusterSnapshot> {
        let (stream, c) = AsyncStream.makeStream(of: ClusterSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock {
            c.yield($0.0)
            $0.1.append(c)
        }
        return stream
    }

    func publish(_ s: ClusterSnapshot) {
        let cs = state.withLock {
            $0.0 = s
            return $0.1
        }
        for c in cs { c.yield(s) }
    }
}

/// The RFC 9110 example date, used as the fixed clock in byte-exact tests.
let fixedEpoch: Int64 = 784_111_777
let fixedDate = "Sun, 06 Nov 1994 08:49:37 GMT"

func testLogger() -> Logger {
    var l = Logger(label: "ingress-test")
    l.logLevel = ProcessInfo.processInfo.environment["INGRESS_TEST_LOG"] != nil ? .trace : .critical
    return l
}
