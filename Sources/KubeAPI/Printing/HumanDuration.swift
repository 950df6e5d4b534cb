import Foundation

/// Formats an elapsed time the way `k8s.io/apimachinery/pkg/util/duration.HumanDuration` does
/// (the AGE column form: `119s`, `9m59s`, `3h1m`, `2d1h`, `729d`, `2y1d`, `8y`).
/// Up to 2 s in the future reads as `0s`; anything earlier (or NaN) is `<invalid>`.
public func humanDuration(_ seconds: Double) -> String {
    guard !seconds.isNaN else { return "<invalid>" }
    // Go works on integer nanoseconds; converting first keeps every boundary comparison exact.
    let nanos = seconds * 1e9
    let clamped: Int64
    if nanos >= 9.2e18 {
        clamped = .max
    } else if nanos <= -9.2e18 {
        clamped = .min
    } else {
        clamped = Int64(nanos.rounded(.towardZero))
    }
    return humanDuration(nanoseconds: clamped)
}

/// The integer core of `humanDuration(_:)`; every division truncates toward zero as Go's does.
func humanDuration(nanoseconds d: Int64) -> String {
    let second: Int64 = 1_000_000_000
    let minute = 60 * second
    let hour = 60 * minute

    // Clock skew of up to two seconds between writer and reader counts as "just now".
    let seconds = d / second
    if seconds < -1 { return "<invalid>" }
    if seconds < 0 { return "0s" }
    if seconds < 60 * 2 { return "\(seconds)s" }

    let minutes = d / minute
    if minutes < 10 {
        let s = seconds % 60
        return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
    }
    if minutes < 60 * 3 { return "\(minutes)m" }

    let hours = d / hour
    if hours < 8 {
        let m = minutes % 60
        return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
    }
    if hours < 48 { return "\(hours)h" }
    if hours < 24 * 8 {
        let h = hours % 24
        return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
    }
    if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365
        return dy == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(dy)d"
    }
    return "\(hours / 24 / 365)y"
}
