import Foundation

/// A rendered nftables ruleset: one table per IP family, each an ordered list of sections (the fixed
/// base objects, then one section per Service port). `text` is an `nft -f` script that creates it on a
/// host without the tables; `diff(from:to:)` turns two rulesets into an incremental transaction.
public struct Ruleset: Sendable, Hashable {
    /// The table name shared by all families.
    public var tableName: String
    /// One table per rendered family, IPv4 first.
    public var tables: [Table]
    /// Inputs that were ignored while rendering (refused externalIPs, conflicting map keys, bad addresses).
    public var warnings: [RenderWarning]

    public init(tableName: String, tables: [Table], warnings: [RenderWarning] = []) {
        self.tableName = tableName
        self.tables = tables
        self.warnings = warnings
    }

    /// The table for `family`, if rendered.
    public func table(_ family: IPFamily) -> Table? { tables.first { $0.family == family } }

    /// The whole ruleset as `nft -f` commands (no deletes: valid when the tables do not exist yet).
    public var text: String { tables.map(\.text).joined(separator: "\n") }

    /// A transaction that atomically replaces whatever Ferry tables exist (both families) with this
    /// ruleset; for startup and for recovering after a failed incremental sync.
    public var fullSyncScript: String {
        var out = ""
        for family in IPFamily.allCases {
            // "add" first so that "delete" cannot fail when the table is absent.
            out += "add table \(family.nft) \(tableName)\ndelete table \(family.nft) \(tableName)\n"
        }
        return out + text
    }
}

/// One nftables table (`ip ferry` or `ip6 ferry`).
public struct Table: Sendable, Hashable {
    /// The address family (`ip` or `ip6` table).
    public var family: IPFamily
    /// The table name, e.g. `ferry`.
    public var name: String
    /// The table's nft comment.
    public var comment: String
    /// Base section first, then Service ports in (namespace, name, port order).
    public var sections: [Section]

    /// Endpoints that some endpoint chain DNATs to; used for conntrack cleanup.
    public var dnatTargets: Set<EndpointAddress> { Set(sections.lazy.flatMap(\.dnatTargets)) }

    var prefix: String { "\(family.nft) \(name)" }

    var headerLine: String { "add table \(prefix) { comment \(quoted(comment)) ; }" }

    /// This table as `nft -f` commands (creation only).
    public var text: String {
        var blocks = [headerLine]
        for s in sections { blocks.append(s.lines(prefix: prefix).joined(separator: "\n")) }
        return blocks.joined(separator: "\n\n") + "\n"
    }
}

/// A group of objects rendered together; `title` becomes an nft `#` comment line.
public struct Section: Sendable, Hashable {
    /// `ns/name:port/proto` for a Service port; nil for the base section.
    public var title: String?
    /// Sets and maps declared by this section (affinity sets for a Service port).
    public var sets: [NFTSet] = []
    /// Chains with their rules, in rendering order.
    public var chains: [Chain] = []
    /// Elements this section adds to the shared sets and maps.
    public var elements: [Element] = []
    /// Endpoints this section's endpoint chains DNAT to (all of one protocol).
    public var dnatTargets: [EndpointAddress] = []

    /// Sets, then all chains (declared before any rule so `goto` targets exist), then rules, then elements.
    func lines(prefix: String) -> [String] {
        var out: [String] = []
        if let title { out.append("# \(title)") }
        out += sets.map { $0.addLine(prefix: prefix) }
        out += chains.map { $0.addLine(prefix: prefix) }
        for c in chains { out += c.ruleLines(prefix: prefix) }
        out += elements.map { $0.addLine(prefix: prefix) }
        return out
    }
}

/// A named set or verdict map; `spec` is the body between braces (`type ... ; flags ... ;`).
public struct NFTSet: Sendable, Hashable {
    public var name: String
    /// A verdict map (`add map`) rather than a set.
    public var isMap: Bool
    public var spec: String

    func addLine(prefix: String) -> String { "add \(isMap ? "map" : "set") \(prefix) \(name) { \(spec) }" }
    func deleteLine(prefix: String) -> String { "delete \(isMap ? "map" : "set") \(prefix) \(name)" }
}

/// A chain; `spec` is the base-chain body (`type nat hook ... ;`) or nil for a regular chain.
public struct Chain: Sendable, Hashable {
    public var name: String
    public var spec: String?
    /// Rule bodies, without the `add rule <family> <table> <chain>` prefix.
    public var rules: [String]

    func addLine(prefix: String) -> String {
        spec.map { "add chain \(prefix) \(name) { \($0) }" } ?? "add chain \(prefix) \(name)"
    }
    func ruleLines(prefix: String) -> [String] { rules.map { "add rule \(prefix) \(name) \($0)" } }
}

/// An element of a set (`value == nil`) or verdict map.
public struct Element: Sendable, Hashable {
    /// The set or map this element belongs to.
    public var set: String
    /// The key as nft spells it, e.g. `172.30.0.41 . tcp . 80`.
    public var key: String
    /// The verdict (`goto <chain>`, `drop`) for map elements.
    public var value: String?
    public var comment: String?

    var body: String {
        var s = key
        if let comment { s += " comment \(quoted(comment))" }
        if let value { s += " : \(value)" }
        return s
    }

    func addLine(prefix: String) -> String { "add element \(prefix) \(set) { \(body) }" }
    func deleteLine(prefix: String) -> String { "delete element \(prefix) \(set) { \(key) }" }
}

/// An endpoint address as DNAT targets it.
public struct EndpointAddress: Sendable, Hashable, Comparable {
    public var ip: String
    public var port: Int
    /// Lower-case protocol: `tcp`, `udp` or `sctp`.
    public var `protocol`: String

    public init(ip: String, port: Int, protocol: String) {
        self.ip = ip
        self.port = port
        self.protocol = `protocol`
    }

    public static func < (a: EndpointAddress, b: EndpointAddress) -> Bool {
        (a.protocol, a.ip, a.port) < (b.protocol, b.ip, b.port)
    }
}

/// Something in the snapshot that `render` skipped rather than programmed.
public enum RenderWarning: Sendable, Hashable {
    /// A `spec.externalIPs` entry outside `allowedExternalIPCIDRs` (CVE-2020-8554).
    case externalIPRefused(service: String, ip: String)
    /// A map key already claimed by an earlier Service port (e.g. two Services sharing an external IP);
    /// the earlier one keeps it, as a second value would fail the whole transaction.
    case conflictingElement(service: String, map: String, key: String)
    /// An address or CIDR in the Service that does not parse.
    case invalidAddress(service: String, value: String)
}

/// nft string literal; Kubernetes names never contain quotes, but be safe anyway.
func quoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\"", with: "'") + "\""
}
