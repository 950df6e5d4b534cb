import Foundation
import Testing

let seedIngress = """
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: nginx
    spec:
      ingressClassName: nginx
      rules:
      - host: nginx.example.com
        http:
          paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: nginx
                port:
                  number: 80

    """

@Suite("ingress", .serialized)
struct IngressEndToEndTests {
    @Test("an Ingress that cannot be served gets a Warning Event (kubectl describe) and a log line, once")
    func warningEvents() throws {
        let ferry = try FerryServerProcess()
        defer { ferry.stop() }
        let bad = """
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: broken
              annotations: {nginx.ingress.kubernetes.io/server-snippet: "return 200;"}
            spec:
              ingressClassName: ferry
              tls: [{hosts: [broken.example.com], secretName: no-such-secret}]
              rules:
              - host: broken.example.com
                http:
                  paths:
                  - {path: /, pathType: Prefix, backend: {service: {name: no-such-service, port: {number: 80}}}}
            """
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: bad)
        #expect(r.status == 0, "\(r)")
        var describe = ""
        #expect(eventually {
            describe = (try? ferry.kubectl(["describe", "ingress", "broken"]).stdout) ?? ""
            return describe.contains("Warning") && describe.contains("UnknownService")
        }, "\(describe)\n\(ferry.serverLog().suffix(2000))")
        r = try ferry.kubectl(["get", "events", "--field-selector", "type=Warning", "-o", "jsonpath={.items[*].reason}"])
        #expect(r.stdout.contains("UnknownService"), "\(r)")
        #expect(ferry.serverLog().contains("ingress not fully served"))
        // Reported once, not on every rebuild.
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedIngress)
        #expect(r.status == 0, "\(r)")
        _ = eventually(timeout: 2) { false }
        r = try ferry.kubectl(["get", "events", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"])
        #expect(r.stdout.components(separatedBy: "no-such-service").count - 1 == 1, "\(r)")  // once, though the table was rebuilt
    }

    @Test("ADDRESS: the node IP, then the LoadBalancer IP of kube-system/ferry-ingress once it has one")
    func publishedAddress() throws {
        let ferry = try FerryServerProcess(extraArgs: ["--lb-pool", "127.2.0.0/24"])
        defer { ferry.stop() }
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedIngress)
        #expect(r.status == 0, "\(r)")
        func address() -> String {
            (try? ferry.kubectl(["get", "ingress", "nginx", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"]).stdout) ?? ""
        }
        #expect(eventually { address() == "127.0.0.1" }, "ADDRESS \(address())")
        let publish = """
            apiVersion: v1
            kind: Service
            metadata: {name: ferry-ingress, namespace: kube-system}
            spec:
              type: LoadBalancer
              ports: [{name: http, port: 80}, {name: https, port: 443}]
            """
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: publish)
        #expect(r.status == 0, "\(r)")
        #expect(eventually { address().hasPrefix("127.2.0.") }, "ADDRESS \(address())")
        r = try ferry.kubectl(["get", "ingress", "nginx"])
        #expect(r.stdout.contains("127.2.0."), "\(r)")
        // Without the Service, back to the node address.
        r = try ferry.kubectl(["delete", "svc", "-n", "kube-system", "ferry-ingress"])
        #expect(r.status == 0, "\(r)")
        #expect(eventually { address() == "127.0.0.1" }, "ADDRESS \(address())")
    }

    @Test("the seed's Ingress: curl -H 'Host: nginx.example.com' reaches ferry-run Pods; unknown hosts get 404")
    func seedIngressRoutes() throws {
        let http = freePort()
        let ferry = try FerryServerProcess(extraArgs: ["--http-listen", "127.0.0.1:\(http)", "--https-listen", "127.0.0.1:\(freePort())"])
        defer { ferry.stop() }
        var r = try ferry.kubectl(["get", "ingressclass", "ferry", "-o", "jsonpath={.spec.controller}"])
        #expect(r.stdout == "ferry.dev/ingress", "\(r)")
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedService)
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["apply", "-f", "-"], stdin: seedIngress)
        #expect(r.stdout == "ingress.networking.k8s.io/nginx created\n", "\(r)")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ing-\(UUID().uuidString.prefix(6))").path
        var pods: [Background] = []
        defer { pods.forEach { $0.stop() } }
        for i in 1...2 {
            let dir = base + "/www-\(i)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try "web-\(i)\n".write(toFile: dir + "/id", atomically: true, encoding: .utf8)
            pods.append(try Background(try ferryBinary(), ["run", "web-\(i)", "--labels", "app=nginx", "--port", "http:80",
                                                          "--kubeconfig", ferry.kubeconfig, "--", "sh", "-c", "cd \(dir) && exec python3 -m http.server $PORT --bind $POD_IP"]))
        }
        var seen = Set<String>()
        _ = eventually(timeout: 30) {
            if let out = try? run("/usr/bin/curl", ["-s", "-m", "2", "-H", "Host: nginx.example.com", "http://127.0.0.1:\(http)/id"]).stdout {
                seen.insert(out.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return seen.isSuperset(of: ["web-1", "web-2"])
        }
        #expect(seen.isSuperset(of: ["web-1", "web-2"]), "responses: \(seen)\n\(ferry.serverLog().suffix(2000))")
        r = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: other.example.com", "http://127.0.0.1:\(http)/"])
        #expect(r.stdout == "404", "\(r)")
        // kubectl get ingress shows the address Ferry publishes (the node address, here the API host).
        #expect(try eventually { tableRows(try ferry.kubectl(["get", "ingress", "nginx"]).stdout).last?[3] == "127.0.0.1" })
    }
}
