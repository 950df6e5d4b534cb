import IngressCore

/// Everything `IngressServer` needs besides the cluster: where to listen, which classes to serve, the default
/// certificate, and resource limits. Defaults follow ingress-nginx where it has one.
public struct IngressServerConfiguration: Sendable {
    /// A TCP listen address such as `0.0.0.0:80`.
    public struct Listener: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// PEM certificate chain and private key, e.g. the controller's self-signed default certificate.
    public struct PEMCertificate: Sendable, Hashable {
        public var certificateChainPEM: [UInt8]
        public var privateKeyPEM: [UInt8]

        public init(certificateChainPEM: [UInt8], privateKeyPEM: [UInt8]) {
            self.certificateChainPEM = certificateChainPEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    /// Bounds on what one client or backend may make us hold.
    public struct Limits: Sendable, Hashable {
        /// Request line plus header fields of one request (nginx `large_client_header_buffers` 4×8k); larger → 431.
        public var maxHeaderBytes = 32 * 1024
        /// Body limit for routes whose Ingress leaves `proxy-body-size` at its default (1m); nil = unlimited.
        public var maxBodyBytes: Int64? = 1 << 20
        /// Time a new connection (or one with a partial request head) gets to send a complete head (slowloris).
        public var headerReadTimeout: Duration = .seconds(60)
        /// Keep-alive idle time between requests (nginx `keepalive_timeout` 75s); also the HTTP/2 idle timeout.
        public var idleTimeout: Duration = .seconds(75)
        /// Longest pause between two reads of a request body (nginx `client_body_timeout`).
        public var bodyReadTimeout: Duration = .seconds(60)
        /// Idle keep-alive connections kept per upstream endpoint and event loop.
        public var maxIdleUpstreamConnectionsPerEndpoint = 64
        /// How long an idle upstream connection is kept (ingress-nginx `upstream-keepalive-timeout` 60s).
        public var upstreamIdleTimeout: Duration = .seconds(60)
        /// Attempts per request across endpoints (ingress-nginx `proxy-next-upstream-tries` 3).
        public var maxUpstreamAttempts = 3
        /// Request bodies up to this size are kept so an idempotent request can be retried on another endpoint.
        public var maxReplayBodyBytes = 64 * 1024
        /// How long an endpoint that refused a connection is skipped (nginx `fail_timeout` 10s).
        public var failedEndpointCooldown: Duration = .seconds(10)

        public init() {}
    }

    /// Plain HTTP listeners (default `0.0.0.0:80`).
    public var httpListeners: [Listener] = [Listener(host: "0.0.0.0", port: 80)]
    /// TLS listeners, HTTP/1.1 and HTTP/2 by ALPN (default `0.0.0.0:443`).
    public var httpsListeners: [Listener] = [Listener(host: "0.0.0.0", port: 443)]
    /// IngressClass names served when no IngressClass object of that name exists.
    public var classNames: Set<String> = IngressClassSelection.defaultClassNames
    /// Our `IngressClass.spec.controller`.
    public var controller: String = IngressClassSelection.controller
    /// Certificate for SNI names without an Ingress certificate (and for clients without SNI). Required when
    /// `httpsListeners` is not empty.
    public var defaultCertificate: PEMCertificate?
    public var limits = Limits()
    /// `Server` header value added to responses whose backend sent none, and shown on error pages.
    public var serverName = "ferry"
    /// How long `run()` waits for in-flight requests after cancellation before returning.
    public var shutdownGracePeriod: Duration = .seconds(10)

    public init(
        httpListeners: [Listener] = [Listener(host: "0.0.0.0", port: 80)],
        httpsListeners: [Listener] = [Listener(host: "0.0.0.0", port: 443)],
        classNames: Set<String> = IngressClassSelection.defaultClassNames,
        defaultCertificate: PEMCertificate? = nil,
        limits: Limits = Limits()
    ) {
        self.httpListeners = httpListeners
        self.httpsListeners = httpsListeners
        self.classNames = classNames
        self.defaultCertificate = defaultCertificate
        self.limits = limits
    }
}

/// Errors from starting the ingress proxy. Request-level failures never surface here: they become HTTP answers.
public enum IngressServerError: Error, Equatable, CustomStringConvertible {
    /// A listener could not be bound; `reason` is the OS error text (e.g. "address already in use").
    case cannotListen(address: String, reason: String)
    /// HTTPS listeners were configured without `defaultCertificate`.
    case missingDefaultCertificate
    /// The default certificate or key did not parse or do not match.
    case invalidDefaultCertificate(reason: String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let reason): return "cannot listen on \(address)/tcp: \(reason)"
        case .missingDefaultCertificate: return "ingress: HTTPS listeners need a default certificate"
        case .invalidDefaultCertificate(let reason): return "ingress: invalid default certificate: \(reason)"
        }
    }
}
