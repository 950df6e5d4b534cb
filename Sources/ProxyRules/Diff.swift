/// The `nft -f` transaction that turns the kernel state `old` (as last applied) into `new`, touching only
/// what changed, as kube-proxy's partial sync does: changed chains are flushed and refilled, map elements
/// are added/deleted individually (delete then add when the value changed), stale chains and sets are
/// deleted. Returns "" when nothing changed. Stale chains are deleted in the same transaction, which needs
/// kernel >= 6.2 (older kernels release map-element references to a chain asynchronously).
public func diff(from old: Ruleset, to new: Ruleset) -> String {
    var lines: [String] = []
    for family in IPFamily.allCases {
        let o = old.table(family)
        let n = new.table(family)
        switch (o, n) {
        case (nil, nil):
            continue
        case (nil, let n?):
            lines.append(String(n.text.dropLast()))  // drop the final newline; joined below
        case (let o?, nil):
            lines.append("delete table \(o.prefix)")
        case (let o?, let n?) where o.name != n.name || o.comment != n.comment:
            lines.append("delete table \(o.prefix)")
            lines.append(String(n.text.dropLast()))
        case (let o?, let n?):
            lines += tableDiff(o, n)
        }
    }
    return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
}

/// UDP endpoints that some endpoint chain DNATed to in `old` but none does in `new`. Their conntrack
/// entries would keep steering a client's packets (same 5-tuple) to the dead endpoint, so the shell
/// deletes them, e.g. `conntrack -D -p udp --reply-src <ip> --reply-port-src <port>`. TCP needs nothing
/// (resets and timeouts end those flows).
public func conntrackFlushTargets(old: Ruleset, new: Ruleset) -> [(ip: String, port: Int, protocol: String)] {
    // A section's targets share its protocol: only UDP sections are looked at.
    func udp(_ r: Ruleset) -> Set<EndpointAddress> {
        Set(r.tables.lazy.flatMap(\.sections).filter { $0.dnatTargets.first?.protocol == "udp" }.flatMap(\.dnatTargets))
    }
    return udp(old).subtracting(udp(new)).sorted().map { ($0.ip, $0.port, $0.protocol) }
}

private func tableDiff(_ oldTable: Table, _ newTable: Table) -> [String] {
    // Sections are per Service port (title) and own their chains, sets and elements: compare only the
    // ones that differ. Unchanged sections reused from a cache compare in O(1) (same array storage).
    var o = oldTable, n = newTable
    let oldByTitle = Dictionary(o.sections.map { ($0.title ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    let newByTitle = Dictionary(n.sections.map { ($0.title ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    if oldByTitle.count == o.sections.count && newByTitle.count == n.sections.count {
        o.sections = o.sections.filter { newByTitle[$0.title ?? ""] != $0 }
        n.sections = n.sections.filter { oldByTitle[$0.title ?? ""] != $0 }
    }
    let prefix = n.prefix
    let oldSets = o.sections.flatMap(\.sets)
    let newSets = n.sections.flatMap(\.sets)
    let oldChains = o.sections.flatMap(\.chains)
    let newChains = n.sections.flatMap(\.chains)
    let oldElements = o.sections.flatMap(\.elements)
    let newElements = n.sections.flatMap(\.elements)

    let oldSetByName = Dictionary(oldSets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    let newSetByName = Dictionary(newSets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    let oldChainByName = Dictionary(oldChains.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    let newChainByName = Dictionary(newChains.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    let addedSets = newSets.filter { oldSetByName[$0.name] == nil }
    let removedSets = oldSets.filter { newSetByName[$0.name] == nil }
    // A set whose definition changed (e.g. affinity timeout) must be deleted and re-created.
    let recreatedSets = newSets.filter { s in oldSetByName[s.name].map { $0 != s } ?? false }
    let droppedSetNames = Set(removedSets.map(\.name) + recreatedSets.map(\.name))

    let addedChains = newChains.filter { oldChainByName[$0.name] == nil }
    let removedChains = oldChains.filter { newChainByName[$0.name] == nil }
    // Rewrite chains whose rules changed, and chains referencing a re-created set (the set cannot be
    // deleted while a rule still refers to it).
    let rewrittenChains = newChains.filter { c in
        guard let before = oldChainByName[c.name] else { return false }
        if before.rules != c.rules { return true }
        return c.rules.contains { rule in rule.split(separator: " ").contains { $0.hasPrefix("@") && droppedSetNames.contains(String($0.dropFirst())) } }
    }

    var lines: [String] = []
    lines += addedChains.map { $0.addLine(prefix: prefix) }
    lines += addedSets.map { $0.addLine(prefix: prefix) }
    lines += (rewrittenChains + removedChains).map { "flush chain \(prefix) \($0.name)" }
    lines += (removedSets + recreatedSets.compactMap { oldSetByName[$0.name] }).map { $0.deleteLine(prefix: prefix) }
    lines += recreatedSets.map { $0.addLine(prefix: prefix) }

    func id(_ e: Element) -> String { "\(e.set)|\(e.key)" }
    let oldElementByID = Dictionary(oldElements.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
    let newElementByID = Dictionary(newElements.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
    // Elements of deleted sets went away with the set.
    for e in oldElements where !droppedSetNames.contains(e.set) && newElementByID[id(e)] != e {
        lines.append(e.deleteLine(prefix: prefix))
    }
    for e in newElements where droppedSetNames.contains(e.set) || oldElementByID[id(e)] != e {
        lines.append(e.addLine(prefix: prefix))
    }

    let refilled = Set((addedChains + rewrittenChains).map(\.name))
    for c in newChains where refilled.contains(c.name) { lines += c.ruleLines(prefix: prefix) }
    lines += removedChains.map { "delete chain \(prefix) \($0.name)" }
    return lines
}
