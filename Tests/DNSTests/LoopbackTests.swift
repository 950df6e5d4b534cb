import CoreMetrics
import DNSCore
import KubeAPI
import Logging
import MetricsTestKit
import NIOCore
import NIOPosix
import Testing

@testable import DNS

/// Real sockets on 127.0.0.1 with ephemeral ports: the server, a fake upstream, a plain client.
@Suite(.timeLimit(.minutes(1))) struct LoopbackTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func config(upstream: FakeUpstream? = nil, timeout: Duration = .seconds(2), maxForwards: Int = 100) -> DNSServerConfig {
        DNSServerConfig(
            listen: [HostPort(host: "127.0.0.1", port: 0)],
            upstreams: .servers(upstream.map { [HostPort(host: "127.0.0.1", port: $0.port)] } ?? []),
            maxConcurrentForwards: maxForwards, forwardTimeout: timeout)
    }

    func withServer<T: Sendable>(
        _ config: DNSServerConfig, source: FakeClusterSource = FakeClusterSource(TestCluster.snapshot()),
        metrics: any MetricsFactory = NOOPFactory(), _ body: @Sendable (DNSServer, Int) async throws -> T
    ) async throws -> T {
        let server = DNSServer(config: config, source: source, logger: Logger(label: "dns-test"), metricsFactory: metrics)
        try await server.bind()
        let port = server.boundAddresses.first?.port ?? 0
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            do {
                let r = try await body(server, port)
                group.cancelAll()
                return r
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    func withUpstream<T: Sendable>(_ mode: FakeUpstream.Mode, _ body: (FakeUpstream) async throws -> T) async throws -> T {
        let up = FakeUpstream(mode: mode)
        try await up.start(group: group)
        do {
            let r = try await body(up)
            await up.stop()
            return r
        } catch {
            await up.stop()
            throw error
        }
    }

    func aRecords(_ m: DNSMessage) -> [String] {
        m.answers.compactMap { if case .a(let a) = $0.data { return a.description } else { return nil } }
    }

    @Test func answersOverUDPAndTCP() async throws {
        try await withServer(config()) { server, port in
            #expect(server.boundAddresses.count == 1)
            let udp = try await TestClient.udp(svc1Query, to: port, group: group)
            #expect(udp == svc1Answer)
            let tcp = try await TestClient.tcp(svc1Query, to: port, group: group)
            #expect(tcp == svc1Answer)
        }
    }

    @Test func bigHeadlessTruncatedOverUDPCompleteOverTCP() async throws {
        let source = FakeClusterSource(TestCluster.snapshot(bigCount: 150))
        try await withServer(config(), source: source) { _, port in
            let q = Wire.query("big.testns.svc.cluster.local.", .a)
            let udp = try #require(Wire.parse(try await TestClient.udp(q, to: port, group: group)))
            #expect(udp.header.isTruncated)
            let tcp = try #require(Wire.parse(try await TestClient.tcp(q, to: port, group: group)))
            #expect(!tcp.header.isTruncated)
            #expect(tcp.answers.count == 150)
        }
    }

    @Test func forwardsAndServesSecondQueryFromCache() async throws {
        let metrics = TestMetrics()
        try await withUpstream(.answer) { up in
            try await withServer(config(upstream: up), metrics: metrics) { _, port in
                let first = try #require(Wire.parse(try await TestClient.udp(Wire.query("WwW.Example.ORG.", .a, id: 0x0101), to: port, group: group)))
                #expect(first.header.id == 0x0101)
                #expect(first.rcode == .noError)
                #expect(first.questions.first?.name.description == "WwW.Example.ORG.")  // client's spelling
                #expect(aRecords(first) == ["93.184.216.34"])
                #expect(first.answers.first?.ttl == 60)

                let second = try #require(Wire.parse(try await TestClient.tcp(Wire.query("www.example.org.", .a, id: 0x0202), to: port, group: group)))
                #expect(second.header.id == 0x0202)
                #expect(second.questions.first?.name.description == "www.example.org.")
                #expect(aRecords(second) == ["93.184.216.34"])
                #expect((second.answers.first?.ttl ?? 99) <= 30)  // cache cap
                #expect(second.answers.first?.name.description == "www.example.org.")  // this asker's spelling, not the cached one
                #expect(up.udpQueries == 1)
                #expect(up.tcpQueries == 0)
            }
            let to = "127.0.0.1:\(up.port)"
            #expect(try metrics.expectCounter("coredns_forward_requests_total", [("to", to)]).totalValue == 1)
            #expect(try metrics.expectCounter("coredns_forward_responses_total", [("to", to), ("rcode", "NOERROR")]).totalValue == 1)
            let cacheDims = [("server", "dns://:0"), ("zones", "."), ("view", "")]
            #expect(
                try metrics.expectCounter("coredns_cache_hits_total", [("server", "dns://:0"), ("type", "success"), ("zones", "."), ("view", "")])
                    .totalValue == 1)
            #expect(try metrics.expectCounter("coredns_cache_misses_total", cacheDims).totalValue == 1)
            #expect(
                try metrics.expectGauge("coredns_cache_entries", [("server", "dns://:0"), ("type", "success"), ("zones", "."), ("view", "")])
                    .lastValue == 1)
            let base = [("server", "dns://:0"), ("zone", "."), ("view", "")]
            #expect(try metrics.expectCounter("coredns_dns_responses_total", base + [("rcode", "NOERROR"), ("plugin", "forward")]).totalValue == 1)
            #expect(try metrics.expectCounter("coredns_dns_responses_total", base + [("rcode", "NOERROR"), ("plugin", "cache")]).totalValue == 1)
        }
    }

    @Test func negativeAnswersAreCachedToo() async throws {
        try await withUpstream(.nxdomain) { up in
            try await withServer(config(upstream: up)) { _, port in
                for id: UInt16 in [1, 2] {
                    let m = try #require(Wire.parse(try await TestClient.udp(Wire.query("nope.example.org.", .a, id: id), to: port, group: group)))
                    #expect(m.rcode == .nxDomain)
                    #expect(m.header.id == id)
                }
                #expect(up.udpQueries == 1)
            }
        }
    }

    @Test func upstreamTimeoutRetriesOnceThenServfail() async throws {
        try await withUpstream(.silent) { up in
            try await withServer(config(upstream: up, timeout: .milliseconds(200))) { _, port in
                let start = ContinuousClock.now
                let m = try #require(Wire.parse(try await TestClient.udp(Wire.query("slow.example.org.", .a, id: 5), to: port, group: group)))
                #expect(m.rcode == .servFail)
                #expect(m.header.id == 5)
                _ = start  // the answer comes from the timeout path (two upstream attempts), not a hang
                #expect(up.udpQueries == 2)
                // Failures are not cached: a new query goes upstream again.
                _ = try await TestClient.udp(Wire.query("slow.example.org.", .a, id: 6), to: port, group: group)
                #expect(up.udpQueries == 4)
            }
        }
    }

    @Test func truncatedUpstreamAnswerIsRetriedOverTCP() async throws {
        try await withUpstream(.truncateUDP) { up in
            try await withServer(config(upstream: up)) { _, port in
                let m = try #require(Wire.parse(try await TestClient.udp(Wire.query("tc.example.org.", .a), to: port, group: group)))
                #expect(!m.header.isTruncated)
                #expect(aRecords(m) == ["93.184.216.34"])
                #expect(up.udpQueries == 1)
                #expect(up.tcpQueries == 1)
            }
        }
    }

    @Test func externalNameTargetIsResolvedUpstream() async throws {
        try await withUpstream(.answer) { up in
            try await withServer(config(upstream: up)) { _, port in
                // Warm the cache with another spelling of the target first.
                _ = try await TestClient.udp(Wire.query("WWW.Example.COM.", .a), to: port, group: group)
                let m = try #require(
                    Wire.parse(try await TestClient.udp(Wire.query("ext.testns.svc.cluster.local.", .a), to: port, group: group)))
                #expect(m.rcode == .noError)
                #expect(m.answers.first?.data == .cname("www.example.com."))
                #expect(aRecords(m) == ["93.184.216.34"])
                #expect(m.answers.last?.name.description == "www.example.com.")
                #expect(up.names == ["WWW.Example.COM."])
            }
        }
    }

    @Test func autopathForwardsTheBareNameForPodClients() async throws {
        // The test client's source address is 127.0.0.1, so make that a pod in testns.
        let source = FakeClusterSource(TestCluster.snapshot(podIPs: ["127.0.0.1"]))
        try await withUpstream(.answer) { up in
            var cfg = config(upstream: up)
            cfg.autopath = true
            try await withServer(cfg, source: source) { _, port in
                let q = Wire.query("www.example.org.testns.svc.cluster.local.", .a)
                let m = try #require(Wire.parse(try await TestClient.udp(q, to: port, group: group)))
                #expect(m.rcode == .noError)
                #expect(m.questions.first?.name == "www.example.org.testns.svc.cluster.local.")
                #expect(m.answers.first?.data == .cname("www.example.org."))
                #expect(aRecords(m) == ["93.184.216.34"])
                #expect(up.names == ["www.example.org."])
            }
        }
    }

    @Test func concurrencyBoundAnswersServfailImmediately() async throws {
        let metrics = TestMetrics()
        try await withUpstream(.silent) { up in
            try await withServer(config(upstream: up, timeout: .milliseconds(500), maxForwards: 1), metrics: metrics) { _, port in
                async let slow = TestClient.udp(Wire.query("a.example.org.", .a, id: 1), to: port, group: group)
                // Wait until the first query is in flight upstream before sending the second.
                for _ in 0..<200 where up.udpQueries == 0 { try await Task.sleep(for: .milliseconds(5)) }
                let start = ContinuousClock.now
                let rejected = try #require(Wire.parse(try await TestClient.udp(Wire.query("b.example.org.", .a, id: 2), to: port, group: group)))
                #expect(rejected.rcode == .servFail)
                #expect(ContinuousClock.now - start < .milliseconds(400))
                #expect(try Wire.parse(await slow)?.rcode == .servFail)
            }
            #expect(try metrics.expectCounter("coredns_forward_max_concurrent_rejects_total").totalValue == 1)
        }
    }

    @Test func zoneFollowsSnapshots() async throws {
        let source = FakeClusterSource(TestCluster.snapshot(synced: false))
        try await withServer(config(), source: source) { _, port in
            let q = Wire.query("svc2.testns.svc.cluster.local.", .a)
            // Before services and slices have synced, names that would be NXDOMAIN are SERVFAIL.
            #expect(try Wire.parse(await TestClient.udp(q, to: port, group: group))?.rcode == .servFail)

            source.publish(TestCluster.snapshot(version: 2))
            var rcode = DNSRCode.servFail
            for _ in 0..<200 {
                rcode = try Wire.parse(await TestClient.udp(q, to: port, group: group))?.rcode ?? .servFail
                if rcode == .nxDomain { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(rcode == .nxDomain)

            var snap = TestCluster.snapshot(version: 3)
            let svc2 = TestCluster.service(
                "svc2", spec: ["clusterIP": "10.0.0.2", "clusterIPs": ["10.0.0.2"], "ports": [["port": 80, "protocol": "TCP"]]])
            snap.objects[.service]?["testns/svc2"] = svc2
            source.publish(snap)
            var answer: [String] = []
            for _ in 0..<200 {
                answer = try Wire.parse(await TestClient.udp(q, to: port, group: group)).map(aRecords) ?? []
                if !answer.isEmpty { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(answer == ["10.0.0.2"])
        }
    }

    @Test func udpPortInUseIsAClearError() async throws {
        let taken = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(taken.localAddress?.port)
        let server = DNSServer(
            config: DNSServerConfig(listen: [HostPort(host: "127.0.0.1", port: port)], upstreams: .servers([])),
            source: FakeClusterSource(TestCluster.snapshot()), logger: Logger(label: "t"), metricsFactory: NOOPFactory())
        await #expect(throws: DNSServerError.addressInUse(HostPort(host: "127.0.0.1", port: port), proto: "udp")) { try await server.bind() }
        #expect(
            DNSServerError.addressInUse(HostPort(host: "127.0.0.1", port: port), proto: "udp").description
                == "cannot listen on 127.0.0.1:\(port)/udp: address already in use")
        try await taken.close()
    }

    @Test func tcpPortInUseIsAClearErrorAndNothingStaysBound() async throws {
        let taken = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(taken.localAddress?.port)
        let server = DNSServer(
            config: DNSServerConfig(listen: [HostPort(host: "127.0.0.1", port: port)], upstreams: .servers([])),
            source: FakeClusterSource(TestCluster.snapshot()), logger: Logger(label: "t"), metricsFactory: NOOPFactory())
        await #expect(throws: DNSServerError.addressInUse(HostPort(host: "127.0.0.1", port: port), proto: "tcp")) { try await server.bind() }
        // The UDP sockets bound before TCP failed were released.
        let udp = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: port).get()
        try await udp.close()
        try await taken.close()
    }

    @Test func secondServerOnSamePortIsRefused() async throws {
        try await withServer(config()) { _, port in
            let other = DNSServer(
                config: DNSServerConfig(listen: [HostPort(host: "127.0.0.1", port: port)], upstreams: .servers([])),
                source: FakeClusterSource(TestCluster.snapshot()), logger: Logger(label: "t"), metricsFactory: NOOPFactory())
            // SO_REUSEPORT alone would let it share the port silently.
            await #expect(throws: DNSServerError.addressInUse(HostPort(host: "127.0.0.1", port: port), proto: "udp")) { try await other.bind() }
        }
    }

    @Test func upstreamsExcludeOwnListener() async throws {
        let taken = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(taken.localAddress?.port)
        try await taken.close()
        let server = DNSServer(
            config: DNSServerConfig(
                listen: [HostPort(host: "127.0.0.1", port: port)],
                upstreams: .servers([HostPort(host: "127.0.0.1", port: port), HostPort(host: "127.0.0.2", port: port)])),
            source: FakeClusterSource(TestCluster.snapshot()), logger: Logger(label: "t"), metricsFactory: NOOPFactory())
        try await server.bind()
        #expect(server.upstreams == ["127.0.0.2:\(port)"])
        await withThrowingTaskGroup(of: Void.self) { g in
            g.addTask { try await server.run() }
            g.cancelAll()
        }
    }
}
