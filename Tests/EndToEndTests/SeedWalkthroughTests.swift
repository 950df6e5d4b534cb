import Foundation
import TestSupport
import Testing

let seedService = """
    apiVersion: v1
    kind: Service
    metadata:
      name: nginx
    spec:
      selector:
        app: nginx
      ports:
      - protocol: TCP
        port: 80
        targetPort: 80
      type: ClusterIP

    """

/// Splits kubectl table output into rows of whitespace-separated cells.
func tableRows(_ s: String) -> [[String]] {
    s.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
}

@Suite("kubectl end to end", .serialized)
struct SeedWalkthroughTests {
    @Test("seed walkthrough: apply, get, unchanged, configured")
    func seedWalkthrough() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/service.yaml"
        try seedService.write(toFile: file, atomically: true, encoding: .utf8)

        var r = try ferry.kubectl(["apply", "-f", file])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "service/nginx created\n", "\(r)")

        r = try ferry.kubectl(["get", "svc"])
        #expect(r.status == 0, "\(r)")
        let rows = tableRows(r.stdout)
        #expect(rows.first == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], "\(r)")
        let k = rows.first { $0.first == "kubernetes" }
        #expect(k.map { Array($0.prefix(5)) } == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"], "\(r)")
        let n = rows.first { $0.first == "nginx" }
        #expect(n?.count == 6, "\(r)")
        #expect(n?[1] == "ClusterIP")
        #expect(n?[2].hasPrefix("10.") == true && n?[2] != "10.96.0.1")
        #expect(n?[3] == "<none>")
        #expect(n?[4] == "80/TCP")

        r = try ferry.kubectl(["apply", "-f", file])
        #expect(r.stdout == "service/nginx unchanged\n", "\(r)")

        try seedService.replacingOccurrences(of: "port: 80\n", with: "port: 8080\n").write(toFile: file, atomically: true, encoding: .utf8)
        r = try ferry.kubectl(["apply", "-f", file])
        #expect(r.stdout == "service/nginx configured\n", "\(r)")
        r = try ferry.kubectl(["get", "svc", "nginx", "-o", "jsonpath={.spec.ports[0].port}/{.spec.ports[0].targetPort}"])
        #expect(r.stdout == "8080/80", "\(r)")

        r = try ferry.kubectl(["delete", "-f", file])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "service \"nginx\" deleted\n", "\(r)")
        r = try ferry.kubectl(["get", "svc", "nginx"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("Error from server (NotFound): services \"nginx\" not found"), "\(r)")
    }

    @Test("invalid input gets kube-apiserver's answers and the server keeps serving")
    func invalidInput() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        let bad = seedService.replacingOccurrences(of: "port: 80\n", with: "port: 70000\n")
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: bad)
        #expect(r.status != 0)
        #expect(r.stderr.contains("The Service \"nginx\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"), "\(r)")

        r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService.replacingOccurrences(of: "name: nginx", with: "name: Bad_Name"))
        #expect(r.status != 0)
        #expect(r.stderr.contains("The Service \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""), "\(r)")

        let dupPorts = seedService.replacingOccurrences(of: "      type: ClusterIP", with: "").replacingOccurrences(
            of: "  - protocol: TCP\n    port: 80\n    targetPort: 80\n",
            with: "  - name: a\n    protocol: TCP\n    port: 80\n  - name: b\n    protocol: TCP\n    port: 80\n")
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: dupPorts)
        #expect(r.status != 0)
        #expect(r.stderr.contains("spec.ports[1]: Duplicate value"), "\(r)")

        r = try ferry.kubectl(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Service\nmetadata: {name: x\n")
        #expect(r.status != 0, "\(r)")

        // Still serving.
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService)
        #expect(r.stdout == "service/nginx created\n", "\(r)")

        // A taken nodePort.
        let np1 = "apiVersion: v1\nkind: Service\nmetadata:\n  name: np1\nspec:\n  type: NodePort\n  selector: {app: x}\n  ports:\n  - port: 80\n    nodePort: 30080\n"
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: np1)
        #expect(r.stdout == "service/np1 created\n", "\(r)")
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: np1.replacingOccurrences(of: "name: np1", with: "name: np2"))
        #expect(r.status != 0)
        #expect(r.stderr.contains("The Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"), "\(r)")

        // Out of range.
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: np1.replacingOccurrences(of: "name: np1", with: "name: np3").replacingOccurrences(of: "30080", with: "80"))
        #expect(r.stderr.contains("spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"), "\(r)")

        // Unknown field with strict validation.
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService.replacingOccurrences(of: "name: nginx", with: "name: strict").replacingOccurrences(of: "  type: ClusterIP", with: "  type: ClusterIP\n  foo: bar"))
        #expect(r.status != 0)
        #expect(r.stderr.contains("strict decoding error: unknown field \"spec.foo\""), "\(r)")
    }

    @Test("NodePort and LoadBalancer services get node ports; get -o wide/name/json; describe")
    func nodePortsAndOutputs() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        var r = try ferry.kubectl(["create", "service", "nodeport", "np", "--tcp=80:8080"])
        #expect(r.stdout == "service/np created\n", "\(r)")
        r = try ferry.kubectl(["create", "service", "loadbalancer", "lb", "--tcp=443:8443"])
        #expect(r.stdout == "service/lb created\n", "\(r)")
        r = try ferry.kubectl(["get", "svc", "np", "-o", "jsonpath={.spec.ports[0].nodePort}"])
        let np = Int(r.stdout) ?? 0
        #expect((30000...32767).contains(np), "\(r)")
        // Without --lb-pool the node IP is published (k3s ServiceLB behaviour).
        #expect(try eventually { tableRows(try ferry.kubectl(["get", "svc", "lb"]).stdout).last?[3] == "127.0.0.1" })
        r = try ferry.kubectl(["get", "svc", "lb"])
        let lb = tableRows(r.stdout).last ?? []
        #expect(lb.count == 6 && lb[1] == "LoadBalancer" && lb[4].hasPrefix("443:"), "\(r)")
        r = try ferry.kubectl(["get", "svc", "-o", "wide"])
        #expect(tableRows(r.stdout).first?.last == "SELECTOR", "\(r)")
        r = try ferry.kubectl(["get", "svc", "-o", "name"])
        #expect(r.stdout.contains("service/np\n") && r.stdout.contains("service/lb\n"), "\(r)")
        r = try ferry.kubectl(["get", "svc", "np", "-o", "json"])
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((obj?["kind"] as? String) == "Service", "\(r)")
        r = try ferry.kubectl(["describe", "svc", "np"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("Type:                     NodePort"), "\(r)")
    }

    @Test("create secret tls, namespace, configmap (protobuf bodies); get many kinds")
    func createGenerators() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let gen = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/k.pem", "-out", dir + "/c.pem", "-days", "1", "-subj", "/CN=nginx.example.com"])
        #expect(gen.status == 0, "\(gen)")
        var r = try ferry.kubectl(["create", "secret", "tls", "mytls", "--cert", dir + "/c.pem", "--key", dir + "/k.pem"])
        #expect(r.stdout == "secret/mytls created\n", "\(r)")
        r = try ferry.kubectl(["create", "namespace", "team-a"])
        #expect(r.stdout == "namespace/team-a created\n", "\(r)")
        r = try ferry.kubectl(["create", "configmap", "cfg", "-n", "team-a", "--from-literal=a=b"])
        #expect(r.stdout == "configmap/cfg created\n", "\(r)")
        r = try ferry.kubectl(["get", "secrets"])
        let s = tableRows(r.stdout)
        #expect(s.first == ["NAME", "TYPE", "DATA", "AGE"], "\(r)")
        #expect(s.last.map { Array($0.prefix(3)) } == ["mytls", "kubernetes.io/tls", "2"], "\(r)")
        r = try ferry.kubectl(["get", "ns"])
        let names = tableRows(r.stdout).map { $0.first ?? "" }
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease", "team-a"] { #expect(names.contains(ns), "\(r)") }
        r = try ferry.kubectl(["get", "ingress,endpointslices,pods,secrets,ns,events", "-A"])
        #expect(r.status == 0, "\(r)")
        // Deleting a namespace removes its content.
        r = try ferry.kubectl(["delete", "namespace", "team-a"])
        #expect(r.stdout == "namespace \"team-a\" deleted\n", "\(r)")
        r = try ferry.kubectl(["get", "configmap", "cfg", "-n", "team-a"])
        #expect(r.status != 0, "\(r)")
        // Creating into a missing namespace.
        r = try ferry.kubectl(["create", "configmap", "x", "-n", "nope", "--from-literal=a=b"])
        #expect(r.stderr.contains("namespaces \"nope\" not found"), "\(r)")
    }

    @Test("patch (strategic, merge, json), label, annotate, server-side apply, wait")
    func patchAndApply() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService)
        #expect(r.stdout == "service/nginx created\n", "\(r)")
        // Strategic merge by port: 80 is kept (and named, since two ports need names), 81 is added.
        r = try ferry.kubectl(["patch", "svc", "nginx", "-p", #"{"spec":{"ports":[{"port":81,"name":"h2","targetPort":81},{"port":80,"name":"http"}]}}"#])
        #expect(r.stdout == "service/nginx patched\n", "\(r)")
        r = try ferry.kubectl(["get", "svc", "nginx", "-o", "jsonpath={.spec.ports[*].port}"])
        #expect(r.stdout.split(separator: " ").sorted() == ["80", "81"], "\(r)")
        r = try ferry.kubectl(["patch", "svc", "nginx", "--type=merge", "-p", #"{"metadata":{"labels":{"x":"y"}}}"#])
        #expect(r.stdout == "service/nginx patched\n", "\(r)")
        r = try ferry.kubectl(["patch", "svc", "nginx", "--type=merge", "-p", #"{"metadata":{"labels":{"x":"y"}}}"#])
        #expect(r.stdout == "service/nginx patched (no change)\n", "\(r)")
        r = try ferry.kubectl(["patch", "svc", "nginx", "--type=json", "-p", #"[{"op":"add","path":"/metadata/labels/z","value":"w"}]"#])
        #expect(r.stdout == "service/nginx patched\n", "\(r)")
        r = try ferry.kubectl(["label", "svc", "nginx", "tier=web"])
        #expect(r.stdout == "service/nginx labeled\n", "\(r)")
        r = try ferry.kubectl(["annotate", "svc", "nginx", "note=hello"])
        #expect(r.stdout == "service/nginx annotated\n", "\(r)")
        r = try ferry.kubectl(["get", "svc", "-l", "tier=web,x=y", "-o", "name"])
        #expect(r.stdout == "service/nginx\n", "\(r)")

        let ssa = seedService.replacingOccurrences(of: "name: nginx", with: "name: web")
        r = try ferry.kubectl(["apply", "--server-side", "-f", "-"], stdin: ssa)
        #expect(r.stdout == "service/web serverside-applied\n", "\(r)")
        r = try ferry.kubectl(["apply", "--server-side", "-f", "-"], stdin: ssa)
        #expect(r.stdout == "service/web serverside-applied\n", "\(r)")
        // Another manager conflicts with the client-side-apply owner of nginx's targetPort.
        r = try ferry.kubectl(["apply", "--server-side", "--field-manager=other", "-f", "-"], stdin: seedService.replacingOccurrences(of: "targetPort: 80", with: "targetPort: 9090"))
        #expect(r.status != 0)
        #expect(r.stderr.contains("conflict with \"kubectl-client-side-apply\""), "\(r)")
        r = try ferry.kubectl(["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-"], stdin: seedService.replacingOccurrences(of: "targetPort: 80", with: "targetPort: 9090"))
        #expect(r.stdout == "service/nginx serverside-applied\n", "\(r)")

        r = try ferry.kubectl(["wait", "--for=jsonpath={.spec.type}=ClusterIP", "svc/nginx", "--timeout=20s"])
        #expect(r.stdout == "service/nginx condition met\n", "\(r)")
    }

    @Test("get -w sees a change made by another client")
    func watchSeesChange() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService)
        #expect(r.status == 0, "\(r)")
        guard let k = which("kubectl") else { throw HarnessError("kubectl missing") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: k)
        p.arguments = ["--cache-dir", ferry.cacheDir, "get", "svc", "-w"]
        p.environment = ProcessInfo.processInfo.environment.merging(["KUBECONFIG": ferry.kubeconfig]) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        defer { if isAlive(p) { p.terminate() }; _ = exitStatus(of: p, within: 15) }
        let collected = LockedData()
        out.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            var all = collected.get()
            all.append(d)
            collected.set(all)
        }
        func waitFor(_ s: String) -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if String(decoding: collected.get(), as: UTF8.self).contains(s) { return true }
                usleep(50_000)
            }
            return false
        }
        #expect(waitFor("nginx"), "initial list not shown")
        r = try ferry.kubectl(["label", "svc", "kubernetes", "seen=yes"])
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["create", "service", "clusterip", "late", "--tcp=81:81"])
        #expect(r.status == 0, "\(r)")
        #expect(waitFor("late"), "watch did not show the new service: \(String(decoding: collected.get(), as: UTF8.self))")
        out.fileHandleForReading.readabilityHandler = nil
    }
}
