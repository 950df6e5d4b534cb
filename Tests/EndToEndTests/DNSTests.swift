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

/// The answer (or `+authority`, `+additional`) section as whitespace-split fields per record.
func digRecords(_ port: Int, _ args: [String], section: String = "+answer") throws -> [[String]] {
    try dig(port, ["+noall", section] + args).split(separator: "\n").filter { !$0.hasPrefix(";") }
        .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
}

/// dns-spec §1.3's negative-answer SOA: owner = zone, `ns.dns.<zone>. hostmaster.<zone>.`, a numeric
/// serial, 7200 1800 86400, minimum = the zone TTL, RR TTL = min(ttl, 300).
func isNegativeSOA(_ rr: [String], zone: String, ttl: Int) -> Bool {
    rr.count == 11 && rr[0].lowercased() == zone + "." && rr[1] == String(min(ttl, 300)) && rr[3] == "SOA"
        && rr[4] == "ns.dns.\(zone)." && rr[5] == "hostmaster.\(zone)." && UInt32(rr[6]) != nil
        && Array(rr[7...]) == ["7200", "1800", "86400", String(ttl)]
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
      ports: [{name: http, port: 80}, {name: metrics, port: 9090}]
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: hdls6, namespace: testns}
    spec:
      clusterIP: None
      ipFamilies: [IPv6]
      ports: [{name: http, port: 80}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: hdls6-1, namespace: testns, labels: {kubernetes.io/service-name: hdls6}}
    addressType: IPv6
    ports: [{name: http, port: 80, protocol: TCP}]
    endpoints:
    - {addresses: ["fd00:244::2"], hostname: web6-0, conditions: {ready: true}}
    - {addresses: ["fd00:244::3"], conditions: {ready: true}}
    - {addresses: ["fd00:244::4"], conditions: {ready: false}}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: multi, namespace: testns}
    spec:
      clusterIP: None
      ports: [{name: db, port: 5432}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: multi-1, namespace: testns, labels: {kubernetes.io/service-name: multi}}
    addressType: IPv4
    ports: [{name: db, port: 5432, protocol: TCP}]
    endpoints:
    - {addresses: ["10.244.1.2"], hostname: db, conditions: {ready: true}}
    - {addresses: ["10.244.1.3"], hostname: db, conditions: {ready: true}}
    ---
    apiVersion: v1
    kind: Service
    metadata: {name: withep, namespace: testns}
    spec:
      ports: [{name: http, port: 80}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: withep-1, namespace: testns, labels: {kubernetes.io/service-name: withep}}
    addressType: IPv4
    ports: [{name: http, port: 80, protocol: TCP}]
    endpoints:
    - {addresses: ["10.244.2.5"], conditions: {ready: true}}
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
            func records(_ q: [String]) throws -> [[String]] { try digRecords(dnsPort, proto + q) }
            /// A negative answer: `status`, no answer records, AA, and the zone's SOA in authority.
            func expectNegative(_ q: [String], status: String) throws {
                let out = try dig(dnsPort, proto + q)
                #expect(out.contains("status: \(status)") && out.contains("ANSWER: 0,") && out.contains("flags: qr aa"), "\(q): \(out)")
                let soa = try digRecords(dnsPort, proto + q, section: "+authority")
                #expect(soa.count == 1 && isNegativeSOA(soa[0], zone: z, ttl: 30), "\(q): \(soa)")
            }
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
            #expect((try dig(dnsPort, proto + [z, "AXFR"])).contains("Transfer failed"))

            // The rest of §1.2: S10 (headless AAAA, ready endpoints only, and by hostname), S9 with a
            // hostname on several endpoints, S12 with a second named port, S13 for an IPv6 endpoint.
            #expect(try short(["hdls6.testns.svc.\(z)", "AAAA"]) == ["fd00:244::2", "fd00:244::3"])  // S10
            #expect(try short(["web6-0.hdls6.testns.svc.\(z)", "AAAA"]) == ["fd00:244::2"])  // S10
            #expect(try short(["db.multi.testns.svc.\(z)", "A"]) == ["10.244.1.2", "10.244.1.3"])  // S9
            #expect(try short(["_metrics._tcp.hdls.testns.svc.\(z)", "SRV"]) == [
                "0 50 9090 10-244-0-3.hdls.testns.svc.\(z).", "0 50 9090 web-0.hdls.testns.svc.\(z).",
            ])  // S12
            #expect(try short(["-x", "fd00:244::2"]) == ["web6-0.hdls6.testns.svc.\(z)."])  // S13
            // S15: same data, and the owner name keeps the query's spelling; the TTL is the default 30.
            #expect(try records(["SVC1.TestNS.SVC.Cluster.Local", "A"]) == [["SVC1.TestNS.SVC.Cluster.Local.", "30", "IN", "A", svc1]])
            #expect(try records(["svc6.testns.svc.\(z)", "AAAA"]) == [["svc6.testns.svc.\(z).", "30", "IN", "AAAA", svc6]])

            // §1.3 NODATA: NOERROR, no answer, AA, the zone's SOA in authority.
            for q in [
                ["svc1.testns.svc.\(z)", "AAAA"], ["svc1.testns.svc.\(z)", "TXT"], ["svc1.testns.svc.\(z)", "MX"],
                ["svc1.testns.svc.\(z)", "HINFO"], ["svc1.testns.svc.\(z)", "SOA"], ["svc1.testns.svc.\(z)", "PTR"],
                [z, "A"], ["svc.\(z)", "A"], ["pod.\(z)", "A"], ["testns.svc.\(z)", "A"], ["ext.testns.svc.\(z)", "SRV"],
            ] {
                try expectNegative(q, status: "NOERROR")
            }
            // §1.3 NXDOMAIN, also with AA and the SOA: unknown service, namespace, label, endpoint; too many
            // labels; a child of an ExternalName; an SRV whose _port/_proto matches no port; a search-path miss.
            for q in [
                ["nope.testns.svc.\(z)", "A"], ["svc1.nons.svc.\(z)", "A"], ["foo.\(z)", "A"],
                ["a.b.c.svc1.testns.svc.\(z)", "A"], ["x.ext.testns.svc.\(z)", "A"], ["nope.hdls.testns.svc.\(z)", "A"],
                ["_https._tcp.svc1.testns.svc.\(z)", "SRV"], ["_http._udp.svc1.testns.svc.\(z)", "SRV"],
                ["svc1.testns.svc.\(z).testns.svc.\(z)", "A"], ["hdlsempty.testns.svc.\(z)", "A"],
            ] {
                try expectNegative(q, status: "NXDOMAIN")
            }
            // NS at the apex, with the kube-dns ClusterIP (the tenth address of the service CIDR) as glue.
            #expect(try records([z, "NS"]) == [["\(z).", "30", "IN", "NS", "ns.dns.\(z)."]])
            #expect(try digRecords(dnsPort, proto + [z, "NS"], section: "+additional") == [["ns.dns.\(z).", "30", "IN", "A", "10.96.0.10"]])
            // Extensions: SRV without _port._proto (one per port), endpoint names under a ClusterIP
            // Service, a ClusterIP Service without endpoints still answers, no SRV for ExternalName.
            #expect(try short(["svc1.testns.svc.\(z)", "SRV"]) == ["0 100 80 svc1.testns.svc.\(z)."])
            #expect(try short(["10-244-2-5.withep.testns.svc.\(z)", "A"]) == ["10.244.2.5"])
            #expect(try short(["unnamed.testns.svc.\(z)", "A"]).count == 1)
            #expect(try short(["ext.testns.svc.\(z)", "SRV"]) == [])
        }
        // §1.3: zone transfers are REFUSED (dig only says "Transfer failed", so ask with a raw query).
        let xfr = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/xfr_rcode.py").path
        for type in ["AXFR", "IXFR"] {
            for proto in ["udp", "tcp"] {
                let r = try run(which("python3")!, [xfr, String(dnsPort), z, type, proto], timeout: 15)
                #expect(r.stdout == "REFUSED id-ok\n", "\(type) over \(proto): \(r)")
            }
        }
        // A PTR for an address no Service or endpoint owns falls through to the upstream (the standard
        // Corefile's `fallthrough in-addr.arpa ip6.arpa`); an owned one never leaves the server.
        let beforePTR = (try? String(contentsOfFile: counter, encoding: .utf8)) ?? "0"
        _ = try dig(dnsPort, ["-x", "10.99.99.99"])
        let afterPTR = (try? String(contentsOfFile: counter, encoding: .utf8)) ?? "0"
        #expect(Int(afterPTR) == (Int(beforePTR) ?? 0) + 1, "unowned PTR not forwarded (\(beforePTR) → \(afterPTR))")
        _ = try dig(dnsPort, ["-x", "10.244.0.2"])
        #expect(((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "0") == afterPTR, "an owned PTR was forwarded")
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
        let ferry = try FerryServerProcess(extraArgs: ["--dns-listen", "127.0.0.1:\(dnsPort)", "--upstream", "127.0.0.1:9", "--dns-ttl", "7"])
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

        // --dns-ttl sets the TTL of answers and the negative SOA's minimum (and its RR TTL).
        let big = try digRecords(dnsPort, ["+tcp", "big.default.svc.cluster.local", "A"])
        #expect(big.count == 150 && big.allSatisfy { $0.count == 5 && $0[1] == "7" }, "\(big.prefix(3))")
        let soa = try digRecords(dnsPort, ["nope.default.svc.cluster.local", "A"], section: "+authority")
        #expect(soa.count == 1 && isNegativeSOA(soa[0], zone: "cluster.local", ttl: 7), "\(soa)")
        // CoreDNS's metric names on the metrics listener, so existing dashboards work.
        let metrics = try run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(ferry.metricsPort)/metrics"]).stdout
        for name in ["coredns_dns_requests_total{", "coredns_dns_responses_total{", "coredns_dns_request_duration_seconds_bucket{"] {
            #expect(metrics.contains(name), "\(name) missing from /metrics")
        }
    }

    @Test("--dns-ttl out of range is refused before anything starts")
    func ttlOutOfRange() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-ttl-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run(try ferryBinary(), [
            "server", "--data-dir", dir, "--api-listen", "127.0.0.1:\(freePort())", "--metrics-listen", "127.0.0.1:\(freePort())",
            "--dns-listen", "127.0.0.1:\(freePort())", "--proxy-mode", "off", "--http-listen", "off", "--https-listen", "off",
            "--dns-ttl", "3601",
        ], timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--dns-ttl must be between 0 and 3600 seconds, got 3601"), "\(r)")
    }
}
