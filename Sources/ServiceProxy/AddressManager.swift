import Logging

/// Adds Service VIPs to the loopback interface so userspace listeners can bind them (this host has no
/// dummy interfaces): `ip addr add <vip>/32 dev lo` (`/128` for IPv6). Only used with
/// `manageAddresses: true`; removes exactly the addresses it added, never pre-existing ones.
actor AddressManager {
    private let ipPath: String
    private let device: String
    private let runner: any CommandRunner
    private let logger: Logger
    /// Addresses this process added (and so will remove).
    private(set) var added: Set<String> = []

    init(ipPath: String, device: String = "lo", runner: any CommandRunner, logger: Logger) {
        self.ipPath = ipPath
        self.device = device
        self.runner = runner
        self.logger = logger
    }

    static func prefix(_ ip: String) -> String { ip.contains(":") ? "\(ip)/128" : "\(ip)/32" }

    /// Makes `ip` a local address. Returns true when it is now present (added by us or already there).
    func ensure(_ ip: String) async -> Bool {
        if added.contains(ip) { return true }
        let argv = [ipPath, "addr", "add", Self.prefix(ip), "dev", device]
        do {
            let r = try await runner.run(argv)
            if r.status == 0 {
                added.insert(ip)
                logger.info("added service address to loopback", metadata: ["address": "\(ip)", "device": "\(device)"])
                return true
            }
            // Someone else's address: usable, but not ours to delete.
            if r.output.contains("File exists") || r.output.contains("already assigned") { return true }
            logger.warning("cannot add service address", metadata: [
                "error": "\(ServiceProxyError.commandFailed(command: argv.joined(separator: " "), status: r.status, output: r.output))",
            ])
        } catch {
            logger.warning("cannot add service address", metadata: ["address": "\(ip)", "error": "\(error)"])
        }
        return false
    }

    /// Removes `ip` if this process added it.
    func release(_ ip: String) async {
        guard added.remove(ip) != nil else { return }
        let argv = [ipPath, "addr", "del", Self.prefix(ip), "dev", device]
        do {
            let r = try await runner.run(argv)
            if r.status != 0 {
                logger.warning("cannot remove service address", metadata: [
                    "error": "\(ServiceProxyError.commandFailed(command: argv.joined(separator: " "), status: r.status, output: r.output))",
                ])
            }
        } catch {
            logger.warning("cannot remove service address", metadata: ["address": "\(ip)", "error": "\(error)"])
        }
    }

    /// Removes every address this process added.
    func releaseAll() async {
        for ip in added.sorted() { await release(ip) }
    }
}
