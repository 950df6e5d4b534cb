import Foundation
import Testing

/// The ready endpoint addresses of a Service's slices, sorted ("ip" list), via kubectl.
func sliceAddresses(_ ferry: FerryServerProcess, _ svc: String, readyOnly: Bool = true) throws -> [String] {
    let r = try ferry.kubectl(["get", "endpointslices", "-l", "kubernetes.io/service-name=\(svc)", "-o", "json"])
    guard let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else { return [] }
    var out: [String] = []
    for item in list["items"] as? [[String: Any]] ?? [] {
        for ep in item["endpoints"] as? [[String: Any]] ?? [] {
            let ready = (ep["conditions"] as? [String: Any])?["ready"] as? Bool ?? true
            if readyOnly && !ready { continue }
            out += ep["addresses"] as? [String] ?? []
        }
    }
    return out.sorted()
}

func slicePorts(_ ferry: FerryServerProcess, _ svc: String) throws -> [Int] {
    let r = try ferry.kubectl(["get", "endpointslices", "-l", "kubernetes.io/service-name=\(svc)", "-o", "jsonpath={.items[*].ports[*].port}"])
    return r.stdout.split(separator: " ").compactMap { Int($0) }.sorted()
}

func podManifest(_ name: String, labels: String = "app: web", port: String = "{name: http, containerPort: 8080}", extra: String = "") -> String {
    """
    apiVersion: v1
    kind: Pod
    metadata:
      name: \(name)
      labels: {\(labels)}
    spec:
    \(extra)  containers:
      - name: c
        image: nginx
        ports:
        - \(port)

    """
}

func setPodStatus(_ ferry: FerryServerProcess, _ pod: String, ip: String, ready: Bool) throws {
    let patch = #"{"status":{"phase":"Running","podIP":"\#(ip)","podIPs":[{"ip":"\#(ip)"}],"conditions":[{"type":"Ready","status":"\#(ready ? "True" : "False")"}]}}"#
    let r = try ferry.kubectl(["patch", "pod", pod, "--subresource=status", "--type=merge", "-p", patch])
    #expect(r.status == 0, "\(r)")
}

@Suite("control plane", .serialized)
struct ControlPlaneTests {
    @Test("EndpointSlices follow pods: readiness, deletion, selector and named targetPort changes")
    func endpointSlicesFollowPods() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        let svc = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: http}]

            """
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: svc)
        #expect(r.status == 0, "\(r)")
        for (i, name) in ["p1", "p2", "p3"].enumerated() {
            r = try ferry.kubectl(["apply", "-f", "-"], stdin: podManifest(name))
            #expect(r.status == 0, "\(r)")
            try setPodStatus(ferry, name, ip: "10.244.0.\(i + 1)", ready: i != 2)
        }
        #expect(try eventually { try sliceAddresses(ferry, "web") == ["10.244.0.1", "10.244.0.2"] })
        #expect(try slicePorts(ferry, "web") == [8080])
        // The not-ready pod is listed, but not ready.
        #expect(try sliceAddresses(ferry, "web", readyOnly: false) == ["10.244.0.1", "10.244.0.2", "10.244.0.3"])
        r = try ferry.kubectl(["get", "endpoints", "web", "-o", "jsonpath={.subsets[0].addresses[*].ip}|{.subsets[0].notReadyAddresses[*].ip}"])
        #expect(r.stdout == "10.244.0.1 10.244.0.2|10.244.0.3", "\(r)")

        // Flip readiness.
        try setPodStatus(ferry, "p3", ip: "10.244.0.3", ready: true)
        try setPodStatus(ferry, "p1", ip: "10.244.0.1", ready: false)
        #expect(try eventually { try sliceAddresses(ferry, "web") == ["10.244.0.2", "10.244.0.3"] })
        // Delete a pod.
        r = try ferry.kubectl(["delete", "pod", "p2"])
        #expect(r.status == 0, "\(r)")
        #expect(try eventually { try sliceAddresses(ferry, "web") == ["10.244.0.3"] })
        // Rename the named targetPort: the pods' container port named "web" does not exist → no ports.
        r = try ferry.kubectl(["patch", "svc", "web", "--type=json", "-p", #"[{"op":"replace","path":"/spec/ports/0/targetPort","value":9090}]"#])
        #expect(r.status == 0, "\(r)")
        #expect(try eventually { try slicePorts(ferry, "web") == [9090] })
        // Change the selector to nothing that matches.
        r = try ferry.kubectl(["patch", "svc", "web", "--type=merge", "-p", #"{"spec":{"selector":{"app":"other"}}}"#])
        #expect(r.status == 0, "\(r)")
        #expect(try eventually { try sliceAddresses(ferry, "web", readyOnly: false) == [] })
        r = try ferry.kubectl(["get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "jsonpath={.items[*].metadata.labels.endpointslice\\.kubernetes\\.io/managed-by} {.items[*].metadata.ownerReferences[0].kind}"])
        #expect(r.stdout == "endpointslice-controller.k8s.io Service", "\(r)")
    }

    @Test("publishNotReadyAddresses and headless hostnames")
    func headlessAndNotReady() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        let svc = """
            apiVersion: v1
            kind: Service
            metadata: {name: db}
            spec:
              clusterIP: None
              publishNotReadyAddresses: true
              selector: {app: db}
              ports: [{name: pg, port: 5432}]

            """
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: svc)
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: podManifest("db-0", labels: "app: db", port: "{containerPort: 5432}", extra: "  hostname: db-0\n  subdomain: db\n"))
        #expect(r.status == 0, "\(r)")
        try setPodStatus(ferry, "db-0", ip: "10.244.1.1", ready: false)
        #expect(try eventually { try sliceAddresses(ferry, "db") == ["10.244.1.1"] })
        r = try ferry.kubectl(["get", "endpointslices", "-l", "kubernetes.io/service-name=db", "-o", "jsonpath={.items[0].endpoints[0].hostname}"])
        #expect(r.stdout == "db-0", "\(r)")
    }

    @Test("ferry run: four local pods share a Service; stopping one removes it")
    func ferryRunPods() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService)
        #expect(r.status == 0, "\(r)")
        guard let python = which("python3") else { throw HarnessError("python3 missing") }
        _ = python
        var runs: [Background] = []
        defer { runs.forEach { $0.stop() } }
        for i in 1...4 {
            runs.append(try Background(
                try ferryBinary(),
                ["run", "web-\(i)", "--labels", "app=nginx", "--port", "http:80", "--kubeconfig", ferry.kubeconfig, "--",
                 "sh", "-c", "exec python3 -m http.server $PORT --bind $POD_IP"]))
        }
        #expect(try eventually(timeout: 30) { try sliceAddresses(ferry, "nginx").count == 4 }, "\(runs.map(\.log))")
        let ips = try sliceAddresses(ferry, "nginx")
        for ip in ips {
            let c = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(ip):80/"])
            #expect(c.stdout == "200", "\(ip): \(c)")
        }
        runs[0].stop(SIGINT)
        #expect(try eventually { try sliceAddresses(ferry, "nginx").count == 3 })
        r = try ferry.kubectl(["get", "pod", "web-1"])
        #expect(r.status != 0, "pod should be deleted: \(r)")
    }

    @Test("LoadBalancer IPs from --lb-pool: assigned, <pending> with a Warning when exhausted, freed on delete")
    func loadBalancerPool() throws {
        let ferry = try FerryServerProcess(extraArgs: ["--lb-pool", "127.2.0.0/30"])
        defer { ferry.stop() }
        for n in ["lb1", "lb2", "lb3"] {
            let r = try ferry.kubectl(["create", "service", "loadbalancer", n, "--tcp=80:80"])
            #expect(r.status == 0, "\(r)")
            usleep(100_000)
        }
        func external(_ n: String) throws -> String {
            try ferry.kubectl(["get", "svc", n, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]).stdout
        }
        #expect(try eventually { try external("lb1") == "127.2.0.1" && external("lb2") == "127.2.0.2" })
        var r = try ferry.kubectl(["get", "svc", "lb3"])
        #expect(tableRows(r.stdout).last?[3] == "<pending>", "\(r)")
        #expect(try eventually { try ferry.kubectl(["get", "events", "--field-selector", "involvedObject.name=lb3,type=Warning"]).stdout.contains("AllocationFailed") })
        r = try ferry.kubectl(["delete", "svc", "lb1"])
        #expect(r.status == 0, "\(r)")
        #expect(try eventually { try external("lb3") == "127.2.0.1" })
        r = try ferry.kubectl(["get", "svc", "lb3"])
        #expect(tableRows(r.stdout).last?[3] == "127.2.0.1", "\(r)")
    }

    @Test("agent: list/watch a remote ferry server, keep state while it is down, relist after 410 Gone")
    func agentMode() throws {
        let ferry = try FerryServerProcess(extraArgs: ["--watch-history", "5"])
        var r = try ferry.kubectl(["create", "service", "clusterip", "before", "--tcp=80:80"])
        #expect(r.status == 0, "\(r)")
        // The agent gets its own copy of the kubeconfig (the server rewrites its file on restart).
        let kc = FileManager.default.temporaryDirectory.appendingPathComponent("agent-\(UUID().uuidString.prefix(6)).yaml").path
        try FileManager.default.copyItem(atPath: ferry.kubeconfig, toPath: kc)
        let metrics = freePort()
        let agent = try Background(try ferryBinary(), ["agent", "--kubeconfig", kc, "--metrics-listen", "127.0.0.1:\(metrics)", "--dns-listen", "off", "--proxy-mode", "off", "--http-listen", "off", "--https-listen", "off"])
        defer { agent.stop() }
        func cache() -> [String: Any] {
            guard let c = try? run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(metrics)/debug/cache"]),
                let j = try? JSONSerialization.jsonObject(with: Data(c.stdout.utf8)) as? [String: Any] else { return [:] }
            return j
        }
        func services() -> [String] {
            let res = cache()["resources"] as? [String: Any]
            let svc = res?["services"] as? [String: Any]
            return ((svc?["items"] as? [String: Any])?.keys.map { $0 } ?? []).sorted()
        }
        #expect(eventually { services().contains("default/before") }, "\(agent.log)")
        r = try ferry.kubectl(["create", "service", "clusterip", "watched", "--tcp=80:80"])
        #expect(eventually { services().contains("default/watched") }, "\(agent.log)")

        // API down: the agent keeps its state.
        ferry.stop()
        #expect(eventually(timeout: 5) { (cache()["connected"] as? [String])?.isEmpty == true })
        #expect(services().contains("default/watched"))

        // Changes made while the agent cannot see them (server on another port, tiny history),
        // then the server comes back on its address: the agent's resourceVersion is too old → 410 → relist.
        let side = try FerryServerProcess(dataDir: ferry.dataDir, extraArgs: ["--watch-history", "5"])
        for i in 0..<8 {
            let c = try side.kubectl(["create", "service", "clusterip", "offline-\(i)", "--tcp=80:80"])
            #expect(c.status == 0, "\(c)")
        }
        r = try side.kubectl(["delete", "svc", "before"])
        side.stop()
        let back = try FerryServerProcess(dataDir: ferry.dataDir, apiPort: ferry.apiPort, extraArgs: ["--watch-history", "5"])
        defer { back.stop() }
        #expect(eventually(timeout: 30) { services().contains("default/offline-7") && !services().contains("default/before") }, "\(agent.log)")
        #expect((cache()["relists"] as? Int ?? 0) >= 1, "\(cache())")
    }
}
