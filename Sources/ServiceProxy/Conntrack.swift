import Logging

/// Deletes UDP conntrack entries whose reply comes from an endpoint that no Service DNATs to any more:
/// without this, a client reusing its 5-tuple (DNS resolvers do) keeps hitting the dead endpoint until the
/// entry times out. Runs `conntrack -D -p udp --reply-src IP --reply-port-src PORT` per endpoint; when
/// `conntrack` is not installed, logs what it skipped.
struct ConntrackCleaner: Sendable {
    let conntrackPath: String?
    let runner: any CommandRunner

    init(conntrackPath: String?, runner: any CommandRunner) {
        self.conntrackPath = conntrackPath
        self.runner = runner
    }

    /// The argv that deletes the entries for one stale endpoint.
    static func arguments(path: String, ip: String, port: Int) -> [String] {
        // conntrack needs the family spelled out for IPv6 addresses (as kube-proxy's exec-based cleanup did).
        [path] + (ip.contains(":") ? ["-f", "ipv6"] : []) + ["-D", "-p", "udp", "--reply-src", ip, "--reply-port-src", String(port)]
    }

    /// Returns how many commands succeeded. Exit status 1 means "0 flow entries deleted", which is fine.
    func flush(_ targets: [(ip: String, port: Int, protocol: String)], logger: Logger) async -> Int {
        guard !targets.isEmpty else { return 0 }
        guard let path = conntrackPath else {
            logger.notice("conntrack not installed; stale UDP conntrack entries not deleted", metadata: [
                "endpoints": "\(targets.map { "\($0.ip):\($0.port)" }.joined(separator: ","))",
            ])
            return 0
        }
        var ok = 0
        for t in targets where t.protocol == "udp" {
            let argv = Self.arguments(path: path, ip: t.ip, port: t.port)
            do {
                let r = try await runner.run(argv)
                if r.status == 0 || r.status == 1 {
                    ok += 1
                } else {
                    logger.warning("conntrack cleanup failed", metadata: [
                        "error": "\(ServiceProxyError.commandFailed(command: argv.joined(separator: " "), status: r.status, output: r.output))",
                    ])
                }
            } catch {
                logger.warning("conntrack cleanup failed", metadata: ["error": "\(error)"])
            }
        }
        return ok
    }
}
