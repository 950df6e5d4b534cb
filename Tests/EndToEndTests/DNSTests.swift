import Foundation
import Testing

/// Runs dig against the server's DNS listener; returns the full output.
func dig(_ port: Int, _ args: [String]) throws -> String {
    guard let d = which("dig") else { throw HarnessError("dig is not installed (apt-get install dnsutils)") }
    return try run(d, ["@127.0.0.1", "-p", String(port), "+time=2", "+tries=1"] + args, timeout: 15).stdout
}

/// `dig +short` lines, sorted.
func digShort(_ port: Int, _ args: [String]) throws -> [String] {
    try dig(port, ["+short"] + args).split(separator: "\n").map(String.init).sorted()
}

func digStatus(_ port: Int, _ args: [String]) throws -> String {
    let out = try dig(port, args)
    guard let r = out.range(of: "status: ") else { return "no answer: \(out)" }
    return String(out[r.upperBound...].prefix { $0 != "," })
}

let dnsFixture = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: testns}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: svc1, namespace: testns}
    spec:
      selector: {app: svc1}
      ports: [{name: http, port: 80, protocol: TCP}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: svc6, namespace: testns}
    spec:
      ipFamilies: [IPv6]
      selector: {app: svc6}
      ports: [{name: http, port: 80}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: unnamed, namespace: testns}
    spec:
      selector: {app: unnamed}
      ports: [{port: 81}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: hdls, namespace: testns}
    spec:
      clusterIP: None
      selector: {app: hdls}
      ports: [{name: http, port: 80}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: hdlsempty, namespace: testns}
    spec:
      clusterIP: None
      selector: {app: nothing}
      ports: [{name: http, port: 80}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: ext, namespace: testns}
    spec:
      type: ExternalName
      externalName: www.example.com

    """

func hdlsPod(_ name: String, hostname: String?) -> String {
    """
    apiVersion: v1
    kind: Pod
    metadata: {name: \(name), namespace: testns, labels: {app: hdls}}
    spec:
    \(hostname.map { "  hostname: \($0)\n  subdomain: hdls\n" } ?? "")  containers: [{name: c, image: x, ports: [{name: http, containerPort: 80}]}]

    """
}

@Suite("cluster DNS", .serialized)
struct DNSEndToEndTests {
    @Test("dns-spec §1.2 and §1.3 with dig over UDP and TCP")
    func specRows() throws {
        guard which("dig") != nil else { throw HarnessError("dig is not installed (apt-get install dnsutils)") }
        let upstreamPort = freePort()
        let counter = FileManager.default.temporaryDirectory.appendingPathComponent("up-\(UUID().uuidString.prefix(6))").path
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fake_upstream.py").path
        let upstream = try Background(which("python3")!, [fixtures, String(upstreamPort), counter])
        defer { upstream.stop() }
        let dnsPort = freePort()
        let ferry = try FerryServerProcess(extraArgs: [
            "--service-cidr", "10.96.0.0/12,fd00:10:96::/108", "--dns-listen", "127.0.0.1:\(dnsPort)",
            "--upstream", "127.0.0.1:\(upstreamPort)",
        ])
        defer { ferry.stop() }
        var r = try ferry.kubectl(["apply", "-f", "-"], stdin: dnsFixture)
        #expect(r.status == 0, "\(r)")
        for (name, host, ip, ready) in [("web-0", "web-0", "10.244.0.2", true), ("p3", nil, "10.244.0.3", true), ("p4", nil, "10.244.0.4", false)] as [(String, String?, String, Bool)] {
            r = try ferry.kubectl(["apply", "-f", "-"], stdin: hdlsPod(name, hostname: host))
            #expect(r.status == 0, "\(r)")
            let patch = #"{"status":{"phase":"Running","podIP":"\#(ip)","podIPs":[{"ip":"\#(ip)"}],"conditions":[{"type":"Ready","status":"\#(ready ? "True" : "False")"}]}}"#
            r = try ferry.kubectl(["patch", "pod", name, "-n", "testns", "--subresource=status", "--type=merge", "-p", patch])
            #expect(r.status == 0, "\(r)")
        }
        let svc1 = try ferry.kubectl(["get", "svc", "svc1", "-n", "testns", "-o", "jsonpath={.spec.clusterIP}"]).stdout
        let svc6 = try ferry.kubectl(["get", "svc", "svc6", "-n", "testns", "-o", "jsonpath={.spec.clusterIP}"]).stdout
        #expect(svc6.contains(":"), "IPv6 ClusterIP expected: \(svc6)")
        let z = "cluster.local"
        #expect(try eventually { try digShort(dnsPort, ["hdls.testns.svc.\(z)", "A"]) == ["10.244.0.2", "10.244.0.3"] })

        for proto in [[], ["+tcp"]] {
            func short(_ q: [String]) throws -> [String] { try digShort(dnsPort, proto + q) }
            func status(_ q: [String]) throws -> String { try digStatus(dnsPort, proto + q) }
            #expect(try short(["dns-version.\(z)", "TXT"]) == ["\"1.1.0\""])  // S1
            #expect(try short(["svc1.testns.svc.\(z)", "A"]) == [svc1])  // S2
            #expect(try short(["svc6.testns.svc.\(z)", "AAAA"]) == [svc6])  // S3
            #expect(try short(["_http._tcp.svc1.testns.svc.\(z)", "SRV"]) == ["0 100 80 svc1.testns.svc.\(z)."])  // S4
            #expect(try status(["_http._tcp.unnamed.testns.svc.\(z)", "SRV"]) == "NXDOMAIN")  // S5
            let rev = svc1.split(separator: ".").reversed().joined(separator: ".") + ".in-addr.arpa"
            #expect(try short([rev, "PTR"]) == ["svc1.testns.svc.\(z)."])  // S6
            #expect(try short(["-x", svc6]) == ["svc6.testns.svc.\(z)."])  // S7
            #expect(try short(["hdls.testns.svc.\(z)", "A"]) == ["10.244.0.2", "10.244.0.3"])  // S8
            #expect(try short(["web-0.hdls.testns.svc.\(z)", "A"]) == ["10.244.0.2"])  // S9
            #expect(try status(["hdlsempty.testns.svc.\(z)", "A"]) == "NXDOMAIN")  // S11
            #expect(try short(["_http._tcp.hdls.testns.svc.\(z)", "SRV"]) == [
                "0 50 80 10-244-0-3.hdls.testns.svc.\(z).", "0 50 80 web-0.hdls.testns.svc.\(z).",
            ])  // S12
            #expect(try short(["-x", "10.244.0.2"]) == ["web-0.hdls.testns.svc.\(z)."])  // S13
            #expect(try short(["ext.testns.svc.\(z)", "CNAME"]) == ["www.example.com."])  // S14
            #expect(try short(["ext.testns.svc.\(z)", "A"]) == ["192.0.2.80", "www.example.com."])  // S14 + upstream
            #expect(try short(["SVC1.TestNS.SVC.Cluster.Local", "A"]) == [svc1])  // S15
            // §1.3: NODATA vs NXDOMAIN with SOA.
            let nodata = try dig(dnsPort, proto + ["svc1.testns.svc.\(z)", "AAAA"])
            #expect(nodata.contains("status: NOERROR") && nodata.contains("ANSWER: 0") && nodata.contains("IN\tSOA\tns.dns.\(z). hostmaster.\(z)."), "\(nodata)")
            #expect(try status(["nope.testns.svc.\(z)", "A"]) == "NXDOMAIN")
            #expect(try status(["svc1.nons.svc.\(z)", "A"]) == "NXDOMAIN")
            #expect(try status(["testns.svc.\(z)", "A"]) == "NOERROR")
            #expect(try status(["foo.\(z)", "A"]) == "NXDOMAIN")
            #expect(try status(["nope.hdls.testns.svc.\(z)", "A"]) == "NXDOMAIN")
            #expect(try status(["svc1.testns.svc.\(z).testns.svc.\(z)", "A"]) == "NXDOMAIN")
            #expect(try short(["10-244-0-9.testns.pod.\(z)", "A"]) == ["10.244.0.9"])
            #expect(try status([z, "AXFR"]).contains("REFUSED") || (try dig(dnsPort, proto + [z, "AXFR"])).contains("Transfer failed"))
        }
        // Forwarded answers are cached: a second identical query does not reach the upstream.
        _ = try digShort(dnsPort, ["cached.example.org", "A"])
        let before = (try? String(contentsOfFile: counter, encoding: .utf8)) ?? "0"
        #expect(try digShort(dnsPort, ["cached.example.org", "A"]) == ["192.0.2.80"])
        let after = (try? String(contentsOfFile: counter, encoding: .utf8)) ?? "0"
        #expect(before == after, "upstream saw the second query (\(before) → \(after))")
    }

    @Test("a 150-endpoint headless answer: TC over UDP, complete over TCP")
    func truncation() throws {
        guard which("dig") != nil else { throw HarnessError("dig is not installed (apt-get install dnsutils)") }
        let dnsPort = freePort()
        let ferry = try FerryServerProcess(extraArgs: ["--dns-listen", "127.0.0.1:\(dnsPort)", "--upstream", "127.0.0.1:9"])
        defer { ferry.stop() }
        let svc = """
            apiVersion: v1
            kind: Service
            metadata: {name: big}
            spec:
              clusterIP: None
              ports: [{name: http, port: 80}]

            """
        var r0 = try ferry.kubectl(["apply", "-f", "-"], stdin: svc)
        #expect(r0.status == 0, "\(r0)")
        let eps = (0..<150).map { i in #"{"addresses":["10.250.\#(i / 200).\#(i % 200 + 1)"],"conditions":{"ready":true}}"# }
        let manifest = #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"big-manual","labels":{"kubernetes.io/service-name":"big"}},"addressType":"IPv4","ports":[{"name":"http","port":80,"protocol":"TCP"}],"endpoints":["# + eps.joined(separator: ",") + "]}"
        r0 = try ferry.kubectl(["apply", "-f", "-"], stdin: manifest)
        #expect(r0.status == 0, "\(r0)")
        #expect(try eventually { try digShort(dnsPort, ["+tcp", "big.default.svc.cluster.local", "A"]).count == 150 })
        let udp = try dig(dnsPort, ["+noedns", "+ignore", "big.default.svc.cluster.local", "A"])
        #expect(udp.contains(" tc") || udp.contains("tc;") || udp.contains("flags: qr aa tc"), "\(udp)")
        let edns = try dig(dnsPort, ["+bufsize=1232", "+ignore", "big.default.svc.cluster.local", "A"])
        #expect(edns.contains(" tc"), "\(edns)")
    }
}
