import Logging
import KubeAPI
import Synchronization
import Testing

@testable import Controllers

/// A source that delivers every snapshot it is given, in order, then ends.
struct ListSource: ClusterSource {
    let snapshots: [ClusterSnapshot]
    var current: ClusterSnapshot { snapshots.last ?? ClusterSnapshot() }
    func updates() -> AsyncStream<ClusterSnapshot> {
        AsyncStream(bufferingPolicy: .unbounded) { c in
            for s in snapshots { c.yield(s) }
            c.finish()
        }
    }
}

/// Records writes and answers them as an API server would (with a resourceVersion).
final class RecordingWriter: ClusterWriter {
    let writes = Mutex<[String]>([])
    func create(_ r: ResourceType, namespace: String?, _ obj: JSON) async throws -> JSON {
        writes.withLock { $0.append("create \(r.kind)") }
        var o = obj
        o.set(["metadata", "resourceVersion"], "1")
        return o
    }
    func update(_ r: ResourceType, namespace: String?, name: String, subresource: String?, _ obj: JSON) async throws -> JSON {
        writes.withLock { $0.append("update \(r.kind) \(namespace ?? "")/\(name) \(subresource ?? "")") }
        return obj
    }
    func delete(_ r: ResourceType, namespace: String?, name: String) async throws {
        writes.withLock { $0.append("delete \(r.kind) \(namespace ?? "")/\(name)") }
    }
}

/// Consumers must measure each snapshot from the one before it, even when nothing they read
/// changed in between: measuring from the last *relevant* snapshot outgrows the change log after
/// 4096 unrelated changes and turns every later snapshot into a full comparison of all objects
/// (this made the EndpointSlice controller fall to ~25 Services/s behind a burst).
@Suite struct SnapshotPathTests {
    /// A synced start, then `unrelated` EndpointSlice-only changes, then one change of `last`'s kind.
    static func history(unrelated: Int, last: (ResourceType, String, JSON)) -> [ClusterSnapshot] {
        var s = ClusterSnapshot(synced: [.service, .endpointSlice, .ingress, .ingressClass, .pod, .endpoints])
        s.lineage = 7
        let svc: JSON = ["metadata": ["name": "web", "namespace": "default", "resourceVersion": "1"], "spec": ["type": "ClusterIP"]]
        s.record(.service, key: "default/web")
        s.objects[.service, default: [:]]["default/web"] = svc
        s.version += 1
        var out = [s]
        for i in 0..<unrelated {
            let key = "default/slice-\(i % 20)"
            s.record(.endpointSlice, key: key)
            s.objects[.endpointSlice, default: [:]][key] = ["metadata": ["name": .string("slice-\(i % 20)"), "namespace": "default", "resourceVersion": .string("\(i + 2)")]]
            s.version += 1
            out.append(s)
        }
        s.record(last.0, key: last.1)
        s.objects[last.0, default: [:]][last.1] = last.2
        s.version += 1
        out.append(s)
        return out
    }

    @Test func loadBalancerControllerStaysOnTheChangeLog() async {
        let lb: JSON = [
            "metadata": ["name": "lb", "namespace": "default", "uid": "u1", "resourceVersion": "9000"],
            "spec": ["type": "LoadBalancer", "ports": [["port": 80]]],
        ]
        let snaps = Self.history(unrelated: 5000, last: (.service, "default/lb", lb))
        let writer = RecordingWriter()
        let controller = LoadBalancerController(
            source: ListSource(snapshots: snaps), writer: writer, logger: .init(label: "test"),
            pool: nil, nodeIPs: ["127.0.0.1"])
        let counter = FullComparisonCounter()
        await ClusterSnapshot.$fullComparisons.withValue(counter) { await controller.run() }
        #expect(counter.count == 0)
        // And it still acted on the change at the end.
        #expect(writer.writes.withLock { $0 }.contains { $0.hasPrefix("update Service default/lb status") })
    }

    @Test func ingressStatusControllerStaysOnTheChangeLog() async {
        let ing: JSON = [
            "metadata": ["name": "web", "namespace": "default", "resourceVersion": "9000"],
            "spec": ["ingressClassName": "ferry", "rules": [["host": "a.example"]]],
        ]
        let snaps = Self.history(unrelated: 5000, last: (.ingress, "default/web", ing))
        let writer = RecordingWriter()
        let controller = IngressStatusController(
            source: ListSource(snapshots: snaps), writer: writer, logger: .init(label: "test"), classes: ["ferry"],
            addresses: ["127.0.0.1"])
        let counter = FullComparisonCounter()
        await ClusterSnapshot.$fullComparisons.withValue(counter) { await controller.run() }
        #expect(counter.count == 0)
        #expect(writer.writes.withLock { $0 } == ["update Ingress default/web status"])
    }
}
