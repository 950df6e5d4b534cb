import Foundation
import KubeAPI

/// An IP family; each one gets its own nftables table (`ip ferry`, `ip6 ferry`), as kube-proxy runs one
/// single-stack proxier per family.
public enum IPFamily: String, Sendable, Hashable, CaseIterable, Comparable {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"

    /// The nftables table family and address-expression keyword: `ip` or `ip6`.
    public var nft: String { self == .ipv4 ? "ip" : "ip6" }
    var addrType: String { self == .ipv4 ? "ipv4_addr" : "ipv6_addr" }
    var icmpReject: String {
        self == .ipv4 ? "reject with icmp type port-unreachable" : "reject with icmpv6 type port-unreachable"
    }

    /// "Connection refused" at once: a TCP reset for TCP (an ICMP error generated in the output
    /// hook does not reach a local client's socket, so local connects would otherwise time out),
    /// ICMP port unreachable for everything else.
    var rejectRules: [String] { ["meta l4proto tcp reject with tcp reset", icmpReject] }

    init(of ip: ParsedIP) { self = ip.isIPv4 ? .ipv4 : .ipv6 }

    public static func < (a: IPFamily, b: IPFamily) -> Bool { a == .ipv4 && b == .ipv6 }
}

/// Why a `NodeConfig` could not be built.
public enum ProxyRulesError: Error, Equatable, Sendable {
    /// A node IP is not an IP address.
    case invalidNodeIP(String)
    /// A configured CIDR (pod, service or external-IP allow-list) is malformed.
    case invalidCIDR(String)
    /// The table name is empty or has characters nft would not accept unquoted.
    case invalidTableName(String)
    /// No IP family was requested.
    case noFamilies
}

/// Per-node settings of the service proxy, validated once at construction (from flags/config), so that
/// `render` itself cannot fail.
public struct NodeConfig: Sendable, Hashable {
    /// This node's name: endpoints whose `nodeName` equals it are "local" for the `Local` traffic policies.
    public var nodeName: String
    /// Addresses that accept NodePort traffic (kube-proxy's `--nodeport-addresses`, default node IPs).
    public var nodeIPs: [ParsedIP]
    /// Families to render, each into its own table.
    public var families: [IPFamily]
    /// Pod network CIDRs: traffic from them is "cluster-local" (no ClusterIP masquerade, ETP=Local
    /// short-circuit). Empty for a family means local traffic cannot be detected there.
    public var podCIDRs: [ParsedCIDR]
    /// Service ClusterIP ranges; traffic to an unallocated address in them is dropped.
    public var serviceCIDRs: [ParsedCIDR]
    /// `spec.externalIPs` are only programmed when inside one of these (CVE-2020-8554); empty refuses all.
    public var allowedExternalIPCIDRs: [ParsedCIDR]
    /// Masquerade every ClusterIP connection (kube-proxy `--masquerade-all`).
    public var masqueradeAll: Bool
    /// The packet-mark bit that requests masquerading in postrouting.
    public var masqueradeMark: UInt32
    /// The nftables table name in every family.
    public var tableName: String

    /// Parses and validates textual settings; throws on the first malformed value.
    public init(
        nodeName: String, nodeIPs: [String], families: [IPFamily] = [.ipv4], podCIDRs: [String] = [],
        serviceCIDRs: [String] = [], allowedExternalIPCIDRs: [String] = [], masqueradeAll: Bool = false,
        masqueradeMark: UInt32 = 0x4000, tableName: String = "ferry"
    ) throws(ProxyRulesError) {
        func cidrs(_ list: [String]) throws(ProxyRulesError) -> [ParsedCIDR] {
            var out: [ParsedCIDR] = []
            for text in list {
                guard let c = ParsedCIDR(text.trimmingCharacters(in: .whitespaces)) else { throw .invalidCIDR(text) }
                out.append(c)
            }
            return out
        }
        var ips: [ParsedIP] = []
        for text in nodeIPs {
            guard let ip = ParsedIP(text) else { throw .invalidNodeIP(text) }
            ips.append(ip)
        }
        guard !families.isEmpty else { throw .noFamilies }
        let nameOK = tableName.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 45
        }
        guard !tableName.isEmpty, tableName.utf8.count <= 64, nameOK, tableName.utf8.first.map({ $0 >= 65 }) == true
        else { throw .invalidTableName(tableName) }
        self.nodeName = nodeName
        self.nodeIPs = ips
        self.families = Array(Set(families)).sorted()
        self.podCIDRs = try cidrs(podCIDRs)
        self.serviceCIDRs = try cidrs(serviceCIDRs)
        self.allowedExternalIPCIDRs = try cidrs(allowedExternalIPCIDRs)
        self.masqueradeAll = masqueradeAll
        self.masqueradeMark = masqueradeMark
        self.tableName = tableName
    }
}

/// Everything `render` needs: the cluster state (as the API server reports it) plus this node's settings.
public struct ProxySnapshot: Sendable, Hashable {
    public var services: [Service]
    public var endpointSlices: [EndpointSlice]
    public var node: NodeConfig

    public init(services: [Service], endpointSlices: [EndpointSlice], node: NodeConfig) {
        self.services = services
        self.endpointSlices = endpointSlices
        self.node = node
    }
}
