import ArgumentParser
import FerryApp
import Foundation
import Logging

@main
struct Ferry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Kubernetes networking in one binary: API server, DNS, service proxy and ingress.",
        subcommands: [Server.self])
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

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        var o = ServerOptions()
        o.dataDir = dataDir
        o.apiListen = apiListen
        o.serviceCIDR = serviceCidr
        o.nodePortRange = nodePortRange
        o.clusterDomain = clusterDomain
        o.metricsListen = metricsListen
        o.lbPool = lbPool
        o.nodeIPs = nodeIp
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

