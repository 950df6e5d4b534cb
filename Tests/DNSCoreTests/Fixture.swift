import DNSCore
import KubeAPI

/// The dns-spec §1.2 fixture cluster plus a few extras, built from API JSON like the watch cache does.
enum Fixture {
    static func service(
        _ name: String, ns: String = "testns", type: String = "ClusterIP", clusterIPs: [String] = [],
        ports: [(name: String, port: Int, proto: String)] = [], externalName: String? = nil
    ) -> Service {
        var spec: JSON = ["type": .string(type)]
        if let first = clusterIPs.first {
            spec["clusterIP"] = .string(first)
            spec["clusterIPs"] = .array(clusterIPs.map { .string($0) })
        }
        if let externalName { spec["externalName"] = .string(externalName) }
        spec["ports"] = .array(
            ports.map { p in
                var o: JSON = ["port": .int(Int64(p.port)), "protocol": .string(p.proto)]
                if !p.name.isEmpty { o["name"] = .string(p.name) }
                return o
            })
        return Service(["metadata": ["name": .string(name), "namespace": .string(ns)], "spec": spec])
    }

    struct EP {
        var addresses: [String]
        var ready: Bool? = true
        var hostname: String? = nil
    }

    static func slice(
        _ name: String, ns: String = "testns", service: String, addressType: String = "IPv4", endpoints: [EP],
        ports: [(name: String?, port: Int, proto: String)] = [("http", 80, "TCP")]
    ) -> EndpointSlice {
        EndpointSlice(
            metadata: ObjectMeta(name: name, namespace: ns, labels: ["kubernetes.io/service-name": service]),
            addressType: addressType,
            endpoints: endpoints.map { Endpoint(addresses: $0.addresses, ready: $0.ready, hostname: $0.hostname) },
            ports: ports.map { EndpointPort(name: $0.name, protocol: $0.proto, port: $0.port) })
    }

    static func pod(_ name: String, ns: String, ips: [String], dnsPolicy: String = "ClusterFirst", phase: String = "Running") -> Pod {
        Pod([
            "metadata": ["name": .string(name), "namespace": .string(ns)],
            "spec": ["dnsPolicy": .string(dnsPolicy)],
            "status": ["phase": .string(phase), "podIPs": .array(ips.map { ["ip": .string($0)] })],
        ])
    }

    static let http = [(name: "http", port: 80, proto: "TCP")]

    static let services: [Service] = [
        service("svc1", clusterIPs: ["10.0.0.1"], ports: http),
        service("svc6", clusterIPs: ["1234:abcd::1"], ports: http),
        service("dual", clusterIPs: ["10.0.0.5", "fd00::5"], ports: http),
        service("multi", clusterIPs: ["10.0.0.2"], ports: [("http", 80, "TCP"), ("dns", 53, "UDP")]),
        service("unnamed", clusterIPs: ["10.0.0.3"], ports: [("", 8080, "TCP")]),
        service("hdls", clusterIPs: ["None"], ports: http),
        service("hdlsempty", clusterIPs: ["None"], ports: http),
        service("hdlsportless", clusterIPs: ["None"]),
        service("six", clusterIPs: ["None"], ports: http),
        service("big", clusterIPs: ["None"], ports: http),
        service("ext", type: "ExternalName", externalName: "www.example.com"),
        service("extin", type: "ExternalName", externalName: "svc1.testns.svc.cluster.local"),
        service("extip", type: "ExternalName", externalName: "1.2.3.4"),
        service("kube-dns", ns: "kube-system", clusterIPs: ["10.96.0.10"], ports: [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")]),
    ]

    static let slices: [EndpointSlice] = [
        slice(
            "hdls-v4", service: "hdls",
            endpoints: [
                EP(addresses: ["172.0.0.2"], ready: true, hostname: "web-0"), EP(addresses: ["172.0.0.3"], ready: nil),
                EP(addresses: ["172.0.0.4"], ready: false),
            ]),
        slice(
            "hdls-v6", service: "hdls", addressType: "IPv6",
            endpoints: [EP(addresses: ["5678:abcd::1"], hostname: "web-0"), EP(addresses: ["5678:abcd::2"])]),
        slice("hdlsempty-x", service: "hdlsempty", endpoints: [EP(addresses: ["172.0.0.9"], ready: false)]),
        slice("hdlsportless-x", service: "hdlsportless", endpoints: [EP(addresses: ["172.0.0.20"])], ports: []),
        slice("six-x", service: "six", endpoints: (1...6).map { EP(addresses: ["172.0.6.\($0)"]) }),
        slice("big-x", service: "big", endpoints: (1...150).map { EP(addresses: ["10.1.\($0 / 256).\($0 % 256)"]) }),
        slice("svc1-x", service: "svc1", endpoints: [EP(addresses: ["172.0.1.1"])]),
        // A second Service selecting the pod behind web-0: two PTRs for one IP.
        slice("orphan-x", service: "orphan", endpoints: [EP(addresses: ["172.0.0.2"], hostname: "web-0")]),
    ]

    static let pods: [Pod] = [
        pod("web-0", ns: "testns", ips: ["172.0.0.2"]),
        pod("client", ns: "default", ips: ["10.244.0.7", "fd00:244::7"]),
        pod("custom", ns: "default", ips: ["10.244.0.8"], dnsPolicy: "None"),
        pod("hostnet-a", ns: "default", ips: ["192.168.1.10"]),
        pod("hostnet-b", ns: "kube-system", ips: ["192.168.1.10"]),
        pod("done", ns: "default", ips: ["10.244.0.9"], phase: "Succeeded"),
    ]

    static let namespaces = ["testns", "default", "kube-system", "emptyns"]

    static func config(_ mode: PodRecordsMode = .insecure) -> ClusterDNSConfig {
        ClusterDNSConfig(zone: "cluster.local.", ttl: 30, podRecords: mode, nameserverIPs: [IPAddress("10.96.0.10")!])
    }

    static let zone = ClusterZone(
        config: config(), services: services, endpointSlices: slices, pods: pods, namespaces: namespaces, serial: 1_499_347_823)

    static func zone(_ mode: PodRecordsMode) -> ClusterZone {
        ClusterZone(config: config(mode), services: services, endpointSlices: slices, pods: pods, namespaces: namespaces, serial: 1_499_347_823)
    }

    static func query(_ name: String, _ type: RRType, id: UInt16 = 0x1234, edns: EDNS? = nil) -> DNSMessage {
        .query(id: id, name: DNSName(stringLiteral: name), type: type, edns: edns)
    }

    /// The message inside `.answer`, or nil.
    static func answer(_ r: Resolution) -> DNSMessage? {
        if case .answer(let m) = r { return m }
        return nil
    }

    /// Records in `dig`-like text: `name ttl TYPE rdata`, owner spelled as on the wire.
    static func text(_ rr: ResourceRecord) -> String {
        let data: String
        switch rr.data {
        case .a(let a): data = a.description
        case .aaaa(let a): data = a.description
        case .ns(let n), .cname(let n), .ptr(let n): data = n.description
        case .mx(let p, let n): data = "\(p) \(n)"
        case .txt(let s): data = s.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }.joined(separator: " ")
        case .srv(let p, let w, let port, let t): data = "\(p) \(w) \(port) \(t)"
        case .soa(let s): data = "\(s.mname) \(s.rname) \(s.serial) \(s.refresh) \(s.retry) \(s.expire) \(s.minimum)"
        case .unknown(let t, let d): data = "\(t) \(d)"
        }
        return "\(rr.name) \(rr.ttl) \(rr.type) \(data)"
    }

    static let soa = "cluster.local. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. 1499347823 7200 1800 86400 30"
}

/// Uncompressed wire bytes of a dotted name, written independently of `DNSName` so codec tests
/// do not check the code against itself.
func wireName(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    for label in s.split(separator: ".") {
        out.append(UInt8(label.utf8.count))
        out.append(contentsOf: Array(label.utf8))
    }
    out.append(0)
    return out
}

func hex(_ s: String) -> [UInt8] {
    let digits = s.filter { $0.isHexDigit }
    var out: [UInt8] = []
    var it = digits.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}
