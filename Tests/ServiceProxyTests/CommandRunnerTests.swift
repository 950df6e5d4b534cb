import Foundation
import Testing

@testable import ServiceProxy

@Suite struct CommandRunnerTests {
    let runner = SpawnCommandRunner(timeout: .seconds(10))

    @Test func feedsStdinAndCapturesOutput() async throws {
        let r = try await runner.run(["/bin/cat"], stdin: "add table ip x\n")
        #expect(r == CommandResult(status: 0, output: "add table ip x\n"))
    }

    @Test func largeStdinDoesNotDeadlock() async throws {
        // More than a pipe buffer (64 KiB) each way.
        let big = String(repeating: "0123456789abcdef\n", count: 20_000)
        let r = try await SpawnCommandRunner(timeout: .seconds(10), outputLimit: 1 << 20).run(["/bin/cat"], stdin: big)
        #expect(r.status == 0)
        #expect(r.output.utf8.count == big.utf8.count)
    }

    @Test func outputIsBounded() async throws {
        let big = String(repeating: "x", count: 100_000)
        let r = try await SpawnCommandRunner(timeout: .seconds(10), outputLimit: 1000).run(["/bin/cat"], stdin: big)
        #expect(r.output.utf8.count == 1000)
    }

    @Test func reportsExitStatusAndStderr() async throws {
        let r = try await runner.run(["/bin/sh", "-c", "echo oops >&2; exit 3"], stdin: "")
        #expect(r == CommandResult(status: 3, output: "oops\n"))
    }

    @Test func childStartsWithAnEmptySignalMask() async throws {
        // Whatever this (test) process blocks, the child must block nothing.
        let r = try await runner.run(["/bin/sh", "-c", "grep '^SigBlk' /proc/self/status"], stdin: "")
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("0000000000000000"), "\(r.output)")
    }

    @Test func childExitingBeforeReadingStdinDoesNotKillUs() async throws {
        // Writing to a closed pipe raises SIGPIPE; the writer thread blocks it, so we only see EPIPE.
        let r = try await runner.run(["/bin/true"], stdin: String(repeating: "y", count: 1 << 20))
        #expect(r.status == 0)
    }

    @Test func slowCommandIsKilled() async throws {
        let start = ContinuousClock.now
        await #expect(throws: ServiceProxyError.commandTimedOut(command: "/bin/sleep")) {
            try await SpawnCommandRunner(timeout: .milliseconds(200)).run(["/bin/sleep", "10"], stdin: "")
        }
        // Killed, not waited for: `sleep 10` would take 10 s.
        #expect(start.duration(to: .now) < .seconds(9))
    }

    @Test func missingExecutableIsASpawnError() async throws {
        await #expect(throws: ServiceProxyError.self) {
            try await runner.run(["/nonexistent/nft"], stdin: "")
        }
    }

    @Test func nftApplierReportsFailures() async throws {
        let fake = FakeRunner { _ in CommandResult(status: 1, output: "Error: No such file or directory\nadd rule ip ferry x\n") }
        let applier = try NFTApplier(nftPath: "/usr/sbin/nft", runner: fake)
        await #expect(throws: ServiceProxyError.commandFailed(
            command: "/usr/sbin/nft -f -", status: 1, output: "Error: No such file or directory\nadd rule ip ferry x\n")) {
            try await applier.apply(script: "add rule ip ferry x\n")
        }
        let ok = try NFTApplier(nftPath: "/x/nft", checkOnly: true, runner: FakeRunner())
        try await ok.apply(script: "")
        #expect(ServiceProxyError.commandFailed(command: "nft -f -", status: 1, output: "a\nb\n").description
            == "nft -f - exited with status 1: a | b")
    }
}
