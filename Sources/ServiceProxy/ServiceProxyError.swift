/// Everything that can go wrong in the service proxy; `description` is one line for logs and startup errors.
public enum ServiceProxyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A listener (userspace mode) could not be bound; `reason` is the lower-cased `strerror` text.
    case cannotListen(address: String, port: Int, protocol: String, reason: String)
    /// A required executable (`nft`) was not found in the usual system directories.
    case toolNotFound(String)
    /// A child process could not be started.
    case spawnFailed(command: String, reason: String)
    /// A child process exited unsuccessfully; `output` is the start of its stderr/stdout.
    case commandFailed(command: String, status: Int32, output: String)
    /// A child process ran longer than allowed and was killed.
    case commandTimedOut(command: String)
    /// The nf_tables netlink socket failed or the kernel rejected a transaction (nothing of it applied).
    case netlink(String)

    public var description: String {
        switch self {
        case .cannotListen(let address, let port, let proto, let reason):
            let host = address.contains(":") ? "[\(address)]" : address
            return "cannot listen on \(host):\(port)/\(proto): \(reason)"
        case .toolNotFound(let tool):
            return "\(tool) not found in /usr/sbin, /sbin, /usr/bin or /bin"
        case .spawnFailed(let command, let reason):
            return "cannot start \(command): \(reason)"
        case .commandFailed(let command, let status, let output):
            let firstLines = output.split(separator: "\n", omittingEmptySubsequences: true).prefix(3)
                .joined(separator: " | ")
            return "\(command) exited with status \(status)" + (firstLines.isEmpty ? "" : ": \(firstLines)")
        case .commandTimedOut(let command):
            return "\(command) timed out and was killed"
        case .netlink(let detail):
            return "nftables netlink: \(detail)"
        }
    }
}
