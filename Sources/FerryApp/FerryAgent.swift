import APIServer
import ClusterClient
import FerryMetrics
import Foundation
import KubeAPI
import Logging
import NIOPosix
import ServiceLifecycle
import WatchCache

/// Options of `ferry agent`.
public struct AgentOptions: Sendable {
    public var kubeconfig: String? = nil
    public var metricsListen = "127.0.0.1:10249"
    public var logLevel = Logger.Level.info
    public var dataPlane = DataPlaneOptions()
    public var dns = DNSOptions()
    public var ingress = IngressOptions()
    public init() {}
}

/// `ferry agent`: the data planes against any Kubernetes API server, fed by the same watch cache
/// as `ferry server`. It keeps serving its last known state while the API is unreachable.
public enum FerryAgent {
    public static func run(_ opts: AgentOptions) async throws {
        var logger = Logger(label: "ferry-agent")
        logger.logLevel = opts.logLevel
        let exporter = MetricsExporter.bootstrap()
        let path = resolveKubeconfig(opts.kubeconfig)
        let config: KubeConfig
        do { config = try KubeConfig.load(path: path) } catch { throw StartupError(error.description) }
        let (metricsHost, metricsPort) = try parseHostPort(opts.metricsListen, flag: "--metrics-listen")
        let client = try KubeClient(config: config, logger: logger)
        let informer = Informer(client: client, resources: watchedResources, logger: logger)
        var dataPlanes: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var readiness = [informerReadiness(informer)]
        do {
            if let dns = try await DataPlanes.dnsServer(opts.dns, source: informer, logger: logger) {
                dataPlanes.append(.init(service: DNSService(server: dns)))
                readiness.append(dnsReadiness(dns))
            }
            if let ingress = try await DataPlanes.ingressServer(opts.ingress, source: informer, logger: logger) {
                dataPlanes.append(.init(service: IngressService(server: ingress)))
            }
            if let proxy = try await DataPlanes.serviceProxy(opts.dataPlane, source: informer, logger: logger) {
                dataPlanes.append(.init(service: ServiceProxyService(proxy: proxy)))
            }
        } catch {
            await client.shutdown()
            throw error
        }
        let metricsServer: HTTPServer
        do {
            metricsServer = try await HTTPServer.bind(
            host: metricsHost, port: metricsPort, tls: nil, handler: MetricsHandler(exporter: exporter, informer: informer, readiness: readiness),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        } catch {
            await client.shutdown()
            throw error
        }
        logger.info("ferry agent started", metadata: ["server": "\(config.server)", "metrics": "http://\(metricsHost):\(metricsPort)/metrics"])
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: HTTPService(server: metricsServer)),
                    .init(service: LoopService { await informer.run() }),
                ] + dataPlanes,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let result = await Result(catching: { try await group.run() })
        await client.shutdown()
        try result.get()
    }
}
