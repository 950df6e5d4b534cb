import KubeAPI

/// Bare-metal LoadBalancer address assignment (MetalLB/k3s ServiceLB style), as a pure function of
/// the Services and the pool: addresses already held stay put, a requested `spec.loadBalancerIP` is
/// honoured when free, the rest get the lowest free address; with no pool every LoadBalancer gets
/// the node IPs.
public enum LoadBalancerLogic {
    /// The `spec.loadBalancerClass` Ferry answers for besides "no class".
    public static let loadBalancerClass = "ferry.dev/lb"

    public struct Pool: Sendable, Equatable {
        public var addresses: [String]

        public enum ParseError: Error, Equatable { case invalid(String) }

        /// Parses `CIDR[,CIDR]` (IPv4). Network and broadcast addresses are skipped for prefixes < 31.
        public init(_ text: String) throws(ParseError) {
            var out: [String] = []
            for part in text.split(separator: ",") {
                let p = part.trimmingCharacters(in: .whitespaces)
                let pieces = p.split(separator: "/")
                guard pieces.count == 2, let bits = Int(pieces[1]), (16...32).contains(bits), let base = Self.ipv4(String(pieces[0])) else {
                    throw .invalid("invalid --lb-pool \(p): expected an IPv4 CIDR with a prefix of /16 to /32")
                }
                let size = UInt32(1) << UInt32(32 - bits)
                let network = base & ~(size &- 1)
                let (first, last): (UInt32, UInt32) = bits >= 31 ? (network, network + size - 1) : (network + 1, network + size - 2)
                var a = first
                while a <= last {
                    out.append(Self.string(a))
                    if a == UInt32.max { break }
                    a += 1
                }
            }
            if out.isEmpty { throw .invalid("invalid --lb-pool \"\(text)\": expected CIDR[,CIDR]") }
            addresses = out
        }

        public init(addresses: [String]) { self.addresses = addresses }

        static func ipv4(_ s: String) -> UInt32? {
            let o = s.split(separator: ".").compactMap { UInt32($0) }
            guard o.count == 4, o.allSatisfy({ $0 < 256 }) else { return nil }
            return o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3]
        }

        static func string(_ a: UInt32) -> String { "\(a >> 24).\((a >> 16) & 255).\((a >> 8) & 255).\(a & 255)" }
    }

    public enum Outcome: Sendable, Equatable {
        case assigned([String])
        /// No address free: the Service stays `<pending>`.
        case pending(reason: String)
    }

    /// Whether Ferry handles this Service's load balancer.
    public static func isOurs(_ s: Service) -> Bool {
        s.type == "LoadBalancer" && (s.loadBalancerClass == nil || s.loadBalancerClass == loadBalancerClass)
    }

    /// Assignment for every Service we handle, keyed `namespace/name`.
    public static func plan(_ services: [Service], pool: Pool?, nodeIPs: [String]) -> [String: Outcome] {
        let ours = services.filter(isOurs).sorted {
            ($0.metadata.creationTimestamp ?? "", $0.metadata.namespace, $0.metadata.name)
                < ($1.metadata.creationTimestamp ?? "", $1.metadata.namespace, $1.metadata.name)
        }
        var out: [String: Outcome] = [:]
        func key(_ s: Service) -> String { "\(s.metadata.namespace)/\(s.metadata.name)" }
        guard let pool else {
            for s in ours {
                out[key(s)] = nodeIPs.isEmpty ? .pending(reason: "no --lb-pool and no --node-ip configured") : .assigned(nodeIPs)
            }
            return out
        }
        let inPool = Set(pool.addresses)
        var used = Set<String>()
        // 1. Keep what is already held (first holder wins on duplicates).
        var needs: [Service] = []
        for s in ours {
            let held = s.loadBalancerIngressIPs.first { inPool.contains($0) && !used.contains($0) }
            if let held, s.loadBalancerIP.isEmpty || s.loadBalancerIP == held {
                used.insert(held)
                out[key(s)] = .assigned([held])
            } else {
                needs.append(s)
            }
        }
        // 2. Requested addresses.
        var rest: [Service] = []
        for s in needs {
            if !s.loadBalancerIP.isEmpty {
                if !inPool.contains(s.loadBalancerIP) {
                    out[key(s)] = .pending(reason: "requested loadBalancerIP \(s.loadBalancerIP) is not in the pool")
                } else if used.contains(s.loadBalancerIP) {
                    out[key(s)] = .pending(reason: "requested loadBalancerIP \(s.loadBalancerIP) is already in use")
                } else {
                    used.insert(s.loadBalancerIP)
                    out[key(s)] = .assigned([s.loadBalancerIP])
                }
            } else {
                rest.append(s)
            }
        }
        // 3. Lowest free address.
        var next = pool.addresses.makeIterator()
        for s in rest {
            var found: String? = nil
            while let a = next.next() {
                if !used.contains(a) { found = a; break }
            }
            if let found {
                used.insert(found)
                out[key(s)] = .assigned([found])
            } else {
                out[key(s)] = .pending(reason: "no available IP in the pool")
            }
        }
        return out
    }
}
