import Foundation
import KubeAPI
import Logging
import ProxyRules
import ServiceLifecycle
import ServiceProxy

/// Data-plane settings shared by `ferry server` and `ferry agent`.
public struct DataPlaneOptions: Sendable {
    /// `auto` (nftables as root with `nft` on PATH, else userspace), `nftables`, `userspace` or `off`.
    public var proxyMode = "auto"
    public var nodeIPs: [String] = []
    public var serviceCIDRs: [String] = []
    public var podCIDRs: [String] = ["127.1.0.0/16"]
    public var allowExternalIPs: [String] = []
    public init() {}
}

/// Builds and binds the data planes a process runs, in dependency order, as lifecycle services.
enum DataPlanes {
    static func resolveProxyMode(_ requested: String, logger: Logger) throws -> ServiceProxy.Mode? {
        switch requested {
        case "off": return nil
        case "nftables": return .nftables
        case "userspace": return .userspace
        case "auto":
            let nft = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].contains { FileManager.default.isExecutableFile(atPath: $0) }
            let mode: ServiceProxy.Mode = geteuid() == 0 && nft ? .nftables : .userspace
            logger.info("service proxy mode chosen", metadata: ["mode": "\(mode.rawValue)", "root": "\(geteuid() == 0)", "nft": "\(nft)"])
            return mode
        default:
            throw StartupError("invalid --proxy-mode \(requested): expected auto, nftables, userspace or off")
        }
    }

    static func serviceProxy(_ opts: DataPlaneOptions, source: any ClusterSource, logger: Logger) async throws -> ServiceProxy? {
        guard let mode = try resolveProxyMode(opts.proxyMode, logger: logger) else { return nil }
        let families: [IPFamily] = opts.serviceCIDRs.contains { $0.contains(":") } ? [.ipv4, .ipv6] : [.ipv4]
        let node: NodeConfig
        do {
            node = try NodeConfig(
                nodeName: ProcessInfo.processInfo.hostName, nodeIPs: opts.nodeIPs, families: families,
                podCIDRs: opts.podCIDRs, serviceCIDRs: opts.serviceCIDRs, allowedExternalIPCIDRs: opts.allowExternalIPs)
        } catch {
            throw StartupError("invalid service proxy settings: \(error)")
        }
        var config = ServiceProxy.Configuration(mode: mode, node: node)
        if mode == .userspace {
            // Without a dummy interface, ClusterIPs are bound on loopback; that needs root.
            config.userspace.manageAddresses = geteuid() == 0
            logger.info("userspace proxy binds Service IPs on loopback", metadata: ["manageAddresses": "\(config.userspace.manageAddresses)"])
        }
        let proxy = ServiceProxy(configuration: config, source: source, logger: logger)
        do { try await proxy.bind() } catch { throw StartupError("\(error)") }
        return proxy
    }
}

/// Runs a data plane until graceful shutdown (they clean up after themselves).
struct ServiceProxyService: ServiceLifecycle.Service {
    let proxy: ServiceProxy
    func run() async throws { try await proxy.run() }
}

import DNS
import DNSCore

/// Cluster DNS settings shared by `ferry server` and `ferry agent`.
public struct DNSOptions: Sendable {
    /// `--dns-listen HOST:PORT` (repeatable); empty disables DNS.
    public var listen: [String] = ["127.0.0.1:53"]
    /// `--upstream HOST[:PORT]` (repeatable); empty means /etc/resolv.conf.
    public var upstreams: [String] = []
    public var clusterDomain = "cluster.local"
    public var autopath = false
    /// `--dns-ttl`: TTL of cluster-zone answers and the SOA minimum of negative answers.
    public var ttl: UInt32 = 30
    /// The kube-dns ClusterIP(s), published as the zone's NS glue.
    public var nameserverIPs: [String] = []
    public init() {}
}

extension DataPlanes {
    static func dnsServer(_ opts: DNSOptions, source: any ClusterSource, logger: Logger) async throws -> DNSServer? {
        guard !opts.listen.isEmpty else { return nil }
        do {
            let listen = try opts.listen.map { try HostPort(parsing: $0) }
            let upstreams: UpstreamSource = opts.upstreams.isEmpty
                ? .resolvConf(path: "/etc/resolv.conf") : .servers(try opts.upstreams.map { try HostPort(parsing: $0) })
            let zoneName = try DNSName(opts.clusterDomain.hasSuffix(".") ? opts.clusterDomain : opts.clusterDomain + ".")
            let zone = ClusterDNSConfig(zone: zoneName, ttl: opts.ttl, nameserverIPs: opts.nameserverIPs.compactMap { IPAddress($0) })
            let server = DNSServer(
                config: DNSServerConfig(listen: listen, zone: zone, upstreams: upstreams, autopath: opts.autopath),
                source: source, logger: logger)
            try await server.bind()
            logger.info("cluster DNS listening", metadata: ["listen": "\(opts.listen)", "zone": "\(opts.clusterDomain)"])
            return server
        } catch let e as StartupError {
            throw e
        } catch {
            throw StartupError("\(error)")
        }
    }
}

/// Readiness of cluster DNS: listening, and the cluster zone synced (no SERVFAIL for cluster names).
func dnsReadiness(_ dns: DNSServer) -> ReadinessCheck {
    ReadinessCheck(name: "dns") { dns.isReady ? nil : "cluster zone not synced" }
}

struct DNSService: ServiceLifecycle.Service {
    let server: DNSServer
    func run() async throws {
        do { try await cancelWhenGracefulShutdown { try await server.run() } } catch is CancellationError {}
    }
}

import APIServer
import Ingress

/// Ingress settings shared by `ferry server` and `ferry agent`.
public struct IngressOptions: Sendable {
    /// `--http-listen` / `--https-listen` (repeatable); `off` disables that side.
    public var httpListen: [String] = ["0.0.0.0:80"]
    public var httpsListen: [String] = ["0.0.0.0:443"]
    /// `--ingress-class` (repeatable): the IngressClass names served.
    public var classes: [String] = ["ferry", "nginx"]
    public init() {}
}

extension DataPlanes {
    static func ingressServer(_ opts: IngressOptions, source: any ClusterSource, logger: Logger) async throws -> IngressServer? {
        guard !opts.httpListen.isEmpty || !opts.httpsListen.isEmpty else { return nil }
        func listeners(_ list: [String], flag: String) throws -> [IngressServerConfiguration.Listener] {
            try list.map { let (h, p) = try parseHostPort($0, flag: flag); return .init(host: h, port: p) }
        }
        var cert: IngressServerConfiguration.PEMCertificate? = nil
        if !opts.httpsListen.isEmpty {
            let (c, k) = try PKI.selfSigned(commonName: "Ferry Ingress Controller Fake Certificate")
            cert = .init(certificateChainPEM: Array(c.utf8), privateKeyPEM: Array(k.utf8))
        }
        let config = IngressServerConfiguration(
            httpListeners: try listeners(opts.httpListen, flag: "--http-listen"),
            httpsListeners: try listeners(opts.httpsListen, flag: "--https-listen"),
            classNames: Set(opts.classes), defaultCertificate: cert)
        let server = IngressServer(configuration: config, source: source, logger: logger)
        do { try await server.bind() } catch { throw StartupError("\(error)") }
        logger.info("ingress listening", metadata: ["http": "\(opts.httpListen)", "https": "\(opts.httpsListen)", "classes": "\(opts.classes)"])
        return server
    }
}

struct IngressService: ServiceLifecycle.Service {
    let server: IngressServer
    func run() async throws {
        do { try await cancelWhenGracefulShutdown { try await server.run() } } catch is CancellationError {}
    }
}
