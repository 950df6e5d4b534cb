import DNSCore
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import Synchronization

/// Sends queries for names outside the cluster zone to the upstream servers (CoreDNS `forward`):
/// UDP from a fresh ephemeral port with a random ID, a per-attempt timeout, one retry on the
/// next upstream, and TCP when the UDP answer is truncated. In-flight queries are bounded.
final class Forwarder: Sendable {
    struct Upstream: Sendable, Equatable {
        var address: SocketAddress
        /// `to` label: `ip:port`.
        var label: String
    }

    let timeout: TimeAmount
    let maxInFlight: Int
    let metrics: DNSMetrics
    private let upstreams: NIOLockedValueBox<[Upstream]>
    private let inFlight = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)

    init(timeout: TimeAmount, maxInFlight: Int, metrics: DNSMetrics, upstreams: [Upstream] = []) {
        self.timeout = timeout
        self.maxInFlight = maxInFlight
        self.metrics = metrics
        self.upstreams = NIOLockedValueBox(upstreams)
    }

    /// Replaces the upstream list. Addresses must be IP literals.
    func setUpstreams(_ list: [HostPort]) throws(DNSServerError) {
        var out: [Upstream] = []
        for hp in list {
            guard let addr = try? SocketAddress(ipAddress: hp.host, port: hp.port) else { throw .invalidAddress(hp.description) }
            out.append(Upstream(address: addr, label: hp.description))
        }
        upstreams.withLockedValue { $0 = out }
    }

    var currentUpstreams: [Upstream] { upstreams.withLockedValue { $0 } }
    var inFlightCount: Int { inFlight.load(ordering: .relaxed) }

    /// Resolves `query`'s question upstream. The future (on `loop`) holds the upstream reply as
    /// parsed, or fails with `ForwardError` / an I/O error; the caller restores ID and question.
    func forward(_ query: DNSMessage, on loop: any EventLoop) -> EventLoopFuture<DNSMessage> {
        let list = currentUpstreams
        guard !list.isEmpty, let question = query.questions.first else { return loop.makeFailedFuture(ForwardError.noUpstreams) }
        if inFlight.wrappingAdd(1, ordering: .relaxed).newValue > maxInFlight {
            inFlight.wrappingSubtract(1, ordering: .relaxed)
            metrics.forwardRejects.increment()
            return loop.makeFailedFuture(ForwardError.tooManyInFlight)
        }
        // Round robin over upstreams; the retry goes to the next one (the same one if alone).
        let start = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
        let first = list[start % list.count], second = list[(start + 1) % list.count]
        let dnssecOK = query.edns?.dnssecOK ?? false
        let result = exchange(question, dnssecOK: dnssecOK, rd: query.header.recursionDesired, with: first, on: loop)
            .flatMapError { _ in self.exchange(question, dnssecOK: dnssecOK, rd: query.header.recursionDesired, with: second, on: loop) }
        result.whenComplete { _ in self.inFlight.wrappingSubtract(1, ordering: .relaxed) }
        return result
    }

    /// One attempt against one upstream: UDP, then TCP if the UDP answer has TC.
    private func exchange(_ q: DNSQuestion, dnssecOK: Bool, rd: Bool, with upstream: Upstream, on loop: any EventLoop) -> EventLoopFuture<DNSMessage> {
        // A fresh random ID (and source port) per attempt makes spoofed replies hard to land; we
        // always offer EDNS so answers up to 1232 bytes come back over UDP.
        let msg = DNSMessage(
            header: DNSHeader(id: .random(in: 0...UInt16.max), recursionDesired: rd), questions: [q],
            edns: EDNS(udpPayloadSize: 1232, dnssecOK: dnssecOK))
        let expect = ReplyExpectation(id: msg.header.id, question: q)
        let wire = msg.serialize()
        let started = NIODeadline.now()
        metrics.forwardRequest(to: upstream.label)
        let timeout = self.timeout
        return Self.udpExchange(wire, expect: expect, upstream: upstream.address, timeout: timeout, on: loop)
            .flatMap { reply -> EventLoopFuture<DNSMessage> in
                guard reply.header.isTruncated else { return loop.makeSucceededFuture(reply) }
                return Self.tcpExchange(wire, expect: expect, upstream: upstream.address, timeout: timeout, on: loop)
                    .recover { _ in reply }  // keep the truncated answer: the client can retry over TCP itself
            }
            .map { reply in
                self.metrics.forwardResponse(to: upstream.label, rcode: reply.rcode, nanoseconds: (NIODeadline.now() - started).nanoseconds)
                return reply
            }
    }

    static func udpExchange(
        _ wire: [UInt8], expect: ReplyExpectation, upstream: SocketAddress, timeout: TimeAmount, on loop: any EventLoop
    ) -> EventLoopFuture<DNSMessage> {
        let promise = loop.makePromise(of: DNSMessage.self)
        let bindHost = upstream.protocol == .inet6 ? "::" : "0.0.0.0"
        DatagramBootstrap(group: loop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(UpstreamUDPHandler(expect: expect, upstream: upstream, promise: promise))
                }
            }
            .bind(host: bindHost, port: 0)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let ch):
                    let timer = loop.scheduleTask(in: timeout) { promise.fail(ForwardError.timeout) }
                    promise.futureResult.whenComplete { _ in
                        timer.cancel()
                        ch.close(promise: nil)
                    }
                    let envelope = AddressedEnvelope(remoteAddress: upstream, data: ch.allocator.buffer(bytes: wire))
                    ch.writeAndFlush(envelope).whenFailure { promise.fail($0) }
                }
            }
        return promise.futureResult
    }

    static func tcpExchange(
        _ wire: [UInt8], expect: ReplyExpectation, upstream: SocketAddress, timeout: TimeAmount, on loop: any EventLoop
    ) -> EventLoopFuture<DNSMessage> {
        let promise = loop.makePromise(of: DNSMessage.self)
        let timer = loop.scheduleTask(in: timeout) { promise.fail(ForwardError.timeout) }
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthFieldBasedFrameDecoder(lengthFieldBitLength: .twoBytes)))
                    try ch.pipeline.syncOperations.addHandler(UpstreamTCPHandler(expect: expect, promise: promise))
                }
            }
            .connect(to: upstream)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    promise.fail(error)
                case .success(let ch):
                    promise.futureResult.whenComplete { _ in ch.close(promise: nil) }
                    var buf = ch.allocator.buffer(capacity: wire.count + 2)
                    buf.writeInteger(UInt16(wire.count))
                    buf.writeBytes(wire)
                    ch.writeAndFlush(buf).whenFailure { promise.fail($0) }
                }
            }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }
}

/// What a genuine upstream reply looks like: our random ID, QR set, and our question back
/// (names compare case-insensitively; an error reply may omit the question).
struct ReplyExpectation: Sendable {
    var id: UInt16
    var question: DNSQuestion

    func matches(_ m: DNSMessage) -> Bool {
        guard m.header.isResponse, m.header.id == id else { return false }
        if m.questions.isEmpty { return m.rcode != .noError }
        return m.questions.count == 1 && m.questions[0] == question
    }
}

/// Waits on an ephemeral UDP socket for the one reply to our query. Datagrams from other
/// addresses or with another ID are ignored (they may be spoofing attempts or late replies).
final class UpstreamUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let expect: ReplyExpectation
    let upstream: SocketAddress
    let promise: EventLoopPromise<DNSMessage>

    init(expect: ReplyExpectation, upstream: SocketAddress, promise: EventLoopPromise<DNSMessage>) {
        self.expect = expect
        self.upstream = upstream
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == upstream else { return }
        guard let m = try? envelope.data.withUnsafeReadableBytes({ try DNSMessage(wire: $0) }), expect.matches(m) else { return }
        promise.succeed(m)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors and the like: the timeout (and then the next upstream) takes care of it.
    }
}

/// Reads one length-prefixed reply from an upstream TCP connection.
final class UpstreamTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let expect: ReplyExpectation
    let promise: EventLoopPromise<DNSMessage>

    init(expect: ReplyExpectation, promise: EventLoopPromise<DNSMessage>) {
        self.expect = expect
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let m = try? frame.withUnsafeReadableBytes({ try DNSMessage(wire: $0) }), expect.matches(m) else {
            promise.fail(ForwardError.badReply)
            return
        }
        promise.succeed(m)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ForwardError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
