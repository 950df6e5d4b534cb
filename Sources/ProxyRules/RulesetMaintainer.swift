import KubeAPI

/// Keeps a rendered `Ruleset` in step with a stream of cluster snapshots, re-rendering only the
/// Services whose object or EndpointSlices changed (found from the snapshot change log), and reusing
/// the other Services' sections as they are, so `diff` can skip them in O(1). The result equals
/// `render(_:)` of the same snapshot (warnings may come in another order). Pure: the proxy feeds it
/// snapshots in order.
public struct RulesetMaintainer: Sendable {
    public let node: NodeConfig
    private let base: [Section]
    /// Per Service (`namespace/name`): its sections per family (in `node.families` order), rendered
    /// alone, i.e. before map keys claimed by earlier Services are taken out.
    private var rendered: [String: [[Section]]] = [:]
    private var warnings: [String: [RenderWarning]] = [:]
    /// Service keys in render order: (namespace, name).
    private var order: [String] = []
    private var ownership = SliceOwnership()
    private var applied: ClusterSnapshot?

    public init(node: NodeConfig) {
        self.node = node
        base = node.families.map { TableBuilder(family: $0, node: node).baseSection() }
    }

    /// The ruleset for `snapshot`.
    public mutating func apply(_ snapshot: ClusterSnapshot) -> Ruleset {
        var owners = Set<String>()
        var membershipChanged = false
        if let previous = applied, previous.synced == snapshot.synced {
            owners = snapshot.changedKeys(.service, since: previous)
                .union(ownership.update(snapshot.changedKeys(.endpointSlice, since: previous), in: snapshot))
        } else {
            rendered = [:]
            warnings = [:]
            ownership.rebuild(snapshot)
            owners = Set(snapshot[.service].keys)
            membershipChanged = true
        }
        applied = snapshot

        for key in owners {
            guard let obj = snapshot[.service][key] else {
                if rendered.removeValue(forKey: key) != nil { membershipChanged = true }
                warnings[key] = nil
                continue
            }
            if rendered[key] == nil { membershipChanged = true }
            let svc = Service(obj)
            let slices = (ownership.slices[key] ?? []).sorted().compactMap { snapshot[.endpointSlice][$0].map(EndpointSlice.init) }
            let index = EndpointIndex(slices)
            var w = Warnings()
            rendered[key] = node.families.map { family in
                var builder = TableBuilder(family: family, node: node, withBase: false)
                builder.add(svc, index: index, warnings: &w)
                return builder.table.sections
            }
            warnings[key] = w.list
        }
        if membershipChanged {
            order = rendered.keys.sorted { a, b in Self.nameOrder(a) < Self.nameOrder(b) }
        }
        return assemble()
    }

    /// Base sections, then every Service's sections in order, with map keys already claimed by an
    /// earlier Service taken out (as `render` does while it builds).
    private func assemble() -> Ruleset {
        var all = Warnings()
        var tables: [Table] = []
        for (f, family) in node.families.enumerated() {
            var table = Table(family: family, name: node.tableName, comment: "rules for ferry service proxy", sections: [base[f]])
            table.sections.reserveCapacity(order.count + 1)
            var claims = ElementClaims()
            for key in order {
                for w in warnings[key] ?? [] { all.add(w) }
                for var section in rendered[key]?[f] ?? [] {
                    // Sections keep their storage (so `diff` compares them in O(1)) unless a key is taken.
                    var kept: [Element]?
                    for (i, e) in section.elements.enumerated() {
                        guard claims.claim(e, for: key, warnings: &all) else {
                            if kept == nil { kept = Array(section.elements[..<i]) }
                            continue
                        }
                        kept?.append(e)
                    }
                    if let kept { section.elements = kept }
                    table.sections.append(section)
                }
            }
            tables.append(table)
        }
        return Ruleset(tableName: node.tableName, tables: tables, warnings: all.list)
    }

    static func nameOrder(_ key: String) -> (Substring, Substring) {
        guard let slash = key.firstIndex(of: "/") else { return ("", key[...]) }
        return (key[..<slash], key[key.index(after: slash)...])
    }
}
