import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

@testable import Ingress

/// A tiny HTTP/1.1 backend on 127.0.0.1: answers every request with `X-Backend: <name>` and a body listing the
/// request line, headers (`h:name=value`, lowercased names) and body, so tests can see what the proxy sent.
/// `Upgrade: websocket` requests get a 101 and then an echo of raw bytes.
final class TestBackend: Sendable {
    let name: String
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }
    let requests = Atomic<Int>(0)
    let connections = Atomic<Int>(0)

    private init(name: String, channel: any Channel) {
        self.name = name
        self.channel = channel
    }

    static func start(_ name: String, group: any EventLoopGroup, tls: NIOSSLContext? = nil) async throws -> TestBackend
    {
        let counter = Counter()
        let ch = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counter.backend?.connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
                    try sync.addHandler(HTTPResponseEncoder(), name: "enc")
                    try sync.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)), name: "dec")
                    try sync.addHandler(BackendHandler(name: name, counter: counter), name: "app")
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let b = TestBackend(name: name, channel: ch)
        counter.backend = b
        return b
    }

    func stop() async { try? await channel.close() }

    final class Counter: @unchecked Sendable {
        weak var backend: TestBackend?
    }
}

private final class BackendHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let name: String
    let counter: TestBackend.Counter
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(name: String, counter: TestBackend.Counter) {
        self.name = name
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var b): body.writeBuffer(&b)
        case .end:
            guard let head else { return }
            counter.backend?.requests.add(1, ordering: .relaxed)
            if head.headers["upgrade"].first?.lowercased() == "websocket" {
                return upgrade(context, head)
            }
            if head.uri.hasPrefix("/slow") {
                // Never answers: exercises the proxy's read timeout.
                return
            }
            if head.uri.hasPrefix("/big/"), let n = Int(head.uri.dropFirst(5)) {
                return big(context, bytes: n, chunked: false)
            }
            if head.uri.hasPrefix("/chunked/"), let n = Int(head.uri.dropFirst(9)) {
                return big(context, bytes: n, chunked: true)
            }
            if head.uri.hasPrefix("/size") {
                let text = "size=\(body.readableBytes)\n"
                let headers: HTTPHeaders = ["X-Backend": name, "Content-Length": "\(text.utf8.count)"]
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            var text = "backend=\(name)\nmethod=\(head.method.rawValue)\nuri=\(head.uri)\n"
            for (n, v) in head.headers { text += "h:\(n.lowercased())=\(v)\n" }
            text += "body=\(String(buffer: body))\n"
            let out = context.channel.allocator.buffer(string: text)
            var headers: HTTPHeaders = ["X-Backend": name, "Content-Length": "\(out.readableBytes)"]
            if head.uri.hasPrefix("/close") { headers.add(name: "Connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil
            )
            context.write(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// `n` bytes of a repeating alphabet in 64 KiB writes, with Content-Length or chunked.
    private func big(_ context: ChannelHandlerContext, bytes n: Int, chunked: Bool) {
        var headers: HTTPHeaders = ["X-Backend": name]
        if !chunked { headers.add(name: "Content-Length", value: "\(n)") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        var left = n
        let chunk = ByteBuffer(bytes: (0..<65_536).map { UInt8(ascii: "a") + UInt8($0 % 26) })
        while left > 0 {
            let k = min(left, chunk.readableBytes)
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk.getSlice(at: 0, length: k)!))), promise: nil)
            left -= k
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func upgrade(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let headers: HTTPHeaders = ["Upgrade": "websocket", "Connection": "Upgrade", "X-Backend": name]
        let channel = context.channel
        context.writeAndFlush(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers)))
        ).assumeIsolated().whenSuccess {
            let sync = channel.pipeline.syncOperations
            do {
                try sync.addHandler(EchoHandler())
                sync.removeHandler(name: "enc", promise: nil)
                sync.removeHandler(name: "app", promise: nil)
                sync.removeHandler(name: "dec", promise: nil)
            } catch {
                channel.close(promise: nil)
            }
        }
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var b = unwrapInboundIn(data)
        var out = context.channel.allocator.buffer(string: "echo:")
        out.writeBuffer(&b)
        context.writeAndFlush(NIOAny(out), promise: nil)
    }
}

/// A parsed HTTP/1.1 response (Content-Length or close-delimited body; chunked bodies are de-chunked).
struct TestResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// `h:name=value` lines the test backend echoed.
    func upstreamHeader(_ name: String) -> [String] {
        body.split(separator: "\n").compactMap { line in
            let prefix = "h:\(name.lowercased())="
            return line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : nil
        }
    }

    var backend: String? { header("X-Backend") }

    /// Parses one response from the front of `raw`; nil when incomplete. `closed` completes close-delimited
    /// bodies. Returns the bytes consumed.
    static func parse(_ raw: [UInt8], closed: Bool) -> (TestResponse, consumed: Int)? {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let end = find(crlf2, in: raw, from: 0) else { return nil }
        let headText = String(decoding: raw[..<end], as: UTF8.self)
        let lines = headText.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [(String, String)] = []
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers.append((String(l[..<c]), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)))
        }
        var r = TestResponse(status: status, headers: headers, body: "")
        let bodyStart = end + 4
        if let cl = r.header("content-length").flatMap(Int.init) {
            guard raw.count - bodyStart >= cl else { return nil }
            r.body = String(decoding: raw[bodyStart..<(bodyStart + cl)], as: UTF8.self)
            return (r, bodyStart + cl)
        }
        if r.header("transfer-encoding") == "chunked" {
            var i = bodyStart
            var body: [UInt8] = []
            while true {
                guard let nl = find([13, 10], in: raw, from: i),
                    let n = Int(String(decoding: raw[i..<nl], as: UTF8.self), radix: 16)
                else { return nil }
                i = nl + 2
                if n == 0 {
                    guard raw.count >= i + 2 else { return nil }
                    r.body = String(decoding: body, as: UTF8.self)
                    return (r, i + 2)
                }
                guard raw.count >= i + n + 2 else { return nil }
                body += raw[i..<(i + n)]
                i += n + 2
            }
        }
        if status == 101 || status == 204 || status == 304 { return (r, bodyStart) }
        guard closed else { return nil }
        r.body = String(decoding: raw[bodyStart...], as: UTF8.self)
        return (r, raw.count)
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = from
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}

/// A raw TCP (optionally TLS) client that collects everything the server sends.
final class TestClient: @unchecked Sendable {
    let channel: any Channel
    private let box: CollectorBox
    /// DER of the certificate the server presented (TLS only).
    var peerCertificate: [UInt8]? { box.peerCertificate.withLock { $0 } }

    private init(channel: any Channel, box: CollectorBox) {
        self.channel = channel
        self.box = box
    }

    static func connect(
        port: Int, group: any EventLoopGroup, tlsServerName: String? = nil, alpn: [String] = ["http/1.1"]
    ) async throws -> TestClient {
        let box = CollectorBox()
        let tlsContext: NIOSSLContext? = try tlsServerName.map { _ in
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateVerification = .none
            c.applicationProtocols = alpn
            return try NIOSSLContext(configuration: c)
        }
        let ch = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        let handler = try NIOSSLClientHandler(
                            context: tlsContext, serverHostname: tlsServerName,
                            customVerificationCallback: { certs, promise in
                                box.peerCertificate.withLock { $0 = try? certs.first?.toDERBytes() }
                                promise.succeed(.certificateVerified)
                            })
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(Collector(box: box))
                }
            }
            .connect(to: SocketAddress(ipAddress: "127.0.0.1", port: port)).get()
        return TestClient(channel: ch, box: box)
    }

    final class CollectorBox: @unchecked Sendable {
        let collected = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
        let peerCertificate = Mutex<[UInt8]?>(nil)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let box: CollectorBox
        init(box: CollectorBox) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let b = unwrapInboundIn(data)
            box.collected.withLock { $0.bytes += b.readableBytesView }
        }
        func channelInactive(context: ChannelHandlerContext) { box.collected.withLock { $0.closed = true } }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    func send(_ s: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: s))
    }

    var isClosed: Bool { box.collected.withLock { $0.closed } }

    /// Waits (bounded) for one complete response and consumes it.
    func response(timeout: Duration = .seconds(10)) async throws -> TestResponse {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let got: TestResponse? = box.collected.withLock { c in
                guard let (r, consumed) = TestResponse.parse(c.bytes, closed: c.closed) else { return nil }
                c.bytes.removeFirst(consumed)
                return r
            }
            if let got { return got }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestTimeout(
            what: "response; have \(box.collected.withLock { String(decoding: $0.bytes.prefix(200), as: UTF8.self) })")
    }

    /// Waits (bounded) until at least `count` bytes arrived and consumes them.
    func raw(count: Int, timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let got: String? = box.collected.withLock { c in
                guard c.bytes.count >= count else { return nil }
                defer { c.bytes = [] }
                return String(decoding: c.bytes, as: UTF8.self)
            }
            if let got { return got }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestTimeout(what: "\(count) bytes")
    }

    func waitClosed(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isClosed { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestTimeout(what: "close")
    }

    func close() async { try? await channel.close() }
}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// One request on a fresh connection (`Connection: close`).
func fetch(
    port: Int, group: any EventLoopGroup, host: String, path: String = "/", method: String = "GET",
    headers: [String] = [], body: String? = nil, tlsServerName: String? = nil
) async throws -> TestResponse {
    let c = try await TestClient.connect(port: port, group: group, tlsServerName: tlsServerName)
    var req = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
    for h in headers { req += h + "\r\n" }
    if let body { req += "Content-Length: \(body.utf8.count)\r\n" }
    req += "\r\n" + (body ?? "")
    try await c.send(req)
    let r = try await c.response()
    await c.close()
    return r
}

/// An IngressServer on 127.0.0.1 ephemeral ports, run in the background of `body`, cancelled afterwards.
func withIngress<T>(
    _ source: FakeClusterSource, group: any EventLoopGroup, https: Bool = false,
    defaultCertificate: IngressServerConfiguration.PEMCertificate? = nil,
    limits: IngressServerConfiguration.Limits = .init(),
    _ body: (IngressServer, _ httpPort: Int, _ httpsPort: Int?) async throws -> T
) async throws -> T {
    var config = IngressServerConfiguration(
        httpListeners: [.init(host: "127.0.0.1", port: 0)],
        httpsListeners: https ? [.init(host: "127.0.0.1", port: 0)] : [], defaultCertificate: defaultCertificate,
        limits: limits)
    config.shutdownGracePeriod = .seconds(2)
    let server = IngressServer(configuration: config, source: source, logger: testLogger(), eventLoopGroup: group)
    try await server.bind()
    let http = server.boundListeners.first { !$0.isTLS }!.port
    let tls = server.boundListeners.first { $0.isTLS }?.port
    return try await withThrowingTaskGroup(of: Void.self) { g in
        g.addTask { try await server.run() }
        defer { g.cancelAll() }
        return try await body(server, http, tls)
    }
}

/// A port on 127.0.0.1 with nothing listening (bound, then closed).
func deadPort(group: any EventLoopGroup) async throws -> Int {
    let ch = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
    let port = ch.localAddress!.port!
    try await ch.close()
    return port
}
