#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// What a finished child process reported.
public struct CommandResult: Sendable, Equatable {
    /// Exit status; 128 + signal number when the process was killed by a signal.
    public var status: Int32
    /// Combined stdout and stderr, truncated to the runner's output limit.
    public var output: String

    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs short-lived system tools (`nft`, `conntrack`, `ip`). Contract: `argv[0]` is an absolute path,
/// `stdin` is written to the child's standard input and then closed; the call returns when the child has
/// exited, and throws only when it cannot be started or overruns its time limit. Fake it in tests.
public protocol CommandRunner: Sendable {
    func run(_ argv: [String], stdin: String) async throws -> CommandResult
}

extension CommandRunner {
    func run(_ argv: [String]) async throws -> CommandResult { try await run(argv, stdin: "") }
}

/// Looks for an executable in the system directories (not `$PATH`: the proxy runs as root and must not
/// pick up a user's shadowing binary).
func findExecutable(_ name: String) -> String? {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map { "\($0)/\(name)" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The real `CommandRunner`: `posix_spawn` with an empty signal mask and default signal dispositions.
/// Foundation's `Process` passes the parent's blocked signals on to the child on Linux (a child that
/// ignores SIGTERM), so it is not used. Blocking work (pipe I/O, `waitpid`) runs on a dedicated thread so
/// the cooperative pool and NIO event loops never block.
public struct SpawnCommandRunner: CommandRunner {
    /// Longest a command may run before it is killed with SIGKILL.
    public var timeout: Duration
    /// Bytes of output kept; the rest is read and discarded.
    public var outputLimit: Int

    public init(timeout: Duration = .seconds(30), outputLimit: Int = 64 * 1024) {
        self.timeout = timeout
        self.outputLimit = outputLimit
    }

    public func run(_ argv: [String], stdin: String) async throws -> CommandResult {
        guard let tool = argv.first else { throw ServiceProxyError.spawnFailed(command: "", reason: "empty command") }
        let timeout = self.timeout
        let limit = self.outputLimit
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<CommandResult, Error>) in
            let thread = Thread {
                cont.resume(with: Result { try runBlocking(argv, tool: tool, stdin: stdin, timeout: timeout, limit: limit) })
            }
            thread.name = "ferry-spawn"
            thread.start()
        }
    }
}

/// Serialises our spawns: between creating a pipe and marking it close-on-exec (`pipe2` is not
/// exported by the Glibc module), a concurrent spawn from this module could inherit it, leaving a pipe
/// end open and a child waiting forever for EOF.
private let spawnLock = Mutex(())

private func spawnChild(_ argv: [String], tool: String) throws -> (pid: pid_t, stdinFD: Int32, outputFD: Int32) {
    var input: [Int32] = [-1, -1]
    var output: [Int32] = [-1, -1]
    guard pipe(&input) == 0 else { throw ServiceProxyError.spawnFailed(command: tool, reason: errnoText(errno)) }
    guard pipe(&output) == 0 else {
        let code = errno
        close(input[0]); close(input[1])
        throw ServiceProxyError.spawnFailed(command: tool, reason: errnoText(code))
    }
    for fd in input + output { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_adddup2(&actions, output[1], 2)

    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    resetSignalState(&attr)

    // A fixed, predictable environment: C locale for parseable messages, system PATH only.
    let env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup($0) } + [nil]
    defer {
        cArgs.forEach { free($0) }
        cEnv.forEach { free($0) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, tool, &actions, &attr, cArgs, cEnv)
    close(input[0])
    close(output[1])
    guard rc == 0 else {
        close(input[1]); close(output[0])
        throw ServiceProxyError.spawnFailed(command: tool, reason: errnoText(rc))
    }
    return (pid, input[1], output[0])
}

private func runBlocking(_ argv: [String], tool: String, stdin: String, timeout: Duration, limit: Int) throws -> CommandResult {
    let spawned = try spawnLock.withLock { _ in try spawnChild(argv, tool: tool) }
    let pid = spawned.pid
    let input = [-1, spawned.stdinFD]
    let output = [spawned.outputFD, -1]

    // Feed stdin from its own thread so a child that writes a lot before reading cannot deadlock us.
    // SIGPIPE is blocked on that thread only: a child exiting early then yields EPIPE instead of
    // killing the whole process (the signal is thread-directed and dies with the thread).
    let writeFD = input[1]
    let bytes = Array(stdin.utf8)
    let writer = Thread {
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, nil)
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = write(writeFD, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
        close(writeFD)
    }
    writer.name = "ferry-spawn-stdin"
    writer.start()

    var captured: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    let deadline = ContinuousClock.now + timeout
    var killed = false
    var killDeadline = deadline
    readLoop: while true {
        let remaining = ContinuousClock.now.duration(to: killed ? killDeadline : deadline)
        if remaining <= .zero {
            if killed { break readLoop }  // a grandchild keeps the pipe open; stop reading
            kill(pid, SIGKILL)  // not reaped yet, so `pid` still names our child
            killed = true
            killDeadline = ContinuousClock.now + .seconds(1)
            continue
        }
        let ms = Int32(clamping: max(1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
        var pfd = pollfd(fd: output[0], events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, ms)
        if ready < 0 {
            if errno == EINTR { continue }
            break
        }
        if ready == 0 { continue }
        let n = buffer.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
        if n > 0 {
            if captured.count < limit { captured += buffer[0..<min(n, limit - captured.count)] }
        } else if n < 0 && errno == EINTR {
            continue
        } else {
            break
        }
    }
    close(output[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    if killed { throw ServiceProxyError.commandTimedOut(command: tool) }
    let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return CommandResult(status: code, output: String(decoding: captured, as: UTF8.self))
}

/// Gives a child an empty signal mask and default dispositions. Foundation's `Process` (and any
/// spawn from a thread with blocked signals) passes those on, leaving children that ignore SIGTERM.
public func resetSignalState(_ attr: inout posix_spawnattr_t) {
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for sig in 1..<32 where sig != SIGKILL && sig != SIGSTOP { sigaddset(&defaults, Int32(sig)) }
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
}
