import Foundation
import Testing

@Suite("API details", .serialized)
struct APIExtrasTests {
    @Test("pagination, -o yaml, create ingress (protobuf), delete --all, finalizers, 410 on an old watch")
    func extras() throws {
        let ferry = try FerryServerProcess(extraArgs: ["--watch-history", "3"])
        defer { ferry.stop() }
        for i in 0..<5 {
            let r = try ferry.kubectl(["create", "service", "clusterip", "s\(i)", "--tcp=80:80"])
            #expect(r.status == 0, "\(r)")
        }
        // kubectl follows `continue` tokens with --chunk-size.
        var r = try ferry.kubectl(["get", "svc", "--chunk-size=2", "-o", "name"])
        #expect(r.stdout.split(separator: "\n").count == 6, "\(r)")
        r = try ferry.kubectl(["get", "--raw", "/api/v1/namespaces/default/services?limit=2"])
        let page = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let meta = page?["metadata"] as? [String: Any]
        #expect((page?["items"] as? [Any])?.count == 2)
        #expect((meta?["continue"] as? String)?.isEmpty == false, "\(r)")
        #expect(meta?["remainingItemCount"] as? Int == 4, "\(r)")

        r = try ferry.kubectl(["get", "svc", "s0", "-o", "yaml"])
        #expect(r.stdout.contains("kind: Service") && r.stdout.contains("clusterIP: 10."), "\(r)")

        r = try ferry.kubectl(["create", "ingress", "web", "--class=nginx", "--rule=nginx.example.com/=s0:80"])
        #expect(r.stdout == "ingress.networking.k8s.io/web created\n", "\(r)")
        r = try ferry.kubectl(["get", "ingress"])
        let rows = tableRows(r.stdout)
        #expect(rows.first == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], "\(r)")
        #expect(rows.last.map { Array($0.prefix(3)) } == ["web", "nginx", "nginx.example.com"], "\(r)")

        // A finalizer keeps a deleted object (with deletionTimestamp) until it is removed.
        r = try ferry.kubectl(["patch", "svc", "s1", "--type=merge", "-p", #"{"metadata":{"finalizers":["example.com/hold"]}}"#])
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["delete", "svc", "s1", "--wait=false"])
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["get", "svc", "s1", "-o", "jsonpath={.metadata.deletionTimestamp}"])
        #expect(!r.stdout.isEmpty, "\(r)")
        r = try ferry.kubectl(["patch", "svc", "s1", "--type=merge", "-p", #"{"metadata":{"finalizers":null}}"#])
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["get", "svc", "s1"])
        #expect(r.stderr.contains("NotFound"), "\(r)")

        // A watch from a resourceVersion older than the history window gets a 410 Expired ERROR event.
        r = try ferry.kubectl(["get", "--raw", "/api/v1/namespaces/default/services?watch=true&resourceVersion=1&timeoutSeconds=1"])
        #expect(r.stdout.contains("\"type\":\"ERROR\"") && r.stdout.contains("\"code\":410") && r.stdout.contains("too old resource version"), "\(r)")

        // deletecollection.
        r = try ferry.kubectl(["delete", "svc", "-l", "app=s2"])
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["delete", "svc", "--all"])
        #expect(r.status == 0, "\(r)")
        r = try ferry.kubectl(["get", "svc", "-o", "name"])
        #expect(r.stdout == "service/kubernetes\n" || r.stdout.isEmpty, "\(r)")
    }
}
