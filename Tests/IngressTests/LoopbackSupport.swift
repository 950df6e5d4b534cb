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

    private init(name: String, channel: any Channel) {
        self.name = name
        self.channel = channel
    }

    static func start(_ name: String, group: any EventLoopGroup) async throws -> TestBackend {
        let counter = Counter()
        let ch = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
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
            var text = "backend=\(name)\nmethod=\(head.method.rawValue)\nuri=\(head.uri)\n"
            for (n, v) in head.headers { text += "h:\(n.lowercased())=\(v)\n" }
            text += "body=\(String(buffer: body))\n"
            let out = context.channel.allocator.buffer(string: text)
            var headers: HTTPHeaders = ["X-Backend": name, "Content-Length": "\(out.readableBytes)"]
            if head.uri.hasPrefix("/close") { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
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

    static func parse(_ raw: String) -> (TestResponse, rest: String)? {
        guard let end = raw.range(of: "\r\n\r\n") else { return nil }
        let lines = raw[..<end.lowerBound].components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [(String, String)] = []
        for l in lines.dropFirst() {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers.append((String(l[..<c]), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)))
        }
        let rest = raw[end.upperBound...]
        var r = TestResponse(status: status, headers: headers, body: "")
        if let cl = r.header("content-length").flatMap(Int.init) {
            guard rest.utf8.count >= cl else { return nil }
            let bytes = Array(rest.utf8)
            r.body = String(decoding: bytes[..<cl], as: UTF8.self)
            return (r, String(decoding: bytes[cl...], as: UTF8.self))
        }
        if r.header("transfer-encoding") == "chunked" {
            var s = Substring(rest)
            var body = ""
            while true {
                guard let nl = s.range(of: "\r\n"), let n = Int(s[..<nl.lowerBound], radix: 16) else { return nil }
                s = s[nl.upperBound...]
                if n == 0 { return (TestResponse(status: status, headers: headers, body: body), String(s.dropFirst(2))) }
                guard s.utf8.count >= n + 2 else { return nil }
                body += String(s.prefix(n))
                s = s.dropFirst(n + 2)
            }
        }
        if status == 101 || status == 204 || status == 304 { return (r, String(rest)) }
        r.body = String(rest)
        return (r, "")
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
        let collected = Mutex<(bytes: String, closed: Bool)>(("", false))
        let peerCertificate = Mutex<[UInt8]?>(nil)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let box: CollectorBox
        init(box: CollectorBox) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let s = String(buffer: unwrapInboundIn(data))
            box.collected.withLock { $0.bytes += s }
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
                // A close-delimited body is only complete at EOF.
                guard let (r, rest) = TestResponse.parse(c.bytes) else { return nil }
                let delimited = r.header("content-length") != nil || r.header("transfer-encoding") != nil
                    || [101, 204, 304].contains(r.status)
                if !delimited && !c.closed { return nil }
                c.bytes = rest
                return r
            }
            if let got { return got }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestTimeout(what: "response; have \(box.collected.withLock { $0.bytes.prefix(200) })")
    }

    /// Waits (bounded) until at least `count` bytes arrived and consumes them.
    func raw(count: Int, timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let got: String? = box.collected.withLock { c in
                guard c.bytes.utf8.count >= count else { return nil }
                defer { c.bytes = "" }
                return c.bytes
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
