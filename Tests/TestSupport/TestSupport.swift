import Foundation

/// SplitMix64: small, seeded, reproducible, so fuzz and property-test failures replay.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Exit statuses of children, once seen (by Foundation or by our own `waitpid`).
private let exits = LockedExits()

private final class LockedExits: @unchecked Sendable {
    let lock = NSLock()
    var statuses: [String: Int32] = [:]
}

/// The exit status of a child we started (the signal number if a signal ended it), waiting up to
/// `timeout` seconds; nil while it runs. Reaps with `waitpid` itself as well: Foundation on Linux
/// sometimes misses a child's SIGCHLD, leaving `isRunning` true and `waitUntilExit()` hanging on a
/// zombie forever. Use this instead of `waitUntilExit()` in tests.
public func exitStatus(of p: Process, within timeout: Double) -> Int32? {
    let key = "\(ObjectIdentifier(p).hashValue)-\(p.processIdentifier)"
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        exits.lock.lock()
        let known = exits.statuses[key]
        exits.lock.unlock()
        if let known { return known }
        var found: Int32? = nil
        if !p.isRunning {
            found = p.terminationStatus
        } else {
            var st: Int32 = 0
            if waitpid(p.processIdentifier, &st, WNOHANG) == p.processIdentifier {
                found = (st & 0x7F) == 0 ? (st >> 8) & 0xFF : st & 0x7F
            }
        }
        if let found {
            exits.lock.lock()
            exits.statuses[key] = found
            exits.lock.unlock()
            return found
        }
        if Date() >= deadline { return nil }
        usleep(10_000)
    }
}

public func isAlive(_ p: Process) -> Bool { exitStatus(of: p, within: 0) == nil }

/// Sends `signal` to a running child and waits up to `timeout` seconds; a child still running then
/// is killed with SIGKILL. Returns whether it exited within `timeout` (true if it had already).
@discardableResult
public func stopChild(_ p: Process, signal: Int32 = SIGTERM, timeout: Double) -> Bool {
    guard isAlive(p) else { return true }
    kill(p.processIdentifier, signal)
    if exitStatus(of: p, within: timeout) != nil { return true }
    kill(p.processIdentifier, SIGKILL)
    _ = exitStatus(of: p, within: 15)
    return false
}

/// Waits for a short-lived child (up to `timeout` seconds, then SIGKILL) and returns its status.
@discardableResult
public func finish(_ p: Process, timeout: Double = 60) -> Int32 {
    if exitStatus(of: p, within: timeout) == nil { stopChild(p, signal: SIGKILL, timeout: 10) }
    return exitStatus(of: p, within: 0) ?? -1
}
