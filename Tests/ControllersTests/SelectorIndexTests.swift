import KubeAPI
import TestSupport
import Testing

@testable import Controllers

/// `SelectorIndex` against brute force: after random Pod and Service changes, the candidates it
/// gives contain every selected Pod, and the affected set contains every Service whose selected
/// Pods changed.
@Suite struct SelectorIndexTests {
    typealias RNG = SplitMix64

    static func labels(_ rng: inout RNG) -> [String: JSON] {
        var out: [String: JSON] = [:]
        for k in ["app", "tier", "track"] where Bool.random(using: &rng) {
            out[k] = .string(["a", "b"].randomElement(using: &rng)!)
        }
        return out
    }

    static func selected(_ svc: Service, _ snap: ClusterSnapshot) -> Set<String> {
        guard let sel = svc.selector, !sel.isEmpty else { return [] }
        return Set(snap[.pod].filter { _, j in
            let p = Pod(j)
            return p.metadata.namespace == svc.metadata.namespace && sel.allSatisfy { p.metadata.labels[$0.key] == $0.value }
        }.keys)
    }

    @Test func matchesBruteForce() {
        var rng = RNG(state: 77)
        var snap = ClusterSnapshot(objects: [.service: [:], .pod: [:], .endpointSlice: [:]], synced: [.service, .pod, .endpointSlice])
        snap.lineage = 5
        var index = SelectorIndex()
        var last: ClusterSnapshot? = nil
        var rv = 0
        for step in 0..<600 {
            rv += 1
            let ns = ["n1", "n2"].randomElement(using: &rng)!
            if Int.random(in: 0..<4, using: &rng) == 0 {
                let name = "s\(Int.random(in: 0..<5, using: &rng))"
                let obj: JSON? = Int.random(in: 0..<5, using: &rng) == 0 ? nil : [
                    "metadata": ["name": .string(name), "namespace": .string(ns), "resourceVersion": .string("\(rv)")],
                    "spec": ["selector": .object(Self.labels(&rng))],
                ]
                snap.record(.service, key: "\(ns)/\(name)")
                snap.objects[.service]?["\(ns)/\(name)"] = obj
            } else {
                let name = "p\(Int.random(in: 0..<12, using: &rng))"
                let obj: JSON? = Int.random(in: 0..<5, using: &rng) == 0 ? nil : [
                    "metadata": ["name": .string(name), "namespace": .string(ns), "resourceVersion": .string("\(rv)"), "labels": .object(Self.labels(&rng))],
                ]
                snap.record(.pod, key: "\(ns)/\(name)")
                snap.objects[.pod]?["\(ns)/\(name)"] = obj
            }
            snap.version += 1
            let affected = index.apply(snap, since: last)
            for (k, j) in snap[.service] {
                let svc = Service(j)
                let want = Self.selected(svc, snap)
                let got = Set(index.candidatePods(for: svc).filter { p in svc.selector!.allSatisfy { p.metadata.labels[$0.key] == $0.value } }
                    .map { "\($0.metadata.namespace)/\($0.metadata.name)" })
                #expect(got == want, "step \(step) \(k)")
                if let last, Self.selected(svc, last) != want || last[.service][k] != j {
                    #expect(affected.contains(k), "step \(step): \(k) changed but not affected")
                }
            }
            last = snap
        }
    }
}
