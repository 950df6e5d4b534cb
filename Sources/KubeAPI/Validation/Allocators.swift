import Foundation

/// Why a ClusterIP or NodePort could not be allocated. `message` is the text kube-apiserver's allocators
/// put after `failed to allocate IP x: ` (IPs) or straight into the `spec.ports[i].nodePort` error (ports).
/// IP and port failures are separate cases because upstream words them differently.
public enum AllocationError: Error, Equatable, Sendable {
    /// The IP is taken (ClusterIPAllocator).
    case alreadyAllocated
    /// The node port is taken (NodePortAllocator).
    case portAlreadyAllocated
    /// The node port is outside the allocator's range, e.g. `30000-32767`.
    case notInRange(validRange: String)
    /// The IP is outside the usable part of the service CIDR (network and IPv4 broadcast addresses included).
    case ipNotInRange(ip: String, validRange: String)
    /// No free value remains.
    case full
    /// The text is not an IP address or CIDR.
    case invalid

    /// The upstream wording of this failure.
    public var message: String {
        switch self {
        case .alreadyAllocated: return "provided IP is already allocated"
        case .portAlreadyAllocated: return "provided port is already allocated"
        case .notInRange(let range):
            return "provided port is not in the valid range. The range of valid ports is \(range)"
        case .ipNotInRange(let ip, let range):
            return "the provided IP (\(ip)) is not in the valid range. The range of valid IPs is \(range)"
        case .full: return "range is full"
        case .invalid: return "not a valid IP address or CIDR"
        }
    }
}

/// A service ClusterIP range (`--service-cluster-ip-range`), IPv4 or IPv6. Usable addresses start after the
/// network address; IPv4 excludes the broadcast address and IPv6 ranges are capped at 65535 usable
/// addresses, as kube-apiserver's allocator does.
public struct ServiceCIDR: Sendable, Equatable {
    /// The normalised CIDR, e.g. `10.96.0.0/12` (host bits cleared).
    public private(set) var text: String
    /// `IPv4` or `IPv6`.
    public private(set) var family: String
    let cidr: ParsedCIDR
    let base: UInt128
    /// How many addresses can be handed out (offsets 1...usableCount).
    public let usableCount: Int

    /// Parses `10.96.0.0/12` or `fd00:10:96::/112`; throws `.invalid` for anything else.
    public init(_ text: String) throws(AllocationError) {
        guard let cidr = ParsedCIDR(text.trimmingCharacters(in: .whitespaces)) else { throw .invalid }
        self.cidr = cidr
        self.text = cidr.text
        self.family = cidr.network.family
        self.base = ServiceCIDR.integer(cidr.network)
        let hostBits = cidr.network.bytes.count * 8 - cidr.prefixLength
        if cidr.network.isIPv4 {
            usableCount = max(0, (1 << hostBits) - 2)
        } else {
            usableCount = hostBits >= 17 ? 65535 : max(0, (1 << hostBits) - 1)
        }
    }

    static func integer(_ ip: ParsedIP) -> UInt128 {
        ip.bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
    }

    /// Whether `ip` lies inside the CIDR (network and broadcast addresses included).
    public func contains(_ ip: String) -> Bool {
        guard let parsed = ParsedIP(ip) else { return false }
        return cidr.contains(parsed)
    }

    /// The address `offset` steps above the network address: 1 is the first usable (the `kubernetes`
    /// Service's), 10 is kube-dns's. Nil outside the usable range.
    public func address(offset: Int) -> String? {
        guard offset >= 1 && offset <= usableCount else { return nil }
        let value = base + UInt128(offset)
        let width = cidr.network.bytes.count
        var bytes = [UInt8](repeating: 0, count: width)
        for i in 0..<width { bytes[width - 1 - i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        return ParsedIP(bytes: bytes).text
    }

    /// The usable offset (1-based) of `ip`, or nil when it is not a usable address of this range.
    func offset(of ip: ParsedIP) -> Int? {
        guard cidr.contains(ip) else { return nil }
        let diff = ServiceCIDR.integer(ip) - base
        guard diff >= 1 && diff <= UInt128(usableCount) else { return nil }
        return Int(diff)
    }
}

/// SplitMix64: a tiny deterministic generator so allocators stay value types and tests can seed them.
struct AllocatorRandom: Sendable, Equatable {
    var state: UInt64
    mutating func next(below n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(n))
    }
}

/// Upstream's bitmap strategy with a static sub-range: dynamic picks start at a random point of the upper
/// part `[split, count)` and scan forward, falling back to the lower part, which is left for users who ask
/// for a specific value. Works on 0-based indexes.
struct OffsetScan: Sendable, Equatable {
    var used = Set<Int>()
    let count: Int
    let split: Int
    var random: AllocatorRandom

    mutating func next() -> Int? {
        guard used.count < count else { return nil }
        for (lo, hi) in [(split, count), (0, split)] where hi > lo {
            let size = hi - lo
            let start = random.next(below: size)
            for step in 0..<size {
                let i = lo + (start + step) % size
                if !used.contains(i) {
                    used.insert(i)
                    return i
                }
            }
        }
        return nil
    }

    /// `min(max(minimum, size/step), maximum)`, 0 for ranges of `minimum` or less.
    static func staticSplit(size: Int, minimum: Int, maximum: Int, step: Int) -> Int {
        if size <= minimum { return 0 }
        return min(max(minimum, size / step), maximum)
    }
}

/// Hands out ClusterIPs from one `ServiceCIDR`. Static requests may use any usable address; dynamic ones
/// prefer the upper part of the range (kube-apiserver 1.32's `ServiceIPStaticSubrange`: the lowest
/// `min(max(16, size/16), 256)` addresses are kept for static use). Used addresses are kept in a set, so
/// large IPv6 ranges cost nothing up front.
public struct ClusterIPAllocator: Sendable {
    /// The range this allocator serves.
    public let cidr: ServiceCIDR
    var scan: OffsetScan

    /// An allocator with a random seed for its dynamic picks.
    public init(cidr: ServiceCIDR) { self.init(cidr: cidr, seed: UInt64.random(in: 0...UInt64.max)) }

    /// A deterministic allocator, for tests.
    public init(cidr: ServiceCIDR, seed: UInt64) {
        self.cidr = cidr
        let hostBits = cidr.cidr.network.bytes.count * 8 - cidr.cidr.prefixLength
        let size = hostBits >= 62 ? Int.max : 1 << hostBits
        scan = OffsetScan(
            count: cidr.usableCount,
            split: min(cidr.usableCount, OffsetScan.staticSplit(size: size, minimum: 16, maximum: 256, step: 16)),
            random: AllocatorRandom(state: seed))
    }

    /// Reserves a specific IP (e.g. a user-supplied `clusterIP`).
    public mutating func allocate(_ ip: String) throws(AllocationError) {
        guard let parsed = ParsedIP(ip) else { throw .invalid }
        guard let offset = cidr.offset(of: parsed) else {
            throw .ipNotInRange(ip: parsed.text, validRange: cidr.text)
        }
        if !scan.used.insert(offset - 1).inserted { throw .alreadyAllocated }
    }

    /// Picks a free IP, preferring the dynamic (upper) part of the range.
    public mutating func allocateNext() throws(AllocationError) -> String {
        guard let index = scan.next(), let ip = cidr.address(offset: index + 1) else { throw .full }
        return ip
    }

    /// Frees an IP; unknown or foreign IPs are ignored.
    public mutating func release(_ ip: String) {
        guard let parsed = ParsedIP(ip), let offset = cidr.offset(of: parsed) else { return }
        scan.used.remove(offset - 1)
    }

    /// Whether `ip` is currently held.
    public func isAllocated(_ ip: String) -> Bool {
        guard let parsed = ParsedIP(ip), let offset = cidr.offset(of: parsed) else { return false }
        return scan.used.contains(offset - 1)
    }

    /// How many IPs are currently allocated.
    public var allocatedCount: Int { scan.used.count }
}

/// Hands out NodePorts from a range such as 30000...32767. As in kube-apiserver, dynamic picks prefer the
/// part above the lowest `min(max(16, size/32), 128)` ports (86 for the default range), which stay free
/// for users who ask for a specific port.
public struct NodePortAllocator: Sendable {
    /// The port range this allocator serves.
    public let range: ClosedRange<Int>
    var scan: OffsetScan

    /// An allocator with a random seed for its dynamic picks.
    public init(range: ClosedRange<Int>) { self.init(range: range, seed: UInt64.random(in: 0...UInt64.max)) }

    /// A deterministic allocator, for tests.
    public init(range: ClosedRange<Int>, seed: UInt64) {
        self.range = range
        let size = range.count
        scan = OffsetScan(
            count: size, split: OffsetScan.staticSplit(size: size, minimum: 16, maximum: 128, step: 32),
            random: AllocatorRandom(state: seed))
    }

    /// The range as kube-apiserver prints it, e.g. `30000-32767`.
    public var rangeText: String { "\(range.lowerBound)-\(range.upperBound)" }

    /// Reserves a specific port (a user-supplied `nodePort`).
    public mutating func allocate(_ port: Int) throws(AllocationError) {
        guard range.contains(port) else { throw .notInRange(validRange: rangeText) }
        if !scan.used.insert(port - range.lowerBound).inserted { throw .portAlreadyAllocated }
    }

    /// Picks a free port, preferring the dynamic (upper) band.
    public mutating func allocateNext() throws(AllocationError) -> Int {
        guard let index = scan.next() else { throw .full }
        return range.lowerBound + index
    }

    /// Frees a port; ports outside the range are ignored.
    public mutating func release(_ port: Int) {
        guard range.contains(port) else { return }
        scan.used.remove(port - range.lowerBound)
    }

    /// Whether `port` is currently held.
    public func isAllocated(_ port: Int) -> Bool {
        range.contains(port) && scan.used.contains(port - range.lowerBound)
    }

    /// How many ports are currently allocated.
    public var allocatedCount: Int { scan.used.count }
}

extension Validation {
    /// The 422 cause kube-apiserver reports when a requested clusterIP cannot be reserved:
    /// `spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: <reason>`.
    public static func clusterIPAllocationError(clusterIPs: [String], ip: String, error: AllocationError) -> FieldError
    {
        .invalid(
            "spec.clusterIPs", rendered: ValidationGo.slice(clusterIPs), "failed to allocate IP \(ip): \(error.message)"
        )
    }

    /// The 422 cause for a requested nodePort that cannot be reserved:
    /// `spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`.
    public static func nodePortAllocationError(portIndex: Int, nodePort: Int, error: AllocationError) -> FieldError {
        .invalid("spec.ports[\(portIndex)].nodePort", Int64(nodePort), error.message)
    }
}
