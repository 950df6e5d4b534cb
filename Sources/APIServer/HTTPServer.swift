import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One fully-read HTTP request.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var path: String
    public var query: [String: [String]]
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public func queryValue(_ name: String) -> String? { query[name]?.last }

    init(head: HTTPRequestHead, body: [UInt8]) {
        method = head.method
        uri = head.uri
        headers = head.headers
        self.body = body
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var q: [String: [String]] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func dec(_ s: Substring) -> String {
                    String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
                }
                q[dec(kv[0]), default: []].append(kv.count > 1 ? dec(kv[1]) : "")
            }
        }
        query = q
    }

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.init(head: HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers), body: body)
    }
}

/// What a handler answers: a complete body, or a stream of chunks (watch).
public enum HTTPResult: Sendable {
    case full(status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8])
    /// `produce` is called with a chunk writer and streams until done or cancelled (client gone).
    case stream(status: HTTPResponseStatus, headers: HTTPHeaders, produce: @Sendable (_ write: @escaping ChunkWriter) async throws -> Void)

    public var status: HTTPResponseStatus {
        switch self {
        case .full(let s, _, _), .stream(let s, _, _): return s
        }
    }
}

/// Writes one chunk of a streamed response.
public typealias ChunkWriter = @Sendable ([UInt8]) async throws -> Void

/// Answers requests; the HTTP shell below only moves bytes.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) async -> HTTPResult
}

public enum HTTPServerError: Error, CustomStringConvertible {
    case bind(address: String, reason: String)
    public var description: String {
        switch self {
        case .bind(let a, let r): return "cannot listen on \(a): \(r)"
        }
    }
}

/// A small HTTP/1.1 (optionally TLS) server on SwiftNIO's async channel API.
public final class HTTPServer: Sendable {
    typealias Conn = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    let server: NIOAsyncChannel<Conn, Never>
    let handler: any HTTPHandler
    let logger: Logger
    /// Requests larger than this get 413.
    let maxBody: Int
    public let localAddress: SocketAddress?

    public static func bind(
        host: String, port: Int, tls: NIOSSLContext?, handler: any HTTPHandler,
        group: any EventLoopGroup, logger: Logger, maxBody: Int = 3 * 1024 * 1024
    ) async throws -> HTTPServer {
        let server: NIOAsyncChannel<Conn, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 512)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                        }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try Conn(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let e as IOError {
            let reason = e.errnoCode == EADDRINUSE ? "address already in use" : "\(e)"
            throw HTTPServerError.bind(address: "\(host):\(port)", reason: reason)
        } catch {
            throw HTTPServerError.bind(address: "\(host):\(port)", reason: "\(error)")
        }
        return HTTPServer(server: server, handler: handler, logger: logger, maxBody: maxBody)
    }

    private init(server: NIOAsyncChannel<Conn, Never>, handler: any HTTPHandler, logger: Logger, maxBody: Int) {
        self.server = server
        self.handler = handler
        self.logger = logger
        self.maxBody = maxBody
        self.localAddress = server.channel.localAddress
    }

    /// Serves until cancelled.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await conn in inbound {
                    group.addTask { await self.serve(conn) }
                }
            }
        }
    }

    public func close() async {
        try? await server.channel.close()
    }

    private func serve(_ conn: Conn) async {
        let channel = conn.channel
        do {
            try await conn.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let h):
                        head = h
                        body = []
                        tooLarge = false
                    case .body(var buf):
                        if body.count + buf.readableBytes > maxBody { tooLarge = true; continue }
                        body.append(contentsOf: buf.readBytes(length: buf.readableBytes) ?? [])
                    case .end:
                        guard let h = head else { continue }
                        head = nil
                        let keepAlive = h.isKeepAlive
                        let result: HTTPResult
                        if tooLarge {
                            var hd = HTTPHeaders()
                            hd.add(name: "Content-Type", value: "application/json")
                            let msg = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large","reason":"RequestEntityTooLarge","code":413}"#
                            result = .full(status: .payloadTooLarge, headers: hd, body: Array(msg.utf8))
                        } else {
                            result = await handler.handle(HTTPRequest(head: h, body: body))
                        }
                        switch result {
                        case .full(let status, var headers, let bytes):
                            headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
                            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
                            try await outbound.write(.head(HTTPResponseHead(version: h.version, status: status, headers: headers)))
                            if !bytes.isEmpty {
                                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                            }
                            try await outbound.write(.end(nil))
                            if !keepAlive { return }
                        case .stream(let status, var headers, let produce):
                            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
                            try await outbound.write(.head(HTTPResponseHead(version: h.version, status: status, headers: headers)))
                            // Stop streaming as soon as the client goes away.
                            let (closed, closedCont) = AsyncStream<Void>.makeStream()
                            channel.closeFuture.whenComplete { _ in closedCont.finish() }
                            try await withThrowingTaskGroup(of: Void.self) { g in
                                g.addTask {
                                    for await _ in closed {}
                                    throw CancellationError()
                                }
                                g.addTask {
                                    try await produce { chunk in
                                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
                                    }
                                    try await outbound.write(.end(nil))
                                }
                                _ = try await g.next()
                                g.cancelAll()
                            }
                        }
                    }
                }
            }
        } catch {
            logger.trace("connection ended: \(error)")
        }
    }
}
