import KubeAPI
import Logging
import MetricsTestKit
import NIOCore
import NIOPosix
import ProxyRules
import Synchronization
import Testing

@testable import ServiceProxy

// Real sockets on 127.0.0.1 with ephemeral ports only. Every wait is bounded.

private let group = MultiThreadedEventLoopGroup.singleton
private let webTCP = FrontendKey(ip: "172.30.0.10", port: 80, protocol: .tcp)
private let webUDP = FrontendKey(ip: "172.30.0.10", port: 80, protocol: .udp)
private struct Timeout: Error {}

/// `ns1/web` at 172.30.0.10:80 with one EndpointSlice per backend (so backends can share 127.0.0.1).
private func web(_ backends: [Int], proto: String = "TCP", affinity: Int? = nil, version: Int = 1) -> ClusterSnapshot {
    var extra: [String: JSON] = [:]
    if let affinity {
        extra["sessionAffinity"] = "ClientIP"
        extra["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": .int(Int64(affinity))]]
    }
    let svc = F.serviceJSON("ns1", "web", clusterIP: "172.30.0.10", ports: [F.port("http", 80, proto: proto)], spec: extra,
                            resourceVersion: "\(version)")
    let slices = backends.enumerated().map { i, port in
        F.slice("ns1", "web", name: "web-\(i)", ports: [("http", port, proto)], endpoints: [F.ep("127.0.0.1")])
    }
    return F.snapshot(services: [svc], slices: slices, version: version)
}

// MARK: - Backends

/// Collects the request until the client half-closes, then answers "<name>:<request>" and closes: a
/// reply therefore proves the client's EOF crossed the proxy.
private final class ReplyOnEOF: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let name: String
    var request = ByteBuffer()

    init(name: String) { self.name = name }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        request.writeBuffer(&b)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let e = event as? ChannelEvent, case .inputClosed = e else { return }
        var reply = ByteBuffer(string: "\(name):")
        reply.writeBuffer(&request)
        context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

private func tcpBackend(_ name: String) async throws -> (channel: any Channel, port: Int) {
    let ch = try await ServerBootstrap(group: group)
        .childChannelOption(.allowRemoteHalfClosure, value: true)
        .childChannelInitializer { c in c.eventLoop.makeCompletedFuture { try c.pipeline.syncOperations.addHandler(ReplyOnEOF(name: name)) } }
        .bind(host: "127.0.0.1", port: 0).get()
    return (ch, ch.localAddress?.port ?? 0)
}

/// A port nothing listens on (bound once, then closed): connects are refused.
private func deadPort() async throws -> Int {
    let b = try await tcpBackend("dead")
    try await b.channel.close()
    return b.port
}

private final class UDPEcho: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let name: String

    init(name: String) { self.name = name }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let env = unwrapInboundIn(data)
        var reply = ByteBuffer(string: "\(name):")
        var payload = env.data
        reply.writeBuffer(&payload)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: env.remoteAddress, data: reply)), promise: nil)
    }
}

private func udpBackend(_ name: String) async throws -> (channel: any Channel, port: Int) {
    let ch = try await DatagramBootstrap(group: group)
        .channelInitializer { c in c.eventLoop.makeCompletedFuture { try c.pipeline.syncOperations.addHandler(UDPEcho(name: name)) } }
        .bind(host: "127.0.0.1", port: 0).get()
    return (ch, ch.localAddress?.port ?? 0)
}

// MARK: - Clients

private final class Collect: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String>
    var bytes = ByteBuffer()

    init(_ promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        bytes.writeBuffer(&b)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, case .inputClosed = e {
            promise.succeed(String(buffer: bytes))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) { promise.succeed(String(buffer: bytes)) }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}

/// Connects, sends `payload`, shuts down its write side, and returns everything read until EOF.
private func tcpRequest(_ address: SocketAddress, _ payload: String) async throws -> String {
    let loop = group.next()
    let promise = loop.makePromise(of: String.self)
    let timeout = loop.scheduleTask(in: .seconds(30)) { promise.fail(Timeout()) }
    defer { timeout.cancel() }
    let ch: any Channel
    do {
        ch = try await ClientBootstrap(group: loop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { c in c.eventLoop.makeCompletedFuture { try c.pipeline.syncOperations.addHandler(Collect(promise)) } }
            .connect(to: address).get()
    } catch {
        promise.fail(error)
        throw error
    }
    // The proxy may already have closed the connection (no endpoint); the reply then is "".
    try? await ch.writeAndFlush(ByteBuffer(string: payload))
    try? await ch.close(mode: .output)
    let reply = try await promise.futureResult.get()
    try? await ch.close()
    return reply
}

private final class Inbox: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let messages = Mutex<[String]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let s = String(buffer: unwrapInboundIn(data).data)
        messages.withLock { $0.append(s) }
    }

    func next(after count: Int, timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let m = messages.withLock({ $0.count > count ? $0[count] : nil }) { return m }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw Timeout()
    }
}

private func udpClient() async throws -> (channel: any Channel, inbox: Inbox) {
    let inbox = Inbox()
    let ch = try await DatagramBootstrap(group: group)
        .channelInitializer { c in c.eventLoop.makeCompletedFuture { try c.pipeline.syncOperations.addHandler(inbox) } }
        .bind(host: "127.0.0.1", port: 0).get()
    return (ch, inbox)
}

// MARK: - Proxy harness

private struct Harness {
    let proxy: ServiceProxy
    let source: FakeClusterSource
    let recorder: SyncRecorder
    let metrics: TestMetrics
    let task: Task<Void, Error>

    static func start(_ snapshot: ClusterSnapshot, configure: (inout ServiceProxy.Configuration) -> Void = { _ in }) async throws -> Harness {
        let source = FakeClusterSource(snapshot)
        let recorder = SyncRecorder()
        let metrics = TestMetrics()
        var config = ServiceProxy.Configuration(mode: .userspace, node: F.node())
        config.userspace.bindAddress = { _ in ServiceProxy.BindTarget(host: "127.0.0.1", port: 0) }
        config.userspace.connectTimeout = .seconds(2)
        config.onSync = recorder.record
        configure(&config)
        let proxy = ServiceProxy(configuration: config, source: source, logger: F.logger, commandRunner: FakeRunner(),
                                 eventLoopGroup: group, metricsFactory: metrics)
        try await proxy.bind()
        let task = Task { try await proxy.run() }
        // run() syncs once on start; after that the harness is steady.
        _ = await recorder.wait(after: 1)
        return Harness(proxy: proxy, source: source, recorder: recorder, metrics: metrics, task: task)
    }

    func address(_ key: FrontendKey) async throws -> SocketAddress {
        try #require(await proxy.listenerAddresses()[key])
    }

    /// Publishes `snapshot` and waits until it has been reconciled.
    func publish(_ snapshot: ClusterSnapshot) async throws {
        let before = recorder.reports.count
        source.publish(snapshot)
        _ = try #require(await recorder.wait(after: before) { $0.snapshotVersion == snapshot.version })
    }

    func stop() async throws {
        task.cancel()
        try await task.value
    }
}

@Suite struct UserspaceTCPTests {
    @Test func roundRobinOverTwoBackends() async throws {
        let a = try await tcpBackend("A"), b = try await tcpBackend("B")
        let h = try await Harness.start(web([a.port, b.port]))
        let vip = try await h.address(webTCP)
        var replies: [String] = []
        for i in 0..<4 { replies.append(try await tcpRequest(vip, "req\(i)")) }
        let names = replies.map { String($0.prefix(1)) }
        #expect(Set(names) == ["A", "B"])
        #expect(names[0] != names[1] && names[0] == names[2] && names[1] == names[3])
        #expect(replies.enumerated().allSatisfy { i, r in r.hasSuffix(":req\(i)") })
        let dims = [("service", "ns1/web:http/tcp"), ("protocol", "tcp")]
        #expect(try h.metrics.expectCounter("ferry_userspace_proxy_connections_total", dims).totalValue == 4)
        #expect(try h.metrics.expectCounter("ferry_userspace_proxy_bytes_total", dims + [("direction", "in")]).totalValue == 16)
        #expect(try h.metrics.expectCounter("ferry_userspace_proxy_bytes_total", dims + [("direction", "out")]).totalValue == 24)
        try await h.stop()
        try await a.channel.close()
        try await b.channel.close()
    }

    @Test func halfCloseStillGetsTheReply() async throws {
        // The backend answers only after it sees EOF, so the reply proves the client's shutdown(SHUT_WR)
        // crossed the proxy while the reverse direction stayed open.
        let a = try await tcpBackend("A")
        let h = try await Harness.start(web([a.port]))
        let reply = try await tcpRequest(try await h.address(webTCP), String(repeating: "x", count: 100_000))
        #expect(reply == "A:" + String(repeating: "x", count: 100_000))
        // Both connections are torn down afterwards.
        let dims = [("service", "ns1/web:http/tcp"), ("protocol", "tcp")]
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, (try h.metrics.expectMeter("ferry_userspace_proxy_active_connections", dims).lastValue ?? 1) != 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try h.metrics.expectMeter("ferry_userspace_proxy_active_connections", dims).lastValue == 0)
        try await h.stop()
        try await a.channel.close()
    }

    /// Also pins a NIO subtlety: the failed attempt gives the client's FIN time to arrive, and NIO then
    /// drains the socket to EOF even with autoRead off; those bytes must be replayed, not lost.
    @Test func failsOverFromADeadBackend() async throws {
        let a = try await tcpBackend("A")
        let dead = try await deadPort()
        let h = try await Harness.start(web([a.port, dead]))
        let vip = try await h.address(webTCP)
        for i in 0..<4 {
            #expect(try await tcpRequest(vip, "r\(i)") == "A:r\(i)")
        }
        let dims = [("service", "ns1/web:http/tcp"), ("protocol", "tcp")]
        #expect(try h.metrics.expectCounter("ferry_userspace_proxy_connect_failures_total", dims).totalValue >= 1)
        try await h.stop()
        try await a.channel.close()
    }

    @Test func noReachableEndpointClosesTheConnection() async throws {
        let h = try await Harness.start(web([try await deadPort()]))
        // Closed at once: an empty reply, or a reset because the request was never read; never a hang.
        do {
            #expect(try await tcpRequest(try await h.address(webTCP), "hello") == "")
        } catch is Timeout {
            Issue.record("the proxy kept the connection open")
        } catch {}
        try await h.stop()
    }

    @Test func clientIPAffinitySticks() async throws {
        let a = try await tcpBackend("A"), b = try await tcpBackend("B")
        let h = try await Harness.start(web([a.port, b.port], affinity: 60))
        let vip = try await h.address(webTCP)
        var names: Set<Substring> = []
        for i in 0..<5 { names.insert(try await tcpRequest(vip, "r\(i)").prefix(1)) }
        #expect(names.count == 1)
        try await h.stop()
        try await a.channel.close()
        try await b.channel.close()
    }

    @Test func endpointChangesApplyInPlaceAndRemovedServicesCloseTheirListener() async throws {
        let a = try await tcpBackend("A"), b = try await tcpBackend("B")
        let h = try await Harness.start(web([a.port], version: 1))
        let vip = try await h.address(webTCP)
        #expect(try await tcpRequest(vip, "1") == "A:1")

        try await h.publish(web([b.port], version: 2))
        #expect(try await h.address(webTCP) == vip)  // same listener
        #expect(try await tcpRequest(vip, "2") == "B:2")

        try await h.publish(F.snapshot(services: [], slices: [], version: 3))
        #expect(await h.proxy.listenerAddresses().isEmpty)
        await #expect(throws: (any Error).self) { _ = try await tcpRequest(vip, "3") }
        try await h.stop()
        try await a.channel.close()
        try await b.channel.close()
    }

    @Test func portInUseIsReportedAsATypedError() async throws {
        let squatter = try await tcpBackend("squatter")
        let port = squatter.port
        let h = try await Harness.start(web([port])) { config in
            config.userspace.bindAddress = { _ in ServiceProxy.BindTarget(host: "127.0.0.1", port: port) }
        }
        let expected = ServiceProxyError.cannotListen(address: "127.0.0.1", port: port, protocol: "tcp", reason: "address already in use")
        #expect(await h.proxy.listenerFailures()[webTCP] == expected)
        #expect(expected.description == "cannot listen on 127.0.0.1:\(port)/tcp: address already in use")
        try await h.stop()

        var config = ServiceProxy.Configuration(mode: .userspace, node: F.node())
        config.userspace.bindAddress = { _ in ServiceProxy.BindTarget(host: "127.0.0.1", port: port) }
        config.userspace.requireAllListeners = true
        let strict = ServiceProxy(configuration: config, source: FakeClusterSource(web([port])), logger: F.logger,
                                  commandRunner: FakeRunner(), metricsFactory: TestMetrics())
        await #expect(throws: expected) { try await strict.bind() }
        try await squatter.channel.close()
    }

    @Test func nonLocalVIPIsSkippedWithoutManagedAddresses() async throws {
        // Binding 172.30.0.10 (not configured on this host) fails with EADDRNOTAVAIL; no traffic is sent.
        let h = try await Harness.start(web([1234])) { $0.userspace.bindAddress = nil }
        let failure = try #require(await h.proxy.listenerFailures()[webTCP])
        #expect(failure.description.hasPrefix("cannot listen on 172.30.0.10:80/tcp: cannot assign requested address"))
        try await h.stop()
    }

    @Test func managedAddressesAreAddedThenRemoved() async throws {
        // The fake `ip` "succeeds" without touching the host, so the retried bind still fails, and the
        // unused address is removed again.
        let runner = FakeRunner()
        var config = ServiceProxy.Configuration(mode: .userspace, node: F.node())
        config.userspace.manageAddresses = true
        config.userspace.ipPath = "/sbin/ip"
        let proxy = ServiceProxy(configuration: config, source: FakeClusterSource(web([1234])), logger: F.logger,
                                 commandRunner: runner, metricsFactory: TestMetrics())
        try await proxy.bind()
        #expect(runner.commands == [
            ["/sbin/ip", "addr", "add", "172.30.0.10/32", "dev", "lo"],
            ["/sbin/ip", "addr", "del", "172.30.0.10/32", "dev", "lo"],
        ])
    }
}

extension UserspaceUDPTests {
    @Test func sessionTableIsBounded() async throws {
        let a = try await udpBackend("A")
        let h = try await Harness.start(web([a.port], proto: "UDP")) { $0.userspace.maxUDPSessions = 1 }
        let vip = try await h.address(webUDP)
        let c1 = try await udpClient(), c2 = try await udpClient()
        for (i, c) in [c1, c2, c1].enumerated() {
            let before = i == 2 ? 1 : 0
            try await c.channel.writeAndFlush(AddressedEnvelope(remoteAddress: vip, data: ByteBuffer(string: "m\(i)")))
            #expect(try await c.inbox.next(after: before) == "A:m\(i)")
        }
        // c2 evicted c1's session, so c1's second datagram needed a new one: three sessions, one live.
        let dims = [("service", "ns1/web:http/udp"), ("protocol", "udp")]
        #expect(try h.metrics.expectCounter("ferry_userspace_proxy_connections_total", dims).totalValue == 3)
        #expect(try h.metrics.expectMeter("ferry_userspace_proxy_active_connections", dims).lastValue == 1)
        try await c1.channel.close()
        try await c2.channel.close()
        try await h.stop()
        try await a.channel.close()
    }
}

@Suite struct AddressManagerTests {
    @Test func onlyRemovesWhatItAdded() async {
        let runner = FakeRunner { argv in
            argv.contains("10.96.0.2/32") && argv.contains("add")
                ? CommandResult(status: 2, output: "RTNETLINK answers: File exists\n") : CommandResult(status: 0, output: "")
        }
        let m = AddressManager(ipPath: "/sbin/ip", runner: runner, logger: F.logger)
        #expect(await m.ensure("10.96.0.1"))
        #expect(await m.ensure("10.96.0.1"))  // remembered, not re-added
        #expect(await m.ensure("10.96.0.2"))  // pre-existing: usable, not ours
        #expect(await m.ensure("fd00::1"))
        await m.releaseAll()
        #expect(runner.commands == [
            ["/sbin/ip", "addr", "add", "10.96.0.1/32", "dev", "lo"],
            ["/sbin/ip", "addr", "add", "10.96.0.2/32", "dev", "lo"],
            ["/sbin/ip", "addr", "add", "fd00::1/128", "dev", "lo"],
            ["/sbin/ip", "addr", "del", "10.96.0.1/32", "dev", "lo"],
            ["/sbin/ip", "addr", "del", "fd00::1/128", "dev", "lo"],
        ])
    }

    @Test func failureToAddIsReported() async {
        let m = AddressManager(ipPath: "/sbin/ip", runner: FakeRunner { _ in CommandResult(status: 2, output: "Operation not permitted") },
                               logger: F.logger)
        #expect(await m.ensure("10.96.0.1") == false)
        #expect(await m.added.isEmpty)
    }
}

@Suite struct UserspaceUDPTests {
    @Test func echoThroughTheProxyAndEndpointRemoval() async throws {
        let a = try await udpBackend("A"), b = try await udpBackend("B")
        let h = try await Harness.start(web([a.port, b.port], proto: "UDP", version: 1))
        let vip = try await h.address(webUDP)
        let client = try await udpClient()
        try await client.channel.writeAndFlush(AddressedEnvelope(remoteAddress: vip, data: ByteBuffer(string: "one")))
        let first = try await client.inbox.next(after: 0)
        #expect(first == "A:one" || first == "B:one")
        // Same client, same session: same backend.
        try await client.channel.writeAndFlush(AddressedEnvelope(remoteAddress: vip, data: ByteBuffer(string: "two")))
        #expect(try await client.inbox.next(after: 1) == "\(first.prefix(1)):two")

        // Remove the backend that served us: the next datagram (same client address) goes to the other.
        let remaining = first.hasPrefix("A") ? b.port : a.port
        try await h.publish(web([remaining], proto: "UDP", version: 2))
        try await client.channel.writeAndFlush(AddressedEnvelope(remoteAddress: vip, data: ByteBuffer(string: "three")))
        let other = first.hasPrefix("A") ? "B" : "A"
        #expect(try await client.inbox.next(after: 2) == "\(other):three")

        try await client.channel.close()
        try await h.stop()
        try await a.channel.close()
        try await b.channel.close()
    }

    @Test func clientsAreBalancedAndIdleSessionsExpire() async throws {
        let a = try await udpBackend("A"), b = try await udpBackend("B")
        let h = try await Harness.start(web([a.port, b.port], proto: "UDP")) { $0.userspace.udpIdleTimeout = .milliseconds(100) }
        let vip = try await h.address(webUDP)
        let c1 = try await udpClient(), c2 = try await udpClient()
        try await c1.channel.writeAndFlush(AddressedEnvelope(remoteAddress: vip, data: ByteBuffer(string: "x")))
        let r1 = try await c1.inbox.next(after: 0)
        try await c2.channel.writeAndFlush(AddressedEnvelope(remoteAddress: vip, data: ByteBuffer(string: "y")))
        let r2 = try await c2.inbox.next(after: 0)
        #expect(Set([r1.prefix(1), r2.prefix(1)]) == ["A", "B"])

        let dims = [("service", "ns1/web:http/udp"), ("protocol", "udp")]
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, (try h.metrics.expectMeter("ferry_userspace_proxy_active_connections", dims).lastValue ?? 1) != 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try h.metrics.expectMeter("ferry_userspace_proxy_active_connections", dims).lastValue == 0)
        #expect(try h.metrics.expectCounter("ferry_userspace_proxy_connections_total", dims).totalValue == 2)
        try await c1.channel.close()
        try await c2.channel.close()
        try await h.stop()
        try await a.channel.close()
        try await b.channel.close()
    }
}
