import Foundation
import KubeAPI
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport
import Testing

@testable import Ingress

/// Self-signed certificates made with the `openssl` CLI (the test target may not use swift-certificates).
enum TLSFixtures {
    static let openssl: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let curl: String? = ["/usr/bin/curl", "/usr/local/bin/curl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    struct Pair {
        var cert: String
        var key: String
        var der: [UInt8]
        /// As the server's default certificate.
        var pem: IngressServerConfiguration.PEMCertificate {
            .init(certificateChainPEM: Array(cert.utf8), privateKeyPEM: Array(key.utf8))
        }
    }

    /// A P-256 self-signed certificate for `cn` (also its only SAN), valid for a day.
    static func make(cn: String) throws -> Pair {
        guard let openssl else { throw TestTimeout(what: "openssl") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ingress-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: openssl)
        p.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=\(cn)", "-addext", "subjectAltName=DNS:\(cn)",
            "-keyout", dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path,
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let status = finish(p)
        guard status == 0 else { throw TestTimeout(what: "openssl req exit \(status)") }
        let cert = try String(contentsOf: dir.appendingPathComponent("cert.pem"), encoding: .utf8)
        let key = try String(contentsOf: dir.appendingPathComponent("key.pem"), encoding: .utf8)
        let der = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8))[0].toDERBytes()
        return Pair(cert: cert, key: key, der: der)
    }
}

@Suite(.serialized, .enabled(if: TLSFixtures.openssl != nil, "openssl CLI not found: cannot make test certificates"))
struct TLSTests {
    var group: MultiThreadedEventLoopGroup { testGroup }

    func objects(backendPort: Int, secret: TLSFixtures.Pair?) -> [JSON] {
        var o: [JSON] =
            [
                Obj.ingress(
                    "secure", tls: [(["secure.test"], "secure-tls")],
                    rules: [
                        Obj.rule("secure.test", [Obj.path("/", "web")]), Obj.rule("plain.test", [Obj.path("/", "web")]),
                    ]),
                Obj.service("web"),
            ] + Obj.slices("web", ready: [("127.0.0.1", backendPort)])
        if let secret {
            o.append(Obj.tlsSecret("secure-tls", cert: secret.cert, key: secret.key))
        } else {
            o.append(
                Obj.tlsSecret(
                    "secure-tls", cert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key: "nope"))
        }
        return o
    }

    @Test func sniSelectsTheIngressCertificateAndUnknownNamesGetTheDefault() async throws {
        let def = try TLSFixtures.make(cn: "ferry-default")
        let secure = try TLSFixtures.make(cn: "secure.test")
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(Obj.snapshot(objects(backendPort: web.port, secret: secure)))
        try await withIngress(source, group: group, https: true, defaultCertificate: def.pem) { server, _, tlsPort in
            let port = try #require(tlsPort)
            #expect(server.latestBuildReport().problems.isEmpty)

            let c = try await TestClient.connect(port: port, group: group, tlsServerName: "secure.test")
            try await c.send("GET /account HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n")
            let r = try await c.response()
            #expect(c.peerCertificate == secure.der)
            #expect(r.status == 200 && r.backend == "web")
            #expect(r.upstreamHeader("x-forwarded-proto") == ["https"])
            #expect(r.upstreamHeader("x-forwarded-port") == ["\(port)"])
            await c.close()

            let u = try await TestClient.connect(port: port, group: group, tlsServerName: "unknown.test")
            try await u.send("GET / HTTP/1.1\r\nHost: plain.test\r\nConnection: close\r\n\r\n")
            let r2 = try await u.response()
            #expect(u.peerCertificate == def.der)
            #expect(r2.status == 200, "SNI chooses the certificate, Host the route")
            await u.close()
        }
        await web.stop()
    }

    @Test func plainHTTPIsRedirectedToHTTPSWith308() async throws {
        let def = try TLSFixtures.make(cn: "ferry-default")
        let secure = try TLSFixtures.make(cn: "secure.test")
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(Obj.snapshot(objects(backendPort: web.port, secret: secure)))
        try await withIngress(source, group: group, https: true, defaultCertificate: def.pem) { _, httpPort, _ in
            let r = try await fetch(port: httpPort, group: group, host: "secure.test", path: "/login?next=%2F")
            #expect(r.status == 308)
            #expect(r.header("location") == "https://secure.test/login?next=%2F")
            #expect(web.requests.load(ordering: .relaxed) == 0)
            // A host without a tls entry is served over plain HTTP.
            let plain = try await fetch(port: httpPort, group: group, host: "plain.test")
            #expect(plain.status == 200)
        }
        await web.stop()
    }

    @Test func unusableSecretIsReportedAndServedWithTheDefaultCertificate() async throws {
        let def = try TLSFixtures.make(cn: "ferry-default")
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(Obj.snapshot(objects(backendPort: web.port, secret: nil)))
        try await withIngress(source, group: group, https: true, defaultCertificate: def.pem) { server, _, tlsPort in
            let problems = server.latestBuildReport().problems
            #expect(problems.map(\.reason) == [.invalidTLSSecret])
            #expect(problems.first?.message.contains("default certificate") == true)
            let c = try await TestClient.connect(
                port: try #require(tlsPort), group: group, tlsServerName: "secure.test")
            try await c.send("GET / HTTP/1.1\r\nHost: secure.test\r\nConnection: close\r\n\r\n")
            #expect(try await c.response().status == 200)
            #expect(c.peerCertificate == def.der)
            await c.close()
        }
        await web.stop()
    }

    @Test func httpsBackendProtocol() async throws {
        let pair = try TLSFixtures.make(cn: "backend.internal")
        let serverTLS = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pair.cert.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pair.key.utf8), format: .pem))))
        let secure = try await TestBackend.start("tls-backend", group: group, tls: serverTLS)
        let source = FakeClusterSource(
            Obj.snapshot(
                [
                    Obj.ingress(
                        "b", annotations: ["nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"],
                        rules: [Obj.rule("b.test", [Obj.path("/", "tlsb")])]),
                    Obj.service("tlsb"),
                ] + Obj.slices("tlsb", ready: [("127.0.0.1", secure.port)])))
        try await withIngress(source, group: group) { _, port, _ in
            let r = try await fetch(port: port, group: group, host: "b.test", path: "/over-tls")
            #expect(r.status == 200 && r.backend == "tls-backend" && r.body.contains("uri=/over-tls\n"))
        }
        await secure.stop()
    }

    @Test(.enabled(if: TLSFixtures.curl != nil, "curl not found: cannot drive HTTP/2"))
    func http2ViaALPN() async throws {
        let def = try TLSFixtures.make(cn: "ferry-default")
        let secure = try TLSFixtures.make(cn: "secure.test")
        let web = try await TestBackend.start("web", group: group)
        let source = FakeClusterSource(Obj.snapshot(objects(backendPort: web.port, secret: secure)))
        try await withIngress(source, group: group, https: true, defaultCertificate: def.pem) { _, _, tlsPort in
            let port = try #require(tlsPort)
            let out = try runCurl([
                "-sk", "--http2", "--noproxy", "*", "--max-time", "10", "--resolve", "secure.test:\(port):127.0.0.1",
                "-H", "X-Request-ID: h2-test", "-w", "\n%{http_version} %{http_code}",
                "https://secure.test:\(port)/h2?q=1", "https://secure.test:\(port)/second",
            ])
            #expect(out.contains("backend=web\nmethod=GET\nuri=/h2?q=1\n"))
            #expect(out.contains("h:host=secure.test:\(port)\n"))
            #expect(out.contains("h:x-request-id=h2-test\n"))
            #expect(out.contains("h:x-forwarded-proto=https\n") && out.contains("h:x-forwarded-port=\(port)\n"))
            #expect(out.contains("h:x-real-ip=127.0.0.1\n"))
            #expect(out.components(separatedBy: "\n2 200").count == 3, "two HTTP/2 responses on one connection: \(out)")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("ingress-h2-\(UUID().uuidString)")
            try Data(String(repeating: "h2-body!", count: 40_000).utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let post = try runCurl([
                "-sk", "--http2", "--noproxy", "*", "--max-time", "10", "--resolve", "secure.test:\(port):127.0.0.1",
                "--data-binary", "@\(file.path)", "-w", "\n%{http_version} %{http_code}",
                "https://secure.test:\(port)/size",
            ])
            #expect(post == "size=320000\n\n2 200")
            let missing = try runCurl([
                "-sk", "--http2", "--noproxy", "*", "--max-time", "10", "--resolve", "nobody.test:\(port):127.0.0.1",
                "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "https://nobody.test:\(port)/",
            ])
            #expect(missing == "2 404")
        }
        await web.stop()
    }

    func runCurl(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TLSFixtures.curl!)
        p.arguments = args
        p.environment = [:]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        finish(p)
        return String(decoding: data, as: UTF8.self)
    }
}
