import ArgumentParser
import FerryApp
import Foundation
import Logging

@main
struct Ferry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Kubernetes networking in one binary: API server, DNS, service proxy and ingress.",
        subcommands: [Server.self, Agent.self, Run.self])
}


/// Data-plane flags shared by `server` and `agent`.
struct DataPlaneFlags: ParsableArguments {
    @Option(name: .customLong("dns-listen"), help: "HOST:PORT for cluster DNS, UDP and TCP (repeatable). Default 127.0.0.1:53; \"off\" disables DNS.")
    var dnsListen: [String] = []

    @Option(name: .customLong("upstream"), help: "Upstream DNS server HOST[:PORT] for names outside the cluster (repeatable; default: /etc/resolv.conf).")
    var upstream: [String] = []

    @Flag(help: "Walk a known Pod's DNS search path server-side (CoreDNS autopath).")
    var autopath = false

    @Option(name: .customLong("dns-ttl"), help: "TTL (seconds, 0-3600) of cluster-zone answers and the minimum of negative answers' SOA, as CoreDNS's `ttl`. Default 30 (the standard Corefile).")
    var dnsTtl = 30

    @Option(help: "HOST:PORT for plain-HTTP ingress (repeatable). Default 0.0.0.0:80; \"off\" disables.")
    var httpListen: [String] = []

    @Option(help: "HOST:PORT for HTTPS ingress (repeatable). Default 0.0.0.0:443; \"off\" disables.")
    var httpsListen: [String] = []

    @Option(help: "IngressClass name served (repeatable). Default: ferry and nginx.")
    var ingressClass: [String] = []

    @Option(help: "Service proxy: auto (nftables as root with nft, else userspace), nftables, userspace or off.")
    var proxyMode = "auto"

    @Option(help: "CIDRs whose addresses Services may use as spec.externalIPs (refused otherwise, CVE-2020-8554).")
    var allowExternalIps: [String] = []

    @Option(help: "Pod address range(s) (for masquerade decisions), comma-separated.")
    var podCidr = "127.1.0.0/16"

    func apply(ingress: inout IngressOptions) {
        if httpListen == ["off"] { ingress.httpListen = [] } else if !httpListen.isEmpty { ingress.httpListen = httpListen }
        if httpsListen == ["off"] { ingress.httpsListen = [] } else if !httpsListen.isEmpty { ingress.httpsListen = httpsListen }
        if !ingressClass.isEmpty { ingress.classes = ingressClass }
    }

    func apply(dataPlane: inout DataPlaneOptions, dns: inout DNSOptions, nodeIPs: [String]) {
        dataPlane.proxyMode = proxyMode
        dataPlane.nodeIPs = nodeIPs
        dataPlane.allowExternalIPs = allowExternalIps.flatMap { $0.split(separator: ",").map(String.init) }
        dataPlane.podCIDRs = podCidr.split(separator: ",").map(String.init)
        if dnsListen == ["off"] { dns.listen = [] } else if !dnsListen.isEmpty { dns.listen = dnsListen }
        dns.upstreams = upstream
        dns.autopath = autopath
        dns.ttl = UInt32(dnsTtl)
    }

    func validate() throws {
        guard (0...3600).contains(dnsTtl) else { throw ValidationError("--dns-ttl must be between 0 and 3600 seconds, got \(dnsTtl)") }
    }
}

struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded Kubernetes API server (SQLite store) and Ferry's controllers and data planes.")

    @Option(help: "Directory for the store, TLS material and kubeconfig.yaml.")
    var dataDir = "./.ferry"

    @Option(help: "HOST:PORT of the HTTPS Kubernetes API.")
    var apiListen = "127.0.0.1:6443"

    @Option(help: "Service ClusterIP range(s), comma-separated (one per IP family).")
    var serviceCidr = "10.96.0.0/12"

    @Option(help: "NodePort range A-B.")
    var nodePortRange = "30000-32767"

    @Option(help: "Cluster DNS domain.")
    var clusterDomain = "cluster.local"

    @Option(help: "HOST:PORT of the Prometheus /metrics endpoint.")
    var metricsListen = "127.0.0.1:10249"

    @Option(help: "LoadBalancer address pool(s), CIDR[,CIDR]. Without it, LoadBalancers get the node IP(s).")
    var lbPool: String?

    @Option(help: "A node address NodePorts answer on and LoadBalancers fall back to (repeatable).")
    var nodeIp: [String] = []

    @Option(help: "NAMESPACE/NAME of the Service whose LoadBalancer address Ingresses publish as ADDRESS (as ingress-nginx); while it has none, the node IP(s). `off` always publishes the node IP(s).")
    var publishService = "kube-system/ferry-ingress"

    @OptionGroup var dataPlane: DataPlaneFlags

    @Option(help: "Number of recent changes kept for watch replay; older resourceVersions get 410 Gone.")
    var watchHistory = 10_000

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        var o = ServerOptions()
        o.watchHistory = watchHistory
        o.dataDir = dataDir
        o.apiListen = apiListen
        o.serviceCIDR = serviceCidr
        o.nodePortRange = nodePortRange
        o.clusterDomain = clusterDomain
        o.metricsListen = metricsListen
        o.lbPool = lbPool
        o.nodeIPs = nodeIp
        dataPlane.apply(dataPlane: &o.dataPlane, dns: &o.dns, nodeIPs: nodeIp)
        dataPlane.apply(ingress: &o.ingress)
        o.publishService = publishService == "off" ? nil : publishService
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("invalid --log-level \(logLevel)")
        }
        o.logLevel = level
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        do {
            try await FerryServer.run(o)
        } catch let e as StartupError {
            FileHandle.standardError.write(Data("ferry: \(e.description)\n".utf8))
            throw ExitCode(1)
        } catch let e as CustomStringConvertible where !(e is ExitCode) && !(e is CancellationError) {
            FileHandle.standardError.write(Data("ferry: \(e.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}


struct Agent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Ferry's data planes against any Kubernetes API server (ours or a real cluster).")

    @Option(help: "Kubeconfig to use (default: $KUBECONFIG, then ./.ferry/kubeconfig.yaml).")
    var kubeconfig: String?

    @Option(help: "HOST:PORT of the Prometheus /metrics endpoint (also /debug/cache).")
    var metricsListen = "127.0.0.1:10249"

    @OptionGroup var dataPlane: DataPlaneFlags

    @Option(help: "Service ClusterIP range(s) of the cluster, comma-separated (for the proxy's rules).")
    var serviceCidr = "10.96.0.0/12"

    @Option(help: "A node address NodePorts answer on (repeatable).")
    var nodeIp: [String] = []

    @Option(help: "Cluster DNS domain.")
    var clusterDomain = "cluster.local"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        var o = AgentOptions()
        o.kubeconfig = kubeconfig
        o.metricsListen = metricsListen
        dataPlane.apply(dataPlane: &o.dataPlane, dns: &o.dns, nodeIPs: nodeIp)
        dataPlane.apply(ingress: &o.ingress)
        o.dataPlane.serviceCIDRs = serviceCidr.split(separator: ",").map(String.init)
        o.dns.clusterDomain = clusterDomain
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("invalid --log-level \(logLevel)") }
        o.logLevel = level
        bootstrapLogging(level)
        do { try await FerryAgent.run(o) } catch { try failStartup(error) }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a local process as a Pod: it gets a loopback pod IP and is Ready while its port accepts connections.")

    @Argument(help: "Pod name.")
    var name: String

    @Option(name: [.customShort("n"), .long], help: "Namespace.")
    var namespace = "default"

    @Option(help: "Labels, k=v[,k=v...].")
    var labels: String = ""

    @Option(help: "A container port NAME:PORT (repeatable); the first is probed for readiness and exported as $PORT.")
    var port: [String] = []

    @Option(help: "Range pod IPs are picked from.")
    var podCidr = "127.1.0.0/16"

    @Option(help: "Kubeconfig to use (default: $KUBECONFIG, then ./.ferry/kubeconfig.yaml).")
    var kubeconfig: String?

    @Argument(parsing: .postTerminator, help: "The command to run (after --).")
    var command: [String] = []

    func run() async throws {
        var o = RunOptions(name: name)
        o.namespace = namespace
        for pair in labels.split(separator: ",") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw ValidationError("invalid --labels entry \(pair): expected k=v") }
            o.labels[String(kv[0])] = String(kv[1])
        }
        for p in port {
            let parts = p.split(separator: ":")
            guard parts.count == 2, let n = Int(parts[1]), (1...65535).contains(n) else {
                throw ValidationError("invalid --port \(p): expected NAME:PORT")
            }
            o.ports.append((String(parts[0]), n))
        }
        o.podCIDR = podCidr
        o.kubeconfig = kubeconfig
        o.command = command
        bootstrapLogging(.info)
        let code: Int32
        do { code = try await FerryRun.run(o) } catch { try failStartup(error); return }
        throw ExitCode(code)
    }
}

func bootstrapLogging(_ level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = level
        return h
    }
}

/// Prints a startup failure as one line and exits 1.
func failStartup(_ error: Error) throws {
    if error is ExitCode || error is CancellationError { throw error }
    FileHandle.standardError.write(Data("ferry: \(error)\n".utf8))
    throw ExitCode(1)
}
