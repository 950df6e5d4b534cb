import Foundation
import ServiceProxy

/// Starts a child process with an empty signal mask and default signal dispositions. Foundation's
/// `Process` passes on the spawning thread's blocked signals, which leaves a child that ignores
/// Ctrl-C and SIGTERM.
struct SpawnedProcess: Sendable {
    let pid: pid_t

    static func spawn(_ argv: [String], environment: [String: String]) throws -> SpawnedProcess {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        resetSignalState(&attr)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], nil, &attr, cArgs, cEnv)
        guard rc == 0 else { throw StartupError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return SpawnedProcess(pid: pid)
    }

    /// Waits (off the cooperative pool) for the child to exit; returns its exit code (128+signal if killed).
    func wait() async -> Int32 {
        await withCheckedContinuation { cont in
            let pid = self.pid
            DispatchQueue.global().async {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                cont.resume(returning: code)
            }
        }
    }

    func signal(_ sig: Int32) { kill(pid, sig) }
}
