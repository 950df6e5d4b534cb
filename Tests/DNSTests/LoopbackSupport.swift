import DNSCore
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix

/// A tiny upstream DNS server on 127.0.0.1 (UDP and TCP on one ephemeral port) that answers any
/// question with `A 93.184.216.34`, TTL 60, and counts what it receives.
final class FakeUpstream: Sendable {
    enum Mode: Sendable {
        case answer
        /// Never replies (for timeouts).
        case silent
        /// UDP replies are empty with TC set; TCP gives the full answer.
        case truncateUDP
        /// NXDOMAIN with an SOA (negative caching).
        case nxdomain
    }

    static let address = IPv4Address(93, 184, 216, 34)

    let mode: Mode
    private let counts = NIOLockedValueBox((udp: 0, tcp: 0, names: [String]()))
    private let channels = NIOLockedValueBox([any Channel]())
    private(set) var port: Int {
        get { portBox.withLockedValue { $0 } }
        set { portBox.withLockedValue { $0 = newValue } }
    }
    private let portBox = NIOLockedValueBox(0)

    init(mode: Mode = .answer) { self.mode = mode }

    var udpQueries: Int { counts.withLockedValue { $0.udp } }
    var tcpQueries: Int { counts.withLockedValue { $0.tcp } }
    var names: [String] { counts.withLockedValue { $0.names } }

    func start(group: any EventLoopGroup) async throws {
        // The UDP port is ephemeral and may be taken for TCP (tests run in parallel): retry.
        var lastError: (any Error)?
        for _ in 0..<10 {
            let udp = try await DatagramBootstrap(group: group)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(UDPSide(upstream: self)) } }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = udp.localAddress!.port!
            do {
                let tcp = try await ServerBootstrap(group: group)
                    .childChannelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
                            try ch.pipeline.syncOperations.addHandler(TCPSide(upstream: self))
                        }
                    }
                    .bind(host: "127.0.0.1", port: port).get()
                self.port = port
                channels.withLockedValue { $0 = [udp, tcp] }
                return
            } catch {
                lastError = error
                try? await udp.close()
            }
        }
        throw lastError!
    }

    func stop() async {
        for ch in channels.withLockedValue({ $0 }) { try? await ch.close() }
    }

    func answer(_ bytes: ByteBuffer, tcp: Bool) -> [UInt8]? {
        guard let q = try? bytes.withUnsafeReadableBytes({ try DNSMessage(wire: $0) }), let question = q.questions.first else { return nil }
        counts.withLockedValue {
            if tcp { $0.tcp += 1 } else { $0.udp += 1 }
            $0.names.append(question.name.description)
        }
        var r = q
        r.header.isResponse = true
        r.header.recursionAvailable = true
        switch mode {
        case .silent:
            return nil
        case .truncateUDP where !tcp:
            r.header.isTruncated = true
        case .nxdomain:
            r.rcode = .nxDomain
            r.authorities = [
                ResourceRecord(
                    name: "example.org.", ttl: 60,
                    data: .soa(SOAData(mname: "ns.example.org.", rname: "h.example.org.", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 20)))
            ]
        case .answer, .truncateUDP:
            r.answers = [ResourceRecord(name: question.name, ttl: 60, data: .a(Self.address))]
        }
        return r.serialize()
    }

    final class UDPSide: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let upstream: FakeUpstream
        init(upstream: FakeUpstream) { self.upstream = upstream }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let env = unwrapInboundIn(data)
            guard let out = upstream.answer(env.data, tcp: false) else { return }
            context.writeAndFlush(
                wrapOutboundOut(AddressedEnvelope(remoteAddress: env.remoteAddress, data: context.channel.allocator.buffer(bytes: out))),
                promise: nil)
        }
    }

    final class TCPSide: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let upstream: FakeUpstream
        init(upstream: FakeUpstream) { self.upstream = upstream }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let out = upstream.answer(unwrapInboundIn(data), tcp: true) else { return }
            var b = context.channel.allocator.buffer(capacity: out.count + 2)
            b.writeInteger(UInt16(out.count))
            b.writeBytes(out)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        }
    }
}

enum ClientError: Error {
    case timeout
    case closed
}

/// A plain DNS client for tests: one UDP datagram or one TCP exchange, raw bytes back.
enum TestClient {
    static func udp(_ query: [UInt8], to port: Int, group: any EventLoopGroup, timeout: TimeAmount = .seconds(30)) async throws -> [UInt8] {
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let ch = try await DatagramBootstrap(group: loop)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Collect(promise: promise)) } }
            .bind(host: "127.0.0.1", port: 0).get()
        let timer = loop.scheduleTask(in: timeout) { promise.fail(ClientError.timeout) }
        let to = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        try await ch.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: ByteBuffer(bytes: query)))
        defer {
            timer.cancel()
            ch.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }

    static func tcp(_ query: [UInt8], to port: Int, group: any EventLoopGroup, timeout: TimeAmount = .seconds(30)) async throws -> [UInt8] {
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let ch = try await ClientBootstrap(group: loop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
                    try ch.pipeline.syncOperations.addHandler(CollectFrame(promise: promise))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let timer = loop.scheduleTask(in: timeout) { promise.fail(ClientError.timeout) }
        var b = ByteBuffer()
        b.writeInteger(UInt16(query.count))
        b.writeBytes(query)
        try await ch.writeAndFlush(b)
        defer {
            timer.cancel()
            ch.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }

    final class Collect: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let promise: EventLoopPromise<[UInt8]>
        init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            promise.succeed(Array(unwrapInboundIn(data).data.readableBytesView))
        }
    }

    final class CollectFrame: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<[UInt8]>
        init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            promise.succeed(Array(unwrapInboundIn(data).readableBytesView))
        }
        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ClientError.closed)
        }
    }
}
