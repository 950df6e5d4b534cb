import Foundation
import Testing

/// An echo backend on 127.3.0.1–11:8080 (one thread per address): answers every request with JSON
/// saying which address served it and what it received (method, path, Host, headers).
let echoBackend = """
    import json, signal, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    # The test runner's threads block SIGTERM and a spawned child inherits that mask: unblock it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def reply(self):
            body = json.dumps({"pod": self.server.server_address[0], "method": self.command, "path": self.path,
                               "host": self.headers.get("Host", ""), "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = reply
        def log_message(self, *a): pass
    servers = [ThreadingHTTPServer(("127.3.0.%d" % i, 8080), Echo) for i in range(1, 12)]
    for s in servers[1:]: threading.Thread(target=s.serve_forever, daemon=True).start()
    print("ready", flush=True)
    servers[0].serve_forever()
    """

/// A selectorless Service whose EndpointSlice lists the given echo addresses.
func echoService(_ name: String, addresses: [String]) -> String {
    """
    apiVersion: v1
    kind: Service
    metadata: {name: \(name)}
    spec:
      ports: [{name: http, port: 80, targetPort: 8080}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: \(name)-1
      labels: {kubernetes.io/service-name: \(name)}
    addressType: IPv4
    ports: [{name: http, port: 8080, protocol: TCP}]
    endpoints:
    \(addresses.map { "- addresses: [\"\($0)\"]\n  conditions: {ready: true}" }.joined(separator: "\n"))

    """
}

func ingressRule(_ host: String, _ paths: [(path: String, type: String, service: String)]) -> String {
    """
      - host: "\(host)"
        http:
          paths:
    \(paths.map { "      - {path: \($0.path), pathType: \($0.type), backend: {service: {name: \($0.service), port: {number: 80}}}}" }.joined(separator: "\n"))
    """
}

/// The scenarios of kubernetes-sigs/ingress-controller-conformance, with real curl against an echo
/// backend that reports what it received.
@Suite("ingress conformance", .serialized)
struct IngressConformanceTests {
    final class Setup {
        let ferry: FerryServerProcess
        let backend: Background
        let http = freePort()
        let https = freePort()
        let dir: String

        init() throws {
            ferry = try FerryServerProcess(extraArgs: ["--http-listen", "127.0.0.1:\(http)", "--https-listen", "127.0.0.1:\(https)"])
            dir = ferry.dataDir + "/../conformance"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            backend = try Background(which("python3")!, ["-c", echoBackend])
            guard eventually(timeout: 10, { backend.log.contains("ready") }) else { throw HarnessError("echo backend: \(backend.log)") }
            let services = echoService("echo", addresses: (1...10).map { "127.3.0.\($0)" }) + "---\n"
                + echoService("echo-b", addresses: ["127.3.0.11"])
            let r = try ferry.kubectl(["apply", "-f", "-"], stdin: services)
            guard r.status == 0 else { throw HarnessError("\(r)") }
        }

        deinit {
            backend.stop()
            ferry.stop()
        }

        func apply(_ yaml: String) throws {
            let r = try ferry.kubectl(["apply", "-f", "-"], stdin: yaml)
            guard r.status == 0 else { throw HarnessError("\(r)") }
        }

        /// curl through the ingress with `host` resolved to it; returns (status, echo JSON or nil).
        func get(_ host: String, _ path: String = "/", tls: Bool = false, extra: [String] = []) -> (code: String, echo: [String: Any]?) {
            let port = tls ? https : http
            let url = "\(tls ? "https" : "http")://\(host):\(port)\(path)"
            var args = ["-s", "-m", "3", "--resolve", "\(host):\(port):127.0.0.1", "-w", "\n%{http_code}", url]
            if tls { args = ["--cacert", dir + "/ca.crt"] + args }
            guard let out = try? run("/usr/bin/curl", extra + args, timeout: 10).stdout else { return ("", nil) }
            let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
            let body = lines.dropLast().joined(separator: "\n")
            return (String(lines.last ?? ""), (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any])
        }

        func served(_ host: String, _ path: String = "/") -> String? { get(host, path).echo?["pod"] as? String }
    }

    @Test("default backend: a rule-less Ingress serves every host, method and path; Server, Date, Content-* present")
    func defaultBackend() throws {
        let s = try Setup()
        try s.apply("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: default-backend}
            spec:
              ingressClassName: ferry
              defaultBackend: {service: {name: echo-b, port: {number: 80}}}
            """)
        #expect(eventually { s.served("my-host") == "127.3.0.11" })
        for (method, host, path) in [("GET", "my-host", "/sub-path"), ("POST", "some-host", "/"), ("DELETE", "some-host", "/resource"),
                                      ("PATCH", "my-host", "/resource")] {
            let r = s.get(host, path, extra: ["-X", method])
            #expect(r.code == "200" && r.echo?["method"] as? String == method && r.echo?["path"] as? String == path, "\(method) \(host)\(path): \(r)")
        }
        let headers = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-D", "-", "http://127.0.0.1:\(s.http)/resource", "-X", "PUT"]).stdout.lowercased()
        for h in ["content-length:", "content-type:", "date:", "server:"] { #expect(headers.contains(h), "\(h) missing: \(headers)") }
    }

    @Test("host rules: exact host by Service port name, one-label wildcard, Host kept, unmatched 404; another class is ignored")
    func hostRules() throws {
        let s = try Setup()
        try s.apply("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: hosts}
            spec:
              ingressClassName: ferry
              rules:
              - host: foo.bar.com
                http:
                  paths:
                  - {path: /, pathType: Prefix, backend: {service: {name: echo-b, port: {name: http}}}}
            \(ingressRule("*.foo.com", [("/", "Prefix", "echo")]))
            ---
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: other-class}
            spec:
              ingressClassName: some-invalid-class-name
              rules:
            \(ingressRule("ingress-class", [("/", "Prefix", "echo")]))
            """)
        #expect(eventually { s.served("foo.bar.com") == "127.3.0.11" })
        let echo = s.get("foo.bar.com", "/some/path?q=1").echo
        #expect(echo?["host"] as? String == "foo.bar.com:\(s.http)")
        #expect(echo?["path"] as? String == "/some/path?q=1")
        let headers = echo?["headers"] as? [String: String] ?? [:]
        #expect(headers["x-forwarded-for"] == "127.0.0.1" && headers["x-forwarded-proto"] == "http" && headers["x-request-id"] != nil, "\(headers)")
        let wild = s.get("bar.foo.com").echo
        #expect((wild?["pod"] as? String ?? "11").hasPrefix("127.3.0.") && wild?["pod"] as? String != "127.3.0.11", "\(String(describing: wild))")
        #expect(wild?["host"] as? String == "bar.foo.com:\(s.http)")
        for host in ["subdomain.bar.com", "baz.bar.foo.com", "foo.com", "ingress-class"] {
            #expect(s.get(host).code == "404", "\(host)")
        }
        // The other class's Ingress never gets an address.
        let address = try s.ferry.kubectl(["get", "ingress", "other-class", "-o", "jsonpath={.status.loadBalancer.ingress}"]).stdout
        #expect(address.isEmpty, "\(address)")
        #expect(try s.ferry.kubectl(["get", "ingress", "hosts", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"]).stdout == "127.0.0.1")
    }

    @Test("path rules: Exact, Prefix by path element, longest match first")
    func paths() throws {
        let s = try Setup()
        try s.apply("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: paths}
            spec:
              ingressClassName: ferry
              rules:
            \(ingressRule("path.example.com", [("/foo", "Exact", "echo-b"), ("/foo/", "Prefix", "echo"), ("/aaa/bbb", "Prefix", "echo-b"), ("/aaa", "Prefix", "echo")]))
            """)
        let b = "127.3.0.11"
        #expect(eventually { s.served("path.example.com", "/foo") == b })
        #expect(s.served("path.example.com", "/foo/") != b && s.served("path.example.com", "/foo/") != nil)  // Prefix /foo/
        #expect(s.served("path.example.com", "/foo/x") != b && s.served("path.example.com", "/foo/x") != nil)
        #expect(s.get("path.example.com", "/foobar").code == "404")  // neither Exact /foo nor Prefix /foo/
        #expect(s.served("path.example.com", "/aaa/bbb") == b)
        #expect(s.served("path.example.com", "/aaa/bbb/ccc") == b)
        #expect(s.served("path.example.com", "/aaa/bbbxyz") != b)  // element-wise: falls back to /aaa
        #expect(s.served("path.example.com", "/aaa") != b && s.served("path.example.com", "/aaa") != nil)
    }

    @Test("load balancing over 10 endpoints")
    func loadBalancing() throws {
        let s = try Setup()
        try s.apply("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: lb}
            spec:
              ingressClassName: ferry
              rules:
            \(ingressRule("lb.example.com", [("/", "Prefix", "echo")]))
            """)
        #expect(eventually { s.served("lb.example.com") != nil })
        var counts: [String: Int] = [:]
        for _ in 0..<100 {
            if let pod = s.served("lb.example.com") { counts[pod, default: 0] += 1 }
        }
        #expect(Set(counts.keys) == Set((1...10).map { "127.3.0.\($0)" }), "\(counts)")
        #expect(counts.values.reduce(0, +) == 100)
    }

    @Test("TLS: SNI picks the Secret's certificate (checked with curl --cacert), HTTP/2 by ALPN, HTTP redirected with 308")
    func tls() throws {
        let s = try Setup()
        let openssl = which("openssl")!
        let d = s.dir
        for args in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Conformance CA", "-keyout", d + "/ca.key", "-out", d + "/ca.crt"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=tls.example.com", "-keyout", d + "/tls.key", "-out", d + "/tls.csr"],
        ] {
            #expect(try run(openssl, args).status == 0)
        }
        try "subjectAltName=DNS:tls.example.com\n".write(toFile: d + "/ext.cnf", atomically: true, encoding: .utf8)
        #expect(try run(openssl, ["x509", "-req", "-in", d + "/tls.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key", "-CAcreateserial",
                                  "-days", "2", "-extfile", d + "/ext.cnf", "-out", d + "/tls.crt"]).status == 0)
        var r = try s.ferry.kubectl(["create", "secret", "tls", "tls-example", "--cert", d + "/tls.crt", "--key", d + "/tls.key"])
        #expect(r.status == 0, "\(r)")
        try s.apply("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: tls}
            spec:
              ingressClassName: ferry
              tls: [{hosts: [tls.example.com], secretName: tls-example}]
              rules:
            \(ingressRule("tls.example.com", [("/", "Prefix", "echo")]))
            """)
        // Verified against our CA: only the Secret's certificate passes.
        #expect(eventually { s.get("tls.example.com", tls: true).echo != nil }, "\(s.ferry.serverLog().suffix(2000))")
        let echo = s.get("tls.example.com", tls: true).echo
        #expect((echo?["headers"] as? [String: String])?["x-forwarded-proto"] == "https")
        r = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_version}", "--http2", "--cacert", d + "/ca.crt",
                                      "--resolve", "tls.example.com:\(s.https):127.0.0.1", "https://tls.example.com:\(s.https)/"])
        #expect(r.stdout == "2", "\(r)")
        // Plain HTTP for a TLS host: 308 to https.
        let redirect = s.get("tls.example.com", "/x?y=1", extra: ["-o", "/dev/null", "-D", "-"])
        #expect(redirect.code == "308", "\(redirect)")
        // Unknown names get the generated default certificate, which our CA does not sign.
        r = try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", d + "/ca.crt",
                                      "--resolve", "nope.example.com:\(s.https):127.0.0.1", "https://nope.example.com:\(s.https)/"])
        #expect(r.status == 60, "certificate for an unknown name should not verify: \(r)")  // 60: peer certificate cannot be authenticated
    }

    @Test("churn: 300 Ingresses created, changed and deleted while a keep-alive client requests another host; no request fails")
    func churnUnderLoad() throws {
        let s = try Setup()
        try s.apply("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata: {name: stable}
            spec:
              ingressClassName: ferry
              rules:
            \(ingressRule("stable.example", [("/", "Prefix", "echo-b")]))
            """)
        #expect(eventually { s.served("stable.example") == "127.3.0.11" })
        let stopFile = s.dir + "/stop-load"
        let load = try Background(which("python3")!, ["-c", churnLoad, "\(s.http)", stopFile])
        defer { load.stop(SIGKILL) }
        #expect(eventually(timeout: 10) { load.log.contains("started") })
        func many(_ path: String) -> String {
            (0..<300).map { i in
                """
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: churn-\(i)}
                spec:
                  ingressClassName: ferry
                  rules:
                \(ingressRule("c\(i).example", [(path, "Prefix", "echo")]))
                """
            }.joined(separator: "\n---\n")
        }
        var r = try s.ferry.kubectl(["create", "-f", "-"], stdin: many("/"), timeout: 120)
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        #expect(eventually(timeout: 30) { s.get("c299.example").code == "200" })
        r = try s.ferry.kubectl(["apply", "-f", "-"], stdin: many("/v2"), timeout: 120)
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        #expect(eventually(timeout: 30) { s.get("c299.example", "/v2/x").code == "200" && s.get("c299.example").code == "404" })
        r = try s.ferry.kubectl(["delete", "-f", "-"], stdin: many("/v2"), timeout: 120)
        #expect(r.status == 0, "\(r.stderr.suffix(500))")
        #expect(eventually(timeout: 30) { s.get("c299.example", "/v2/x").code == "404" })
        FileManager.default.createFile(atPath: stopFile, contents: Data())
        #expect(eventually(timeout: 15) { load.log.contains("done") })
        let summary = load.log.split(separator: "\n").first { $0.hasPrefix("done") }.map(String.init) ?? load.log
        let counts = summary.split(separator: " ").dropFirst().compactMap { Int($0.split(separator: "=").last ?? "") }
        #expect(counts.count == 2 && counts[0] > 100 && counts[1] == 0, "\(load.log.suffix(1000))")
    }
}

/// Keep-alive GETs for Host `stable.example` until the stop file appears (at most 300 s); prints
/// `done ok=N failed=M` (a failure: any non-200 or connection error).
let churnLoad = """
    import http.client, os, signal, sys, time
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    port, stop = int(sys.argv[1]), sys.argv[2]
    ok = failed = 0
    conn = None
    t0 = time.time()
    print("started", flush=True)
    while not os.path.exists(stop) and time.time() - t0 < 300:
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/", headers={"Host": "stable.example"})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                ok += 1
            else:
                failed += 1
                print("status", r.status, flush=True)
        except Exception as e:
            failed += 1
            print("error", repr(e), flush=True)
            conn = None
    print(f"done ok={ok} failed={failed}", flush=True)
    """
