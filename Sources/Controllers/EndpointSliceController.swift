import KubeAPI
import Logging

/// Keeps EndpointSlices (and legacy Endpoints) of every selector Service in step with its Pods.
/// Reacts to snapshots from the watch cache; remembers its own writes until the cache catches up,
/// so it never acts twice on stale state.
public final class EndpointSliceController: Sendable {
    let source: any ClusterSource
    let writer: any ClusterWriter
    let logger: Logger
    /// `default/kubernetes` endpoints: the API server's address.
    let apiServer: (ip: String, port: Int)?

    public init(source: any ClusterSource, writer: any ClusterWriter, logger: Logger, apiServer: (ip: String, port: Int)?) {
        self.source = source
        self.writer = writer
        self.logger = logger
        self.apiServer = apiServer
    }

    /// What the controller wrote and the cache may not show yet.
    struct Expectations {
        /// "ns/name" -> slice as written. Set through `setSlice`, which keeps `slicesByService`.
        private(set) var slices: [String: JSON] = [:]
        /// "ns/service" -> keys in `slices` that belong to it, so a sync never scans all of `slices`
        /// (which grows with every Service a batch creates before the cache catches up).
        private(set) var slicesByService: [String: Set<String>] = [:]
        var deletedSlices: Set<String> = []
        var endpoints: [String: JSON] = [:]

        mutating func setSlice(_ key: String, _ obj: JSON?, service: String) {
            if let obj {
                slices[key] = obj
                slicesByService[service, default: []].insert(key)
            } else if slices.removeValue(forKey: key) != nil {
                slicesByService[service]?.remove(key)
                if slicesByService[service]?.isEmpty == true { slicesByService[service] = nil }
            }
        }

        static func service(of slice: JSON) -> String {
            let ns = slice.at("metadata", "namespace")?.stringValue ?? ""
            let svc = slice.at("metadata", "labels", EndpointSliceLogic.serviceNameLabel)?.stringValue ?? ""
            return "\(ns)/\(svc)"
        }

        mutating func prune(_ snap: ClusterSnapshot) {
            for (k, v) in slices {
                let seen = snap[.endpointSlice][k]?.at("metadata", "resourceVersion")?.stringValue
                if !rvLess(seen, v.at("metadata", "resourceVersion")?.stringValue) { setSlice(k, nil, service: Self.service(of: v)) }
            }
            deletedSlices = deletedSlices.filter { snap[.endpointSlice][$0] != nil }
            for (k, v) in endpoints {
                let seen = snap[.endpoints][k]?.at("metadata", "resourceVersion")?.stringValue
                if !rvLess(seen, v.at("metadata", "resourceVersion")?.stringValue) { endpoints[k] = nil }
            }
        }
    }

    public func run() async {
        var last: ClusterSnapshot? = nil
        var expected = Expectations()
        var index = SelectorIndex()
        for await snap in source.updates() {
            guard snap.isSynced([.service, .pod, .endpointSlice, .endpoints]) else { continue }
            expected.prune(snap)
            // The index follows every synced snapshot, so it stays consistent with `last`.
            let affected = index.apply(snap, since: last)
            for key in affected.sorted() {
                if Task.isCancelled { return }  // shutting down: no point failing the rest one by one
                await sync(key, snap, index: index, slices: index.slicesByService[key].map { Array($0).sorted() } ?? [], expected: &expected)
            }
            if last == nil || snap.changedKeys(.endpoints, since: last!).contains("default/kubernetes")
                || snap.changedKeys(.endpointSlice, since: last!).contains("default/kubernetes")
            {
                await syncAPIServerEndpoints(snap, expected: &expected)
            }
            last = snap
        }
    }

    func sync(_ key: String, _ snap: ClusterSnapshot, index: SelectorIndex, slices: [String], expected: inout Expectations) async {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return }
        let (ns, name) = (parts[0], parts[1])
        var existing: [EndpointSlice] = []
        var existingKeys = Set<String>()
        for k in slices where !expected.deletedSlices.contains(k) {
            guard let j = expected.slices[k] ?? snap[.endpointSlice][k] else { continue }
            existing.append(EndpointSlice(j))
            existingKeys.insert(k)
        }
        for k in expected.slicesByService[key] ?? [] where !existingKeys.contains(k) {
            if let j = expected.slices[k] { existing.append(EndpointSlice(j)) }
        }

        guard let svcJSON = snap[.service][key], EndpointSliceLogic.manages(Service(svcJSON)) else {
            // Service gone or not ours to manage: remove our slices and its Endpoints.
            for s in existing { await deleteSlice(ns: ns, name: s.metadata.name, service: key, expected: &expected) }
            if snap[.service][key] == nil, snap[.endpoints][key] != nil || expected.endpoints[key] != nil {
                do {
                    try await writer.delete(.endpoints, namespace: ns, name: name)
                } catch {
                    logger.debug("delete endpoints failed", metadata: ["service": "\(key)", "error": "\(error)"])
                }
                expected.endpoints[key] = nil
            }
            return
        }
        let svc = Service(svcJSON)
        let pods = index.candidatePods(for: svc)
        let desired = EndpointSliceLogic.desiredSlices(svc, pods: pods)
        for action in EndpointSliceLogic.reconcile(svc, desired: desired, existing: existing) {
            do {
                switch action {
                case .create(let obj):
                    let created = try await writer.create(.endpointSlice, namespace: ns, obj)
                    expected.setSlice("\(ns)/\(created.at("metadata", "name")?.stringValue ?? "")", created, service: key)
                case .update(let sliceName, var obj):
                    let current = expected.slices["\(ns)/\(sliceName)"] ?? snap[.endpointSlice]["\(ns)/\(sliceName)"]
                    obj.set(["metadata", "resourceVersion"], current?.at("metadata", "resourceVersion"))
                    let updated = try await writer.update(.endpointSlice, namespace: ns, name: sliceName, subresource: nil, obj)
                    expected.setSlice("\(ns)/\(sliceName)", updated, service: key)
                case .delete(let sliceName):
                    await deleteSlice(ns: ns, name: sliceName, service: key, expected: &expected)
                }
            } catch {
                logger.info("endpointslice write failed; will retry on the next change", metadata: ["service": "\(key)", "error": "\(error)"])
            }
        }
        // Legacy Endpoints.
        var want = EndpointSliceLogic.endpoints(svc, pods: pods)
        let have = expected.endpoints[key] ?? snap[.endpoints][key]
        if let have {
            if have["subsets"] != want["subsets"] || have.at("metadata", "labels") != want.at("metadata", "labels") {
                want.set(["metadata", "resourceVersion"], have.at("metadata", "resourceVersion"))
                if let u = try? await writer.update(.endpoints, namespace: ns, name: name, subresource: nil, want) {
                    expected.endpoints[key] = u
                }
            }
        } else if let c = try? await writer.create(.endpoints, namespace: ns, want) {
            expected.endpoints[key] = c
        }
    }

    func deleteSlice(ns: String, name: String, service: String, expected: inout Expectations) async {
        do {
            try await writer.delete(.endpointSlice, namespace: ns, name: name)
        } catch {
            logger.debug("delete endpointslice failed", metadata: ["slice": "\(ns)/\(name)", "error": "\(error)"])
        }
        expected.setSlice("\(ns)/\(name)", nil, service: service)
        expected.deletedSlices.insert("\(ns)/\(name)")
    }

    /// `default/kubernetes`: Endpoints and an EndpointSlice pointing at the API server.
    func syncAPIServerEndpoints(_ snap: ClusterSnapshot, expected: inout Expectations) async {
        guard let apiServer else { return }
        let fam = apiServer.ip.contains(":") ? "IPv6" : "IPv4"
        var ep: JSON = [
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
            "subsets": [[
                "addresses": [["ip": .string(apiServer.ip)]],
                "ports": [["name": "https", "port": .int(Int64(apiServer.port)), "protocol": "TCP"]],
            ]],
        ]
        let have = snap[.endpoints]["default/kubernetes"]
        if have?["subsets"] != ep["subsets"] {
            ep.set(["metadata", "resourceVersion"], have?.at("metadata", "resourceVersion"))
            _ = try? await (have == nil
                ? writer.create(.endpoints, namespace: "default", ep)
                : writer.update(.endpoints, namespace: "default", name: "kubernetes", subresource: nil, ep))
        }
        var slice = EndpointSlice(
            metadata: ObjectMeta(name: "kubernetes", namespace: "default", labels: ["kubernetes.io/service-name": "kubernetes"]),
            addressType: fam, endpoints: [Endpoint(addresses: [apiServer.ip], ready: true, serving: nil, terminating: nil)],
            ports: [EndpointPort(name: "https", protocol: "TCP", port: apiServer.port)]
        ).json
        let haveSlice = snap[.endpointSlice]["default/kubernetes"]
        if haveSlice?["endpoints"] != slice["endpoints"] || haveSlice?["ports"] != slice["ports"] {
            slice.set(["metadata", "resourceVersion"], haveSlice?.at("metadata", "resourceVersion"))
            _ = try? await (haveSlice == nil
                ? writer.create(.endpointSlice, namespace: "default", slice)
                : writer.update(.endpointSlice, namespace: "default", name: "kubernetes", subresource: nil, slice))
        }
    }
}
