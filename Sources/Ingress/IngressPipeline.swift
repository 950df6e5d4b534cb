import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import NIOTLS

/// Channel pipelines for accepted connections. Static so tests configure `EmbeddedChannel`s exactly like the
/// listeners do.
enum IngressPipeline {
    /// HTTP/1.1: encoder (framing decided by the proxy), decoder with header limits, request pipelining, proxy.
    static func configureHTTP1(_ channel: Channel, environment env: ProxyEnvironment, pool: UpstreamPool) throws {
        let sync = channel.pipeline.syncOperations
        var encoder = HTTPResponseEncoder.Configuration()
        encoder.automaticallySetFramingHeaders = false
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = env.limits.maxHeaderBytes
        limits.maxHeaderFieldSize = env.limits.maxHeaderBytes
        limits.maxHeaderFieldCount = 200
        try sync.addHandler(HTTPResponseEncoder(configuration: encoder), name: "http-encoder")
        try sync.addHandler(
            ByteToMessageHandler(
                HTTPRequestDecoder(
                    leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .drop,
                    limitConfiguration: limits)), name: "http-decoder")
        try sync.addHandler(HTTPServerPipelineHandler(), name: "http-pipelining")
        try sync.addHandler(ProxyHandler(environment: env, pool: pool), name: "proxy")
    }

    /// TLS with SNI certificate selection (in `tls`'s context callback), then HTTP/2 or HTTP/1.1 by ALPN.
    static func configureTLS(
        _ channel: Channel, tls: NIOSSLContext, environment env: ProxyEnvironment, pool: UpstreamPool
    ) -> EventLoopFuture<Void> {
        do {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(NIOSSLServerHandler(context: tls))
            try sync.addHandler(HandshakeTimeoutHandler(timeout: TimeAmount(env.limits.headerReadTimeout)))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        var tlsEnv = env
        tlsEnv.isTLS = true
        tlsEnv.isHTTP2 = false
        let h1 = tlsEnv
        tlsEnv.isHTTP2 = true
        let h2 = tlsEnv
        return channel.configureHTTP2SecureUpgrade(
            h2ChannelConfigurator: { channel in
                channel.eventLoop.makeCompletedFuture { try configureHTTP2(channel, environment: h2, pool: pool) }
            },
            http1ChannelConfigurator: { channel in
                channel.eventLoop.makeCompletedFuture { try configureHTTP1(channel, environment: h1, pool: pool) }
            })
    }

    /// HTTP/2 connection: a silence timeout (also covers clients that never open a stream), the h2 handler with one
    /// `ProxyHandler` per stream behind the HTTP/1 codec, and connection management (GOAWAY on shutdown).
    static func configureHTTP2(_ channel: Channel, environment env: ProxyEnvironment, pool: UpstreamPool) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(IdleCloseHandler(timeout: TimeAmount(env.limits.idleTimeout)))
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 128),
            HTTP2Setting(parameter: .maxHeaderListSize, value: env.limits.maxHeaderBytes),
            HTTP2Setting(parameter: .initialWindowSize, value: 65_535),
        ]
        // Sends GOAWAY on quiesce (shutdown) and closes connections idle without open streams.
        let management = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(
                maxIdleTime: TimeAmount(env.limits.idleTimeout), maxAge: nil, maxGraceTime: nil, keepalive: nil))
        _ = try sync.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: .init(),
            streamDelegate: management.http2StreamDelegate
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let s = stream.pipeline.syncOperations
                try s.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                try s.addHandler(ProxyHandler(environment: env, pool: pool), name: "proxy")
            }
        }
        try sync.addHandler(management)
    }
}

/// Closes a connection whose TLS handshake does not finish in time (a slowloris on the handshake never reaches
/// the HTTP timeouts).
final class HandshakeTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var task: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        task = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e {
            task?.cancel()
            task = nil
            // After forwarding: the ALPN handler behind us must see the event.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}

/// Closes a connection after `timeout` without reads or writes (HTTP/2 keep-alive idle timeout).
final class IdleCloseHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private let timeout: TimeAmount
    private var last = NIODeadline.now()
    private var task: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) { schedule(context, in: timeout) }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
        task = nil
    }

    private func schedule(_ context: ChannelHandlerContext, in delay: TimeAmount) {
        task = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [weak self] in
            guard let self else { return }
            let idle = NIODeadline.now() - self.last
            if idle >= self.timeout {
                context.close(promise: nil)
            } else {
                self.schedule(context, in: self.timeout - idle)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        last = .now()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        last = .now()
        context.write(data, promise: promise)
    }
}
