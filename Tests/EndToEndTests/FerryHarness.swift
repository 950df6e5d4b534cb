import Foundation
import TestSupport
import Testing

/// Locates a command on PATH; nil when missing (tests then record an explicit skip, never a pass).
func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// The result of running a command.
struct CommandResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// Runs a command to completion with an optional stdin, bounded by `timeout` seconds.
func run(_ path: String, _ args: [String], env: [String: String] = [:], stdin: String? = nil, timeout: Double = 60) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? inp.fileHandleForWriting.close()
    // Drain pipes concurrently so large outputs cannot deadlock. Own threads, not Dispatch's pool:
    // on Linux that pool does not grow when its threads block, so callers that themselves run on it
    // (concurrent writers) could starve the drains and wait forever.
    let outData = LockedData(), errData = LockedData()
    let g = DispatchGroup()
    g.enter()
    onThread { outData.set(out.fileHandleForReading.readDataToEndOfFile()); g.leave() }
    g.enter()
    onThread { errData.set(err.fileHandleForReading.readDataToEndOfFile()); g.leave() }
    if exitStatus(of: p, within: timeout) == nil { stopChild(p, signal: SIGTERM, timeout: 0.1) }
    g.wait()
    return CommandResult(
        status: exitStatus(of: p, within: 0) ?? -1, stdout: String(decoding: outData.get(), as: UTF8.self),
        stderr: String(decoding: errData.get(), as: UTF8.self))
}

/// Runs blocking work on a new thread of its own.
func onThread(_ body: @escaping @Sendable () -> Void) {
    let t = Thread(block: body)
    t.stackSize = 1 << 20
    t.start()
}

final class LockedData: @unchecked Sendable {
    private var d = Data()
    private let lock = NSLock()
    func set(_ v: Data) { lock.lock(); d = v; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return d }
}

/// A free TCP port on 127.0.0.1 (bound then released; good enough for tests).
/// A loopback port that is free now and not handed out before in this test run: the kernel can
/// return the same ephemeral port to two probes in a row, and two listeners of one server then
/// collide ("address already in use").
func freePort() -> Int {
    for _ in 0..<100 {
        let port = probeFreePort()
        handedOut.lock.lock()
        let fresh = handedOut.ports.insert(port).inserted
        handedOut.lock.unlock()
        if fresh { return port }
    }
    return probeFreePort()
}

private let handedOut = HandedOutPorts()

private final class HandedOutPorts: @unchecked Sendable {
    let lock = NSLock()
    var ports = Set<Int>()
}

private func probeFreePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Path of the built `ferry` binary (next to the test bundle).
func ferryBinary() throws -> String {
    if let p = ProcessInfo.processInfo.environment["FERRY_BIN"] { return p }
    var dir = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { dir.deleteLastPathComponent() }
    for cand in [".build/debug/ferry", ".build/release/ferry"] {
        let p = dir.appendingPathComponent(cand).path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    throw HarnessError("ferry binary not found; run `swift build` first (or set FERRY_BIN)")
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A running `ferry server` on loopback with its own data dir, plus a kubectl wrapper.
final class FerryServerProcess: @unchecked Sendable {
    let dataDir: String
    let apiPort: Int
    let metricsPort: Int
    let process: Process
    let cacheDir: String
    let logPath: String
    var kubeconfig: String { dataDir + "/kubeconfig.yaml" }

    init(dataDir: String? = nil, apiPort: Int? = nil, extraArgs: [String] = []) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-e2e-\(UUID().uuidString.prefix(8))").path
        self.dataDir = dataDir ?? base + "/data"
        cacheDir = base + "/kubecache"
        logPath = base + "/server.log"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        self.apiPort = apiPort ?? freePort()
        metricsPort = freePort()
        process = try Self.launch(dataDir: self.dataDir, apiPort: self.apiPort, metricsPort: metricsPort, logPath: logPath, extraArgs: extraArgs)
        try waitReady()
    }

    static func launch(dataDir: String, apiPort: Int, metricsPort: Int, logPath: String, extraArgs: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ferryBinary())
        // Tests run several servers at once: DNS on a free port unless the test picks one, no kernel proxy rules.
        var defaults: [String] = []
        if !extraArgs.contains("--dns-listen") { defaults += ["--dns-listen", "127.0.0.1:\(freePort())", "--upstream", "127.0.0.1:9"] }
        if !extraArgs.contains("--proxy-mode") { defaults += ["--proxy-mode", "off"] }
        if !extraArgs.contains("--http-listen") { defaults += ["--http-listen", "127.0.0.1:\(freePort())", "--https-listen", "127.0.0.1:\(freePort())"] }
        p.arguments = ["server", "--data-dir", dataDir, "--api-listen", "127.0.0.1:\(apiPort)", "--metrics-listen", "127.0.0.1:\(metricsPort)"] + defaults + extraArgs
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        return p
    }

    func waitReady(timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isAlive(process) { throw HarnessError("ferry exited early:\n\(serverLog())") }
            if FileManager.default.fileExists(atPath: kubeconfig),
                let r = try? run("/usr/bin/curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:\(apiPort)/readyz"], timeout: 5),
                r.stdout == "200"
            {
                return
            }
            usleep(50_000)
        }
        throw HarnessError("ferry did not become ready:\n\(serverLog())")
    }

    func serverLog() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs kubectl against this server with a private cache dir.
    @discardableResult
    func kubectl(_ args: [String], stdin: String? = nil, timeout: Double = 60) throws -> CommandResult {
        guard let k = which("kubectl") else { throw HarnessError("kubectl not installed") }
        return try run(k, ["--cache-dir", cacheDir] + args, env: ["KUBECONFIG": kubeconfig], stdin: stdin, timeout: timeout)
    }

    func kubectl(_ line: String, stdin: String? = nil) throws -> CommandResult {
        try kubectl(line.split(separator: " ").map(String.init), stdin: stdin)
    }

    /// Stops the server (SIGTERM by default), escalating to SIGKILL after 15 s so a test never hangs.
    func stop(signal: Int32 = SIGTERM) {
        if !stopChild(process, signal: signal, timeout: 15) {
            // The server's last log lines (it logs its shutdown steps) show which part held on.
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            Issue.record("ferry server did not exit within 15 s of signal \(signal); log ends:\n\(log.suffix(3000))")
        }
    }

    var isRunning: Bool { isAlive(process) }

    deinit { stop(signal: SIGKILL) }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// A background process started by a test, killed (by PID) when the test ends.
final class Background: @unchecked Sendable {
    let process = Process()
    let logPath: String

    init(_ path: String, _ args: [String], env: [String: String] = [:]) throws {
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("bg-\(UUID().uuidString.prefix(8)).log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop(_ sig: Int32 = SIGTERM, timeout: Double = 10) {
        stopChild(process, signal: sig, timeout: timeout)
    }

    deinit { stop(SIGKILL) }
}
