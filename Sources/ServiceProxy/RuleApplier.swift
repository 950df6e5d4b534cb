/// Applies an nftables transaction (`nft -f` syntax) to the kernel. Contract: the whole script is one
/// atomic transaction — when `apply` throws, nothing of it took effect (and the caller must assume its
/// mirror of the kernel state is stale). The real one is `NFTApplier`; tests use a recording fake.
public protocol RuleApplier: Sendable {
    func apply(script: String) async throws
}

/// Feeds scripts to `nft -f -` through a `CommandRunner` (a `posix_spawn` child with an empty signal mask).
/// With `checkOnly`, runs `nft -c -f -`: the kernel validates the transaction, nothing is committed.
public struct NFTApplier: RuleApplier {
    /// Absolute path of the `nft` binary.
    public var nftPath: String
    /// Validate only (`nft -c`); for tests and dry runs.
    public var checkOnly: Bool
    private let runner: any CommandRunner

    /// Uses `nftPath`, or finds `nft` in the system directories; throws `.toolNotFound("nft")` otherwise.
    public init(nftPath: String? = nil, checkOnly: Bool = false, runner: any CommandRunner = SpawnCommandRunner()) throws {
        guard let path = nftPath ?? findExecutable("nft") else { throw ServiceProxyError.toolNotFound("nft") }
        self.nftPath = path
        self.checkOnly = checkOnly
        self.runner = runner
    }

    public func apply(script: String) async throws {
        let argv = [nftPath] + (checkOnly ? ["-c"] : []) + ["-f", "-"]
        let result = try await runner.run(argv, stdin: script)
        guard result.status == 0 else {
            throw ServiceProxyError.commandFailed(command: argv.joined(separator: " "), status: result.status, output: result.output)
        }
    }
}
