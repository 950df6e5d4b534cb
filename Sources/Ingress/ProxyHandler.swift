import IngressCore
import Logging
import NIOCore
import NIOHTTP1

/// What a downstream connection's handlers share: the routing store, limits, and injected clock/randomness.
struct ProxyEnvironment: Sendable {
    var routing: RoutingStore
    var limits: IngressServerConfiguration.Limits
    var serverName: String
    var isTLS: Bool
    var isHTTP2: Bool
    var metrics: ProxyMetrics
    var logger: Logger
    /// Wall-clock seconds for the `Date` header.
    var epochSeconds: @Sendable () -> Int64
    var makeRequestID: @Sendable () -> String
    /// Uniform in [0, 1), for canary weights.
    var random: @Sendable () -> Double
}

/// One request being proxied: everything decided at head time plus the progress of both sides.
final class Exchange {
    let method: HTTPMethod
    let version: HTTPVersion
    let keepAlive: Bool
    let isWebSocket: Bool
    let upstreamHead: HTTPRequestHead
    let backend: Backend
    let labels: ProxyMetrics.Labels
    let options: RouteOptions
    let maxBody: Int64?
    let start: NIODeadline
    let extraResponseHeaders: [(String, String)]
    let idempotent: Bool

    var bodyReceived: Int64 = 0
    var requestComplete = false
    var requestTrailers: HTTPHeaders?
    /// Parts waiting for an upstream connection.
    var pending: [HTTPClientRequestPart] = []
    /// Body kept for a retry; nil once it outgrew the replay limit (or the method is not idempotent).
    var replay: [ByteBuffer]?
    var replayBytes = 0
    var upstream: UpstreamConnection?
    var endSent = false
    var tried: Set<UpstreamEndpoint> = []
    var attempts = 0
    var sendRetries = 0
    var lastEndpoint: UpstreamEndpoint?
    var responseStarted = false
    var responseHasBody = true
    var responseCloseAfter = false
    var upstreamKeepAlive = false
    var responseBytes = 0
    var status = 0
    var readTimer: Scheduled<Void>?
    var finished = false

    /// Ends the exchange without returning its upstream connection to the pool: stops the read
    /// timer and closes the connection (its handler no longer reports to us).
    func abandon() {
        finished = true
        readTimer?.cancel()
        if let c = upstream {
            upstream = nil
            c.handler.delegate = nil
            c.channel.close(promise: nil)
        }
    }

    init(
        method: HTTPMethod, version: HTTPVersion, keepAlive: Bool, isWebSocket: Bool, upstreamHead: HTTPRequestHead,
        backend: Backend, labels: ProxyMetrics.Labels, options: RouteOptions, maxBody: Int64?, start: NIODeadline,
        extraResponseHeaders: [(String, String)]
    ) {
        self.method = method
        self.version = version
        self.keepAlive = keepAlive
        self.isWebSocket = isWebSocket
        self.upstreamHead = upstreamHead
        self.backend = backend
        self.labels = labels
        self.options = options
        self.maxBody = maxBody
        self.start = start
        self.extraResponseHeaders = extraResponseHeaders
        switch method {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: idempotent = true
        default: idempotent = false
        }
        replay = idempotent ? [] : nil
    }
}

/// The downstream side of the reverse proxy, one per HTTP/1 connection or HTTP/2 stream: validates and routes
/// each request through `IngressCore`, answers locally (errors, redirects, CORS, 403) or streams it to a pooled
/// upstream connection and the response back, with backpressure both ways. Everything runs on one event loop.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        /// Waiting for a request head.
        case idle
        /// A local answer was written; drop the rest of the request, then idle (or close).
        case discarding(keepAlive: Bool)
        case proxying(Exchange)
        /// 101 forwarded; handlers are being swapped for a byte tunnel.
        case tunnel
        /// Closing after the current write; ignore input.
        case closing
    }

    private let env: ProxyEnvironment
    private let pool: UpstreamPool
    private var context: ChannelHandlerContext?
    private var state: State = .idle
    private var requestsServed = 0
    private var timer: Scheduled<Void>?
    private var pendingRead = false
    private var clientAddress: String?
    private var listenerPort: Int?

    init(environment: ProxyEnvironment, pool: UpstreamPool) {
        self.env = environment
        self.pool = pool
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        clientAddress = context.channel.remoteAddress?.ipAddress
        listenerPort = context.channel.localAddress?.port
        armIdleTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if clientAddress == nil { clientAddress = context.channel.remoteAddress?.ipAddress }
        if listenerPort == nil { listenerPort = context.channel.localAddress?.port }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        if case .proxying(let ex) = state, !ex.finished {
            ex.abandon()
            // nginx logs 499 when the client goes away before the response is complete.
            record(ex.labels, status: ex.responseStarted ? ex.status : 499, start: ex.start, bytes: ex.responseBytes)
        }
        state = .closing
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .idle = state else {
                // The pipelining handler serialises requests; anything else is a protocol violation.
                if case .closing = state { return }
                context.close(promise: nil)
                return
            }
            cancelTimer()
            startRequest(context, head)
        case .body(let buffer):
            if case .proxying(let ex) = state, !ex.finished { receiveBody(context, ex, buffer) }
        case .end(let trailers):
            switch state {
            case .proxying(let ex) where !ex.finished: receiveEnd(context, ex, trailers)
            case .discarding(let keepAlive):
                if keepAlive {
                    state = .idle
                    armIdleTimer()
                } else {
                    state = .closing
                }
            default: break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxying(let ex) = state, let c = ex.upstream { c.channel.flush() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .proxying(let ex) = state, let c = ex.upstream {
            c.handler.setReadsPaused(false, context: c.channel)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parse = error as? HTTPParserError {
            let status: HTTPResponseStatus = parse == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
            switch state {
            case .idle:
                env.logger.debug("rejecting malformed request", metadata: ["error": "\(parse)"])
                respondLocal(
                    context, version: .http1_1, method: .GET, .errorPage(status, serverName: env.serverName),
                    keepAlive: false, requestComplete: false, labels: ProxyMetrics.Labels(), start: .now())
                return
            case .proxying(let ex) where !ex.finished && !ex.responseStarted:
                // A malformed chunk in a body being streamed: abandon the upstream, answer 400.
                fail(context, ex, status: .badRequest, keepAlive: false)
                return
            default: break
            }
        }
        state = .closing
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if downstreamReadsPaused {
            pendingRead = true
        } else {
            context.read()
        }
    }

    /// Reads stop while a request waits for its upstream connection or the upstream cannot take more bytes.
    private var downstreamReadsPaused: Bool {
        guard case .proxying(let ex) = state, !ex.finished, !ex.requestComplete else { return false }
        guard let c = ex.upstream else { return true }
        return !c.channel.isWritable
    }

    private func updateReads() {
        guard let context, pendingRead, !downstreamReadsPaused else { return }
        pendingRead = false
        context.read()
    }

    // MARK: Request head

    private func startRequest(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let start = NIODeadline.now()
        let noRoute = ProxyMetrics.Labels(route: nil, ingress: nil, service: nil, method: head.method)
        let framing: RequestValidation.Framing
        switch RequestValidation.validate(head, isHTTP2: env.isHTTP2) {
        case .failure(let r):
            env.logger.debug("rejecting request", metadata: ["reason": "\(r.reason)"])
            respondLocal(
                context, version: head.version, method: head.method, .errorPage(r.status, serverName: env.serverName),
                keepAlive: false, requestComplete: false, labels: noRoute, start: start)
            return
        case .success(let f): framing = f
        }
        let hasBody = framing != .none
        // A local answer to a request with a body closes the connection rather than reading the body to discard it.
        let keepAlive = !env.isHTTP2 && head.isKeepAlive
        let localKeepAlive = keepAlive && !hasBody
        let host = head.headers.first(name: "host") ?? ""
        guard PathMatching.normalizePath(head.uri) != nil else {
            respondLocal(
                context, version: head.version, method: head.method,
                .errorPage(.badRequest, serverName: env.serverName), keepAlive: false, requestComplete: false,
                labels: noRoute, start: start)
            return
        }
        guard let match = env.routing.current.table.match(host: host, path: head.uri) else {
            respondLocal(
                context, version: head.version, method: head.method, .errorPage(.notFound, serverName: env.serverName),
                keepAlive: localKeepAlive, requestComplete: false, labels: noRoute, start: start)
            return
        }
        var labels = ProxyMetrics.Labels(
            route: match, ingress: match.ingress, service: match.backend.service, method: head.method)
        func local(_ r: LocalResponse, keepAlive k: Bool = localKeepAlive) {
            respondLocal(
                context, version: head.version, method: head.method, r, keepAlive: k, requestComplete: false,
                labels: labels, start: start)
        }
        let origin = head.headers.first(name: "origin")
        let decision = match.decide(
            RequestContext(
                isHTTPS: env.isTLS, method: head.method.rawValue, hostHeader: host, requestURI: head.uri,
                clientAddress: clientAddress ?? ""))
        switch decision {
        case .redirect(let status, let location):
            return local(.redirect(status: status, location: location, serverName: env.serverName))
        case .forbidden:
            return local(.errorPage(.forbidden, serverName: env.serverName))
        case .corsPreflight:
            // Preflights from origins outside the policy go to the backend, as ingress-nginx's `$cors` check does.
            if let policy = match.options.cors, let origin, let allowed = policy.allowedOrigin(for: origin) {
                return local(.corsPreflight(policy, allowedOrigin: allowed))
            }
        case .proxy: break
        }
        if let auth = match.options.basicAuth,
            !BasicAuthCheck.verify(authorization: head.headers.first(name: "authorization"), auth)
        {
            return local(.unauthorized(realm: auth.realm, serverName: env.serverName))
        }
        let maxBody = effectiveMaxBody(match.options)
        if case .contentLength(let n) = framing, let maxBody, n > maxBody {
            return local(.errorPage(.payloadTooLarge, serverName: env.serverName), keepAlive: false)
        }
        var backend = match.backend
        if match.canary != nil {
            let pick = match.backend(
                for: CanaryRequest(headers: head.headers.map { ($0.name, $0.value) }), random: env.random())
            backend = pick.backend
            labels = ProxyMetrics.Labels(
                route: match, ingress: pick.ingress, service: backend.service, method: head.method)
        }
        if backend.endpoints.isEmpty && backend.terminatingEndpoints.isEmpty {
            return local(.errorPage(.serviceUnavailable, serverName: env.serverName))
        }
        if match.options.backendProtocol == .grpc {
            // gRPC needs HTTP/2 upstream, which this proxy does not speak.
            return local(.errorPage(.badGateway, serverName: env.serverName))
        }
        let isWebSocket = !env.isHTTP2 && ProxyHeaders.isWebSocketUpgrade(head)
        var uri = head.uri
        if let rewritten = match.rewrittenPath {
            uri = rewritten
            if let q = head.uri.firstIndex(of: "?") { uri += head.uri[q...] }
        }
        let requestID =
            head.headers.first(name: "x-request-id").flatMap { Self.isUsableRequestID($0) ? $0 : nil }
            ?? env.makeRequestID()
        let upstreamHead = ProxyHeaders.upstreamRequest(
            head,
            .init(
                clientAddress: clientAddress, isTLS: env.isTLS, listenerPort: listenerPort, requestID: requestID,
                hostOverride: match.options.upstreamVhost, uri: uri, isWebSocket: isWebSocket))
        var extra: [(String, String)] = []
        if let policy = match.options.cors, let origin, let allowed = policy.allowedOrigin(for: origin) {
            extra = CORSHeaders.response(policy, allowedOrigin: allowed)
        }
        let ex = Exchange(
            method: head.method, version: head.version,
            // The HTTP/1 decoder stops parsing after an upgrade request, so the connection cannot carry another.
            keepAlive: keepAlive && !isWebSocket, isWebSocket: isWebSocket, upstreamHead: upstreamHead,
            backend: backend, labels: labels, options: match.options, maxBody: maxBody, start: start,
            extraResponseHeaders: extra)
        ex.pending.append(.head(upstreamHead))
        state = .proxying(ex)
        if hasBody { armBodyTimer(ex) }
        if !env.isHTTP2, head.version == .http1_1,
            head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" })
        {
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
        }
        connectNext(ex)
    }

    private func effectiveMaxBody(_ o: RouteOptions) -> Int64? {
        // The Ingress default (no annotation) defers to the configured limit; an explicit annotation wins.
        o.maxBodyBytes == RouteOptions().maxBodyBytes ? env.limits.maxBodyBytes : o.maxBodyBytes
    }

    static func isUsableRequestID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 128 && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    // MARK: Request body

    private func receiveBody(_ context: ChannelHandlerContext, _ ex: Exchange, _ buffer: ByteBuffer) {
        ex.bodyReceived += Int64(buffer.readableBytes)
        if let max = ex.maxBody, ex.bodyReceived > max {
            if ex.responseStarted {
                abort(context, ex)
            } else {
                fail(context, ex, status: .payloadTooLarge, keepAlive: false)
            }
            return
        }
        if ex.replay != nil {
            ex.replayBytes += buffer.readableBytes
            if ex.replayBytes <= env.limits.maxReplayBodyBytes {
                ex.replay?.append(buffer)
            } else {
                ex.replay = nil
            }
        }
        if let c = ex.upstream {
            c.channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
        } else {
            ex.pending.append(.body(.byteBuffer(buffer)))
        }
        armBodyTimer(ex)
    }

    private func receiveEnd(_ context: ChannelHandlerContext, _ ex: Exchange, _ trailers: HTTPHeaders?) {
        ex.requestComplete = true
        ex.requestTrailers = trailers
        cancelTimer()
        if let c = ex.upstream {
            c.channel.writeAndFlush(HTTPClientRequestPart.end(trailers), promise: nil)
            ex.endSent = true
            armReadTimer(ex)
        } else {
            ex.pending.append(.end(trailers))
        }
    }

    // MARK: Upstream connection

    private func connectNext(_ ex: Exchange) {
        guard let endpoint = pool.pick(ex.backend, excluding: ex.tried) else {
            return failCurrent(ex, status: .badGateway)
        }
        ex.tried.insert(endpoint)
        ex.attempts += 1
        ex.lastEndpoint = endpoint
        let key = PoolKey(endpoint: endpoint, tls: ex.options.backendProtocol == .https)
        pool.acquire(key, connectTimeout: ex.options.connectTimeout).assumeIsolated().whenComplete { result in
            guard case .proxying(let current) = self.state, current === ex, !ex.finished else {
                if case .success(let c) = result { self.pool.release(c, reusable: true) }
                return
            }
            switch result {
            case .success(let c):
                self.attach(ex, c)
            case .failure(let error):
                self.pool.markFailed(endpoint)
                self.env.logger.debug(
                    "upstream connect failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                if ex.attempts < self.env.limits.maxUpstreamAttempts,
                    self.pool.hasCandidate(ex.backend, excluding: ex.tried)
                {
                    self.connectNext(ex)
                } else {
                    let timedOut = (error as? UpstreamError) == .connectTimeout
                    self.failCurrent(ex, status: timedOut ? .gatewayTimeout : .badGateway)
                }
            }
        }
    }

    private func attach(_ ex: Exchange, _ c: UpstreamConnection) {
        ex.upstream = c
        c.handler.delegate = self
        for part in ex.pending {
            if case .end = part {
                ex.endSent = true
            }
            c.channel.write(part, promise: nil)
        }
        ex.pending.removeAll()
        c.channel.flush()
        if ex.endSent { armReadTimer(ex) }
        updateReads()
    }

    private func failCurrent(_ ex: Exchange, status: HTTPResponseStatus) {
        guard let context else { return }
        fail(context, ex, status: status, keepAlive: ex.keepAlive)
    }

    /// Ends `ex` with a local error answer (only before any response byte was forwarded).
    private func fail(_ context: ChannelHandlerContext, _ ex: Exchange, status: HTTPResponseStatus, keepAlive: Bool) {
        ex.abandon()
        respondLocal(
            context, version: ex.version, method: ex.method, .errorPage(status, serverName: env.serverName),
            keepAlive: keepAlive && ex.requestComplete, requestComplete: ex.requestComplete, labels: ex.labels,
            start: ex.start)
    }

    /// Ends `ex` after response bytes were already forwarded: the only honest signal left is closing.
    private func abort(_ context: ChannelHandlerContext, _ ex: Exchange) {
        ex.abandon()
        record(ex.labels, status: ex.status, start: ex.start, bytes: ex.responseBytes)
        state = .closing
        context.close(promise: nil)
    }

    // MARK: Local answers

    private func respondLocal(
        _ context: ChannelHandlerContext, version: HTTPVersion, method: HTTPMethod, _ r: LocalResponse,
        keepAlive: Bool, requestComplete: Bool, labels: ProxyMetrics.Labels, start: NIODeadline
    ) {
        let head = r.head(
            version: version, keepAlive: keepAlive, isHTTP2: env.isHTTP2, serverName: env.serverName,
            date: HTTPDate.format(epochSeconds: env.epochSeconds()))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var bytes = 0
        if method != .HEAD && !r.body.isEmpty {
            let body = context.channel.allocator.buffer(string: r.body)
            bytes = body.readableBytes
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        requestsServed += 1
        record(labels, status: Int(r.status.code), start: start, bytes: bytes)
        // The next state is set before the final write: the pipelining handler delivers a queued request from
        // inside that write.
        let closeAfter: Bool
        if env.isHTTP2 {
            state = .discarding(keepAlive: false)
            // Reset the stream rather than read a body nobody wants.
            closeAfter = !requestComplete
        } else if !keepAlive {
            state = .closing
            closeAfter = true
        } else if requestComplete {
            state = .idle
            armIdleTimer()
            closeAfter = false
        } else {
            state = .discarding(keepAlive: true)
            closeAfter = false
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        if closeAfter { done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        updateReads()
    }

    private func record(_ labels: ProxyMetrics.Labels, status: Int, start: NIODeadline, bytes: Int) {
        let seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        env.metrics.record(labels, status: status, seconds: seconds, responseBytes: bytes)
    }

    // MARK: Timers

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    /// Idle connections get the header-read timeout before their first request and the keep-alive timeout
    /// after; either way a client that never completes a head is closed (slowloris). HTTP/2 streams rely on the
    /// connection-level idle handler instead.
    private func armIdleTimer() {
        guard !env.isHTTP2, let context else { return }
        cancelTimer()
        let timeout = requestsServed == 0 ? env.limits.headerReadTimeout : env.limits.idleTimeout
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self, case .idle = self.state, let context = self.context else { return }
            self.state = .closing
            context.close(promise: nil)
        }
    }

    private func armBodyTimer(_ ex: Exchange) {
        guard let context else { return }
        cancelTimer()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(env.limits.bodyReadTimeout)) {
            [weak self] in
            guard let self, case .proxying(let current) = self.state, current === ex, !ex.finished,
                !ex.requestComplete, let context = self.context
            else { return }
            if ex.responseStarted {
                self.abort(context, ex)
            } else {
                self.fail(context, ex, status: .requestTimeout, keepAlive: false)
            }
        }
    }

    /// `proxy-read-timeout`: the longest wait for the next upstream read once the request was sent.
    private func armReadTimer(_ ex: Exchange) {
        guard let context else { return }
        ex.readTimer?.cancel()
        ex.readTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(ex.options.readTimeout)) {
            [weak self] in
            guard let self, case .proxying(let current) = self.state, current === ex, !ex.finished,
                let context = self.context
            else { return }
            self.env.logger.debug(
                "upstream read timeout", metadata: ["endpoint": "\(ex.lastEndpoint.map { "\($0)" } ?? "")"])
            if ex.responseStarted {
                self.abort(context, ex)
            } else {
                self.fail(context, ex, status: .gatewayTimeout, keepAlive: ex.keepAlive)
            }
        }
    }
}

// MARK: Upstream events

extension ProxyHandler: UpstreamDelegate {
    func upstream(_ c: UpstreamConnection, didRead part: HTTPClientResponsePart) {
        guard case .proxying(let ex) = state, ex.upstream === c, !ex.finished, let context else { return }
        if ex.endSent || ex.responseStarted { armReadTimer(ex) }
        switch part {
        case .head(let head):
            if head.status.code < 200 && head.status != .switchingProtocols { return }
            ex.responseStarted = true
            ex.status = Int(head.status.code)
            ex.upstreamKeepAlive = head.isKeepAlive
            if head.status == .switchingProtocols {
                if ex.isWebSocket {
                    startTunnel(context, ex, c, head)
                } else {
                    abort(context, ex)
                }
                return
            }
            let plan = ProxyHeaders.downstreamResponse(
                head, requestMethod: ex.method, clientVersion: ex.version, keepAlive: ex.keepAlive,
                isHTTP2: env.isHTTP2, serverName: env.serverName,
                date: HTTPDate.format(epochSeconds: env.epochSeconds()), extra: ex.extraResponseHeaders)
            ex.responseHasBody = plan.hasBody
            ex.responseCloseAfter = plan.closeAfter
            context.write(wrapOutboundOut(.head(plan.head)), promise: nil)
        case .body(let buffer):
            guard ex.responseStarted else { return }
            ex.responseBytes += buffer.readableBytes
            if ex.responseHasBody { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
            if !context.channel.isWritable { c.handler.setReadsPaused(true, context: c.channel) }
        case .end(let trailers):
            guard ex.responseStarted else { return }
            finishProxied(context, ex, c, trailers)
        }
    }

    func upstreamDidReadComplete(_ c: UpstreamConnection) {
        guard case .proxying(let ex) = state, ex.upstream === c, let context else { return }
        context.flush()
    }

    func upstreamWritabilityChanged(_ c: UpstreamConnection) {
        updateReads()
    }

    func upstream(_ c: UpstreamConnection, didFail error: any Error) {
        guard case .proxying(let ex) = state, ex.upstream === c, !ex.finished, let context else {
            if case .tunnel = state { context?.close(promise: nil) }
            return
        }
        ex.upstream = nil
        ex.readTimer?.cancel()
        c.channel.close(promise: nil)
        if ex.responseStarted {
            return abort(context, ex)
        }
        // Nothing came back yet. An idempotent request whose body we still hold is retried once elsewhere (or on a
        // fresh connection when a pooled keep-alive connection went stale).
        if !c.reused, let e = ex.lastEndpoint { pool.markFailed(e) }
        if ex.idempotent, let replay = ex.replay, ex.sendRetries < 1, ex.attempts < env.limits.maxUpstreamAttempts {
            if c.reused, let e = ex.lastEndpoint, !pool.hasCandidate(ex.backend, excluding: ex.tried) {
                ex.tried.remove(e)
            }
            if pool.hasCandidate(ex.backend, excluding: ex.tried) {
                ex.sendRetries += 1
                ex.endSent = false
                ex.pending = [.head(ex.upstreamHead)] + replay.map { .body(.byteBuffer($0)) }
                if ex.requestComplete { ex.pending.append(.end(ex.requestTrailers)) }
                env.logger.debug("retrying request on another endpoint", metadata: ["error": "\(error)"])
                return connectNext(ex)
            }
        }
        fail(context, ex, status: .badGateway, keepAlive: ex.keepAlive)
    }

    private func finishProxied(
        _ context: ChannelHandlerContext, _ ex: Exchange, _ c: UpstreamConnection, _ trailers: HTTPHeaders?
    ) {
        ex.finished = true
        ex.readTimer?.cancel()
        ex.upstream = nil
        pool.release(c, reusable: ex.upstreamKeepAlive && ex.endSent && !ex.isWebSocket)
        record(ex.labels, status: ex.status, start: ex.start, bytes: ex.responseBytes)
        requestsServed += 1
        // As in `respondLocal`: state first, the final write may deliver the next pipelined request.
        let closeAfter: Bool
        if env.isHTTP2 {
            state = .discarding(keepAlive: false)
            closeAfter = !ex.requestComplete
        } else if ex.responseCloseAfter || !ex.keepAlive || !ex.requestComplete {
            state = .closing
            closeAfter = true
        } else {
            state = .idle
            armIdleTimer()
            closeAfter = false
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        if closeAfter { done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        context.writeAndFlush(wrapOutboundOut(.end(ex.responseHasBody ? trailers : nil)), promise: done)
        updateReads()
    }

    /// Forwards the 101 and then replaces the HTTP handlers on both channels with a byte tunnel. The swap waits
    /// for the 101 to be written and runs outside the decoders' call stacks.
    private func startTunnel(
        _ context: ChannelHandlerContext, _ ex: Exchange, _ c: UpstreamConnection, _ head: HTTPResponseHead
    ) {
        ex.finished = true
        ex.readTimer?.cancel()
        state = .tunnel
        cancelTimer()
        record(ex.labels, status: 101, start: ex.start, bytes: 0)
        let plan = ProxyHeaders.downstreamResponse(
            head, requestMethod: ex.method, clientVersion: ex.version, keepAlive: true, isHTTP2: false,
            serverName: env.serverName, date: HTTPDate.format(epochSeconds: env.epochSeconds()))
        let upstream = c.channel
        let downstream = context.channel
        let logger = env.logger
        context.writeAndFlush(wrapOutboundOut(.head(plan.head))).assumeIsolated().whenComplete { result in
            downstream.eventLoop.assumeIsolated().execute {
                // Holding `c` keeps the upstream handler's connection alive (it is weak there) until the swap, so
                // the decoder's trailing `.end` for the 101 is ignored rather than treated as unsolicited.
                withExtendedLifetime(c) {}
                guard case .success = result else {
                    downstream.close(promise: nil)
                    upstream.close(promise: nil)
                    return
                }
                do {
                    try Tunnel.splice(downstream: downstream, upstream: upstream, logger: logger)
                    logger.trace("websocket tunnel established")
                } catch {
                    logger.debug("websocket tunnel setup failed", metadata: ["error": "\(error)"])
                    downstream.close(promise: nil)
                    upstream.close(promise: nil)
                }
            }
        }
    }
}
