import Foundation
import TestSupport
import Testing

@Suite("server lifecycle", .serialized)
struct ServerLifecycleTests {
    @Test("a port in use is a one-line error and exit 1")
    func portInUse() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-pin-\(UUID().uuidString.prefix(6))").path
        let r = try run(try ferryBinary(), ["server", "--data-dir", dir, "--api-listen", "127.0.0.1:\(ferry.apiPort)", "--metrics-listen", "127.0.0.1:\(freePort())"], timeout: 30)
        #expect(r.status == 1, "\(r)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r)")
        #expect(r.stderr.contains("address already in use"), "\(r)")
    }

    @Test("a malformed --publish-service is a one-line error and exit 1")
    func badPublishService() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-ps-\(UUID().uuidString.prefix(6))").path
        let r = try run(try ferryBinary(), ["server", "--data-dir", dir, "--api-listen", "127.0.0.1:\(freePort())",
                                            "--metrics-listen", "127.0.0.1:\(freePort())", "--publish-service", "ferry-ingress"], timeout: 30)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr == "ferry: invalid --publish-service ferry-ingress: expected NAMESPACE/NAME, or off\n", "\(r)")
    }

    @Test("an unwritable data dir is a one-line error and exit 1")
    func unwritableDataDir() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-ro-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        // A regular file where the data dir should be cannot be written into, even by root.
        let path = base + "/file"
        FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        let r = try run(try ferryBinary(), ["server", "--data-dir", path + "/data", "--api-listen", "127.0.0.1:\(freePort())", "--metrics-listen", "127.0.0.1:\(freePort())"], timeout: 30)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r)")
        #expect(r.stderr.hasPrefix("ferry: cannot create data dir"), "\(r)")
    }

    @Test("requests without a valid token get 401; health and version; metrics")
    func authAndMetrics() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        var r = try run("/usr/bin/curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:\(ferry.apiPort)/api/v1/services"])
        #expect(r.stdout == "401", "\(r)")
        r = try run("/usr/bin/curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer wrong", "https://127.0.0.1:\(ferry.apiPort)/api/v1/services"])
        #expect(r.stdout == "401", "\(r)")
        r = try ferry.kubectl(["version", "-o", "json"])
        #expect(r.stdout.contains("\"minor\": \"32\""), "\(r)")
        r = try ferry.kubectl(["get", "--raw", "/readyz"])
        #expect(r.stdout == "ok", "\(r)")
        r = try ferry.kubectl(["get", "svc"])
        #expect(r.status == 0)
        r = try run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(ferry.metricsPort)/metrics"])
        #expect(r.stdout.contains("apiserver_request_total{"), "\(r)")
        #expect(r.stdout.contains("apiserver_request_duration_seconds_bucket{"), "\(r)")
    }

    @Test("data-plane health and readiness on the metrics listener; an agent without its API is not ready")
    func readiness() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        func get(_ port: Int, _ path: String) throws -> (code: String, body: String) {
            let r = try run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n").trimmingCharacters(in: .newlines))
        }
        #expect(eventually { (try? get(ferry.metricsPort, "/readyz"))?.code == "200" })
        #expect(try get(ferry.metricsPort, "/readyz").body == "ok")
        #expect(try get(ferry.metricsPort, "/ready").body == "OK")  // CoreDNS ready plugin
        #expect(try get(ferry.metricsPort, "/health").body == "OK")  // CoreDNS health plugin
        #expect(try get(ferry.metricsPort, "/healthz").code == "200")
        let verbose = try get(ferry.metricsPort, "/readyz?verbose")
        #expect(verbose.body.contains("[+]informer-sync ok") && verbose.body.contains("[+]dns ok"), "\(verbose)")

        // An agent whose API server is not there: alive, not ready, and it says why.
        let deadPort = freePort()
        let kc = FileManager.default.temporaryDirectory.appendingPathComponent("dead-\(UUID().uuidString.prefix(6)).yaml").path
        let text = try String(contentsOfFile: ferry.kubeconfig, encoding: .utf8).replacingOccurrences(of: ":\(ferry.apiPort)", with: ":\(deadPort)")
        try text.write(toFile: kc, atomically: true, encoding: .utf8)
        let metrics = freePort()
        let dnsPort = freePort()
        let agent = try Background(try ferryBinary(), [
            "agent", "--kubeconfig", kc, "--metrics-listen", "127.0.0.1:\(metrics)", "--dns-listen", "127.0.0.1:\(dnsPort)",
            "--upstream", "127.0.0.1:9", "--proxy-mode", "off", "--http-listen", "off", "--https-listen", "off",
        ])
        defer { agent.stop() }
        #expect(eventually { (try? get(metrics, "/healthz"))?.code == "200" }, "\(agent.log)")
        let notReady = try get(metrics, "/readyz")
        #expect(notReady.code == "503", "\(notReady)")
        #expect(notReady.body.contains("[-]informer-sync failed: not synced: namespaces,services"), "\(notReady)")
        #expect(notReady.body.contains("[-]dns failed: cluster zone not synced"), "\(notReady)")
        #expect(notReady.body.hasSuffix("readyz check failed"), "\(notReady)")
        #expect(try get(metrics, "/ready").code == "503")
        // dns-spec §1.3: before the first sync, cluster names that would be NXDOMAIN get SERVFAIL, so
        // no client caches a negative answer during startup.
        if which("dig") != nil {
            for proto in [[], ["+tcp"]] {
                #expect(try digStatus(dnsPort, proto + ["svc1.default.svc.cluster.local", "A"]) == "SERVFAIL")
                #expect(try digStatus(dnsPort, proto + ["nope.default.svc.cluster.local", "A"]) == "SERVFAIL")
            }
        }
    }

    @Test("kubectl edit applies the editor's change")
    func edit() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService)
        #expect(r.status == 0, "\(r)")
        let editor = FileManager.default.temporaryDirectory.appendingPathComponent("ed-\(UUID().uuidString.prefix(6)).sh").path
        try "#!/bin/sh\nsed -i 's/targetPort: 80$/targetPort: 8181/' \"$1\"\n".write(toFile: editor, atomically: true, encoding: .utf8)
        chmod(editor, 0o755)
        guard let k = which("kubectl") else { throw HarnessError("kubectl missing") }
        r = try run(k, ["--cache-dir", ferry.cacheDir, "edit", "svc", "nginx"], env: ["KUBECONFIG": ferry.kubeconfig, "KUBE_EDITOR": editor, "EDITOR": editor])
        #expect(r.stdout == "service/nginx edited\n", "\(r)")
        r = try ferry.kubectl(["get", "svc", "nginx", "-o", "jsonpath={.spec.ports[0].targetPort}"])
        #expect(r.stdout == "8181", "\(r)")
    }

    @Test("kill -9 while clients write: every acknowledged write survives, no IP or port twice")
    func killNineDurability() throws {
        let ferry = try FerryServerProcess()
        let token = try String(contentsOfFile: ferry.dataDir + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let base = "https://127.0.0.1:\(ferry.apiPort)"
        // Writers: each creates NodePort services in a loop with curl and records acknowledged ones.
        let acked = LockedData()
        let stop = LockedData()
        let group = DispatchGroup()
        for w in 0..<4 {
            group.enter()
            onThread {
                defer { group.leave() }
                for i in 0..<500 {
                    if !stop.get().isEmpty { return }
                    let name = "w\(w)-\(i)"
                    let body = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)"},"spec":{"type":"NodePort","selector":{"app":"x"},"ports":[{"port":80}]}}"#
                    guard let r = try? run("/usr/bin/curl", ["-sk", "-m", "5", "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-X", "POST", "-d", body, "\(base)/api/v1/namespaces/default/services", "-w", "\n%{http_code}"], timeout: 10) else { continue }
                    let lines = r.stdout.split(separator: "\n")
                    if lines.last == "201", let objLine = lines.dropLast().last {
                        var all = acked.get()
                        all.append(Data((String(objLine) + "\n").utf8))
                        acked.set(all)
                    }
                }
            }
        }
        // Let some writes land, then kill -9 mid-stream.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && String(decoding: acked.get(), as: UTF8.self).split(separator: "\n").count < 40 { usleep(20_000) }
        kill(ferry.process.processIdentifier, SIGKILL)
        _ = exitStatus(of: ferry.process, within: 15)
        stop.set(Data("x".utf8))
        group.wait()

        let ackedObjects = String(decoding: acked.get(), as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(ackedObjects.count >= 40)

        let again = try FerryServerProcess(dataDir: ferry.dataDir)
        defer { again.stop() }
        let r = try again.kubectl(["get", "svc", "-o", "json"])
        let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let items = (list?["items"] as? [[String: Any]]) ?? []
        var byName: [String: [String: Any]] = [:]
        for i in items { if let m = i["metadata"] as? [String: Any], let n = m["name"] as? String { byName[n] = m } }
        for a in ackedObjects {
            let m = a["metadata"] as! [String: Any]
            let name = m["name"] as! String
            let stored = byName[name]
            #expect(stored != nil, "acknowledged \(name) lost")
            #expect(stored?["uid"] as? String == m["uid"] as? String)
            #expect(stored?["resourceVersion"] as? String == m["resourceVersion"] as? String)
        }
        var ips = Set<String>(), ports = Set<Int>()
        for i in items {
            let spec = i["spec"] as? [String: Any] ?? [:]
            if let ip = spec["clusterIP"] as? String {
                #expect(!ips.contains(ip), "ClusterIP \(ip) handed out twice")
                ips.insert(ip)
            }
            for p in spec["ports"] as? [[String: Any]] ?? [] {
                if let np = p["nodePort"] as? Int {
                    #expect(!ports.contains(np), "nodePort \(np) handed out twice")
                    ports.insert(np)
                }
            }
        }
        // New allocations after restart do not collide either.
        let c = try again.kubectl(["create", "service", "nodeport", "after-restart", "--tcp=80:80"])
        #expect(c.status == 0, "\(c)")
        let g = try again.kubectl(["get", "svc", "after-restart", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}"])
        let parts = g.stdout.split(separator: " ")
        #expect(parts.count == 2 && !ips.contains(String(parts[0])) && !ports.contains(Int(parts[1]) ?? 0), "\(g)")
    }
}
