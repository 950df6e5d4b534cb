import APIServer
import FerryMetrics
import Foundation
import KubeAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ClusterClient
import Controllers
import DNS
import ServiceLifecycle
import Store
import WatchCache

/// Everything `ferry server` is configured with.
public struct ServerOptions: Sendable {
    public var dataDir = "./.ferry"
    public var apiListen = "127.0.0.1:6443"
    public var serviceCIDR = "10.96.0.0/12"
    public var nodePortRange = "30000-32767"
    public var clusterDomain = "cluster.local"
    public var metricsListen = "127.0.0.1:10249"
    public var logLevel = Logger.Level.info
    /// `--lb-pool CIDR[,CIDR]`: LoadBalancer addresses; nil publishes the node IPs instead.
    public var lbPool: String? = nil
    /// `--node-ip`: addresses NodePorts answer on and LoadBalancers fall back to.
    public var nodeIPs: [String] = []
    /// `--publish-service NS/NAME`: the Service whose LoadBalancer address Ingresses publish.
    public var publishService: String? = "kube-system/ferry-ingress"
    /// Events kept for watch replay; older resourceVersions get `410 Gone`.
    public var watchHistory = 10_000
    public var dataPlane = DataPlaneOptions()
    public var dns = DNSOptions()
    public var ingress = IngressOptions()

    public init() {}
}

/// A one-line, user-facing startup failure.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Parses `HOST:PORT` / `[v6]:PORT`.
public func parseHostPort(_ s: String, flag: String) throws -> (host: String, port: Int) {
    var host: Substring
    var portText: Substring
    if s.hasPrefix("[") {
        guard let close = s.firstIndex(of: "]") else { throw StartupError("invalid \(flag) \(s): expected HOST:PORT") }
        host = s[s.index(after: s.startIndex)..<close]
        portText = s[s.index(after: close)...].dropFirst()
    } else {
        guard let colon = s.lastIndex(of: ":") else { throw StartupError("invalid \(flag) \(s): expected HOST:PORT") }
        host = s[..<colon]
        portText = s[s.index(after: colon)...]
    }
    guard let port = Int(portText), (0...65535).contains(port) else {
        throw StartupError("invalid \(flag) \(s): port must be 0-65535")
    }
    if host.isEmpty { host = "0.0.0.0" }
    return (String(host), port)
}

/// Wraps an `HTTPServer` as a lifecycle `Service`.
struct HTTPService: ServiceLifecycle.Service {
    let server: HTTPServer
    func run() async throws {
        // Cancelling (not just closing the listener) also ends open watches, which never finish on their own.
        do { try await cancelWhenGracefulShutdown { try await server.run() } } catch is CancellationError {}
        await server.close()
    }
}

/// One named readiness check: nil when ready, else why not.
struct ReadinessCheck: Sendable {
    var name: String
    var check: @Sendable () -> String?
}

/// The metrics listener: `/metrics`, liveness (`/healthz`, `/livez`, CoreDNS's `/health`),
/// readiness (`/readyz`, CoreDNS's `/ready`) in kube-apiserver's check-list format, and
/// `/debug/cache`.
struct MetricsHandler: HTTPHandler {
    let exporter: MetricsExporter
    let informer: Informer?
    var readiness: [ReadinessCheck] = []

    func handle(_ request: HTTPRequest) async -> HTTPResult {
        var h = HTTPHeaders()
        switch request.path {
        case "/debug/cache" where informer != nil:
            h.add(name: "Content-Type", value: "application/json")
            return .full(status: .ok, headers: h, body: Array(cacheDebugJSON(informer!).serialized().utf8))
        case "/metrics":
            h.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return .full(status: .ok, headers: h, body: exporter.exposition())
        case "/healthz", "/livez", "/health":
            h.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            return .full(status: .ok, headers: h, body: Array((request.path == "/health" ? "OK" : "ok").utf8))
        case "/readyz", "/ready":
            h.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            h.add(name: "X-Content-Type-Options", value: "nosniff")
            let results = readiness.map { ($0.name, $0.check()) }
            let ready = results.allSatisfy { $0.1 == nil }
            if ready && request.query["verbose"] == nil {
                return .full(status: .ok, headers: h, body: Array((request.path == "/ready" ? "OK" : "ok").utf8))
            }
            var text = ""
            for (name, failure) in results {
                text += failure.map { "[-]\(name) failed: \($0)\n" } ?? "[+]\(name) ok\n"
            }
            text += ready ? "readyz check passed\n" : "readyz check failed\n"
            return .full(status: ready ? .ok : .serviceUnavailable, headers: h, body: Array(text.utf8))
        default:
            return .full(status: .notFound, headers: h, body: Array("404 page not found\n".utf8))
        }
    }
}

/// Readiness of the watch cache: every watched resource listed at least once.
func informerReadiness(_ informer: Informer) -> ReadinessCheck {
    ReadinessCheck(name: "informer-sync") {
        let synced = informer.current.synced
        let missing = watchedResources.filter { !synced.contains($0) }.map(\.plural)
        return missing.isEmpty ? nil : "not synced: \(missing.joined(separator: ","))"
    }
}

public enum FerryServer {
    /// Runs `ferry server` until SIGINT/SIGTERM.
    public static func run(_ opts: ServerOptions) async throws {
        var logger = Logger(label: "ferry")
        logger.logLevel = opts.logLevel
        let exporter = MetricsExporter.bootstrap()

        let (apiHost, apiPort) = try parseHostPort(opts.apiListen, flag: "--api-listen")
        let (metricsHost, metricsPort) = try parseHostPort(opts.metricsListen, flag: "--metrics-listen")
        var lbPool: LoadBalancerLogic.Pool? = nil
        if let p = opts.lbPool {
            do { lbPool = try LoadBalancerLogic.Pool(p) } catch {
                if case .invalid(let m) = error { throw StartupError(m) }
            }
        }
        if let ps = opts.publishService {
            let parts = ps.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw StartupError("invalid --publish-service \(ps): expected NAMESPACE/NAME, or off")
            }
        }
        let range = opts.nodePortRange.split(separator: "-").compactMap { Int($0) }
        guard range.count == 2, range[0] > 0, range[0] <= range[1], range[1] <= 65535 else {
            throw StartupError("invalid --node-port-range \(opts.nodePortRange): expected A-B, e.g. 30000-32767")
        }
        let cidrs = opts.serviceCIDR.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for c in cidrs {
            do { _ = try ServiceCIDR(c) } catch { throw StartupError("invalid --service-cidr \(c): \(error.message)") }
        }

        // Data dir: must exist (or be creatable) and be writable.
        let dir = (opts.dataDir as NSString).standardizingPath
        let absDir = dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
        do {
            try FileManager.default.createDirectory(atPath: absDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartupError("cannot create data dir \(absDir): \((error as NSError).localizedDescription)")
        }
        guard access(absDir, W_OK) == 0 else {
            throw StartupError("data dir \(absDir) is not writable: \(String(cString: strerror(errno)))")
        }

        let store: Store
        do { store = try Store(path: absDir + "/state.db", historyLimit: max(1, opts.watchHistory)) } catch {
            throw StartupError("cannot open store \(absDir)/state.db: \(error)")
        }
        let allocPreview = try ServiceAllocations(cidrs: cidrs, nodePorts: range[0]...range[1])
        var sanIPs = ["127.0.0.1", "::1"]
        if apiHost != "0.0.0.0" && apiHost != "::" && !sanIPs.contains(apiHost) { sanIPs.append(apiHost) }
        if let k = allocPreview.reservedAddress(offset: 1) { sanIPs.append(k) }
        let hosts = [
            "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc.\(opts.clusterDomain)",
        ]
        let pki: PKI
        do { pki = try PKI.loadOrCreate(dir: absDir, hosts: hosts, ips: sanIPs) } catch {
            throw StartupError("cannot create TLS material in \(absDir): \(error)")
        }
        var tlsConfig = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.servingCertPEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.servingKeyPEM.utf8), format: .pem)))
        tlsConfig.minimumTLSVersion = .tlsv12
        tlsConfig.applicationProtocols = ["http/1.1"]
        let tls = try NIOSSLContext(configuration: tlsConfig)

        let clientHost = (apiHost == "0.0.0.0" || apiHost == "::") ? "127.0.0.1" : apiHost
        let clientHostPort = clientHost.contains(":") ? "[\(clientHost)]:\(apiPort)" : "\(clientHost):\(apiPort)"
        let config = APIServerConfig(
            serviceCIDRs: cidrs, nodePortRange: range[0]...range[1], advertiseAddress: clientHostPort,
            apiPort: apiPort, token: pki.adminToken)
        let handler = try APIHandler(store: store, config: config, logger: logger)
        try await handler.ensureClusterDefaults()

        let group = MultiThreadedEventLoopGroup.singleton
        let apiServer = try await HTTPServer.bind(host: apiHost, port: apiPort, tls: tls, handler: handler, group: group, logger: logger)
        // Controllers and data planes read the API through the same list/watch client an agent uses.
        let selfConfig = KubeConfig(server: "https://\(clientHostPort)", caPEM: pki.caPEM, token: pki.adminToken)
        let client = try KubeClient(config: selfConfig, logger: logger)
        let informer = Informer(client: client, resources: watchedResources, logger: logger)
        let endpointSlices = EndpointSliceController(
            source: informer, writer: client, logger: logger, apiServer: (ip: clientHost, port: apiPort))
        let loadBalancers = LoadBalancerController(
            source: informer, writer: client, logger: logger, pool: lbPool,
            nodeIPs: opts.nodeIPs.isEmpty && lbPool == nil ? [clientHost] : opts.nodeIPs)

        var dataPlanes: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var readiness = [informerReadiness(informer)]
        do {
            var dnsOpts = opts.dns
            dnsOpts.clusterDomain = opts.clusterDomain
            if let dnsIP = allocPreview.reservedAddress(offset: 10) { dnsOpts.nameserverIPs = [dnsIP] }
            // With the service proxy on, Ferry's DNS is the kube-dns endpoint: a Pod at the node
            // address, port 53 (listened on as well when root and not already covered).
            let proxyOn = opts.dataPlane.proxyMode != "off"
            let dnsPodIP = opts.nodeIPs.first ?? clientHost
            let podListen = dnsPodIP.contains(":") ? "[\(dnsPodIP)]:53" : "\(dnsPodIP):53"
            func covers(_ listen: [String]) -> Bool {
                listen.contains {
                    guard let (h, p) = try? parseHostPort($0, flag: "--dns-listen"), p == 53 else { return false }
                    return h == dnsPodIP || h == "0.0.0.0" || h == "::"
                }
            }
            var dns: DNSServer? = nil
            if proxyOn && !dnsOpts.listen.isEmpty && !covers(dnsOpts.listen) && geteuid() == 0 {
                var withPod = dnsOpts
                withPod.listen.append(podListen)
                do { dns = try await DataPlanes.dnsServer(withPod, source: informer, logger: logger) } catch {
                    logger.warning("cannot listen for kube-dns on the node address", metadata: ["address": "\(podListen)", "error": "\(error)"])
                }
            }
            if dns == nil { dns = try await DataPlanes.dnsServer(dnsOpts, source: informer, logger: logger) }
            if let dns {
                dataPlanes.append(.init(service: DNSService(server: dns)))
                readiness.append(dnsReadiness(dns))
                if proxyOn && dns.boundAddresses.contains(where: { $0.port == 53 && ($0.host == dnsPodIP || $0.host == "0.0.0.0" || $0.host == "::") }) {
                    dataPlanes.append(.init(service: DNSPodService(client: client, dns: dns, podIP: dnsPodIP, logger: logger)))
                } else if proxyOn {
                    logger.info("the kube-dns ClusterIP is not served: DNS does not listen on the node address", metadata: ["address": "\(podListen)"])
                }
            }
            if let ingress = try await DataPlanes.ingressServer(opts.ingress, source: informer, logger: logger) {
                dataPlanes.append(.init(service: IngressService(server: ingress)))
                dataPlanes.append(.init(service: IngressEventService(server: ingress, client: client, source: informer, logger: logger)))
                let status = IngressStatusController(
                    source: informer, writer: client, logger: logger, classes: Set(opts.ingress.classes),
                    addresses: opts.nodeIPs.isEmpty ? [clientHost] : opts.nodeIPs, publishService: opts.publishService)
                dataPlanes.append(.init(service: LoopService { await status.run() }))
            }
            var proxyOpts = opts.dataPlane
            proxyOpts.serviceCIDRs = cidrs
            if let proxy = try await DataPlanes.serviceProxy(proxyOpts, source: informer, logger: logger) {
                dataPlanes.append(.init(service: ServiceProxyService(proxy: proxy)))
            }
        } catch {
            await apiServer.close()
            await client.shutdown()
            throw error
        }

        let metricsServer: HTTPServer
        do {
            metricsServer = try await HTTPServer.bind(
                host: metricsHost, port: metricsPort, tls: nil, handler: MetricsHandler(exporter: exporter, informer: informer, readiness: readiness), group: group,
                logger: logger)
        } catch {
            await apiServer.close()
            await client.shutdown()
            throw error
        }

        let kubeconfigPath = absDir + "/kubeconfig.yaml"
        do {
            try pki.kubeconfig(server: "https://\(clientHostPort)").write(toFile: kubeconfigPath, atomically: true, encoding: .utf8)
            _ = chmod(kubeconfigPath, 0o600)
        } catch {
            await apiServer.close()
            await metricsServer.close()
            await client.shutdown()
            throw StartupError("cannot write \(kubeconfigPath): \((error as NSError).localizedDescription)")
        }

        logger.info("ferry API server listening", metadata: ["address": "https://\(clientHostPort)"])
        logger.info("metrics listening", metadata: ["address": "http://\(metricsHost):\(metricsPort)/metrics"])
        let banner = """
            Ferry is running. API server: https://\(clientHostPort)
            Kubeconfig: \(kubeconfigPath)
            Use it with:
              export KUBECONFIG=\(kubeconfigPath)
              kubectl get svc

            """
        FileHandle.standardOutput.write(Data(banner.utf8))

        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: HTTPService(server: apiServer)),
                    .init(service: HTTPService(server: metricsServer)),
                    .init(service: LoopService { await informer.run() }),
                    .init(service: LoopService { await endpointSlices.run() }),
                    .init(service: LoopService { await loadBalancers.run() }),
                ] + dataPlanes,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        let result = await Result(catching: { try await serviceGroup.run() })
        await client.shutdown()
        try result.get()
    }
}

extension Result where Failure == any Error {
    /// Captures the outcome of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
