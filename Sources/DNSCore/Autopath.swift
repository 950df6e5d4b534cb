/// The outcome of server-side search-path expansion (CoreDNS `autopath @kubernetes`).
public enum AutopathResult: Sendable, Equatable {
    /// Not a first-search-element query from a known pod (or nothing to gain): use `resolve`.
    case notApplicable
    /// The reply to send: the first search-path name that exists, behind a CNAME from the asked name.
    case answer(DNSMessage)
    /// Every in-zone candidate was NXDOMAIN and the bare name is outside the zone: resolve `then`
    /// upstream with the query's type and build the reply with `completeAutopath(query:cname:upstream:in:)`.
    case forward(cname: ResourceRecord, then: DNSName)
}

/// Autopath for a query from `sourceIP`. When the name is `<base>.<ns>.svc.<zone>` and the source
/// is a pod in `<ns>` (i.e. the query is the first expansion of its resolv.conf search path), this
/// walks `<base>.<ns>.svc.<zone>`, `<base>.svc.<zone>`, `<base>.<zone>`, then `<base>.` and answers
/// with the first that is not NXDOMAIN, saving the client the rest of its search walk.
/// Node search domains are not walked: if all fail, the client's own walk covers them.
public func autopath(_ query: DNSMessage, sourceIP: IPAddress, in zone: ClusterZone) -> AutopathResult {
    guard zone.isSynced, zone.preflight(query) == nil else { return .notApplicable }
    let q = query.questions[0]
    guard q.qclass == .in, q.type != .axfr, q.type != .ixfr, let ns = zone.podNamespace(for: sourceIP) else { return .notApplicable }
    let svcZone = (try? zone.config.zone.prepending("svc")) ?? zone.config.zone
    guard let first = try? svcZone.prepending(ns), let baseLabels = q.name.labelsBelow(first), baseLabels > 0 else {
        return .notApplicable
    }
    // <base> keeps the client's spelling; CNAME owners must match the question byte for byte.
    let base = DNSName(uncheckedWire: Array(q.name.wire.prefix(q.name.wire.count - first.wire.count)) + [0])

    let firstReply: DNSMessage
    switch resolve(query, in: zone) {
    case .answer(let m) where m.rcode != .nxDomain:
        return .answer(m)
    case .answer(let m):
        firstReply = m
    case .forward, .externalName:
        return .notApplicable
    }
    for suffix in [svcZone, zone.config.zone, DNSName.root] {
        guard let candidate = try? base.appending(suffix) else { continue }
        var q2 = query
        q2.questions[0].name = candidate
        switch resolve(q2, in: zone) {
        case .answer(let m) where m.rcode == .nxDomain:
            continue
        case .answer(var m):
            cnamer(&m, original: q.name)
            return .answer(m)
        case .forward where suffix.isRoot:
            return .forward(cname: ResourceRecord(name: q.name, ttl: zone.config.ttl, data: .cname(candidate)), then: candidate)
        case .forward, .externalName:
            // ExternalName hops (or odd outside names) are left to the client's own walk.
            return .notApplicable
        }
    }
    return .answer(firstReply)
}

/// Builds the autopath reply once the upstream lookup of the bare name finished. An upstream
/// NXDOMAIN gives the plain NXDOMAIN for the asked name (so the client continues its own search
/// walk); a failed lookup (`nil`) gives SERVFAIL; anything else is the upstream reply behind
/// the CNAME.
public func completeAutopath(query: DNSMessage, cname: ResourceRecord, upstream: DNSMessage?, in zone: ClusterZone) -> DNSMessage {
    guard let upstream else { return zone.response(to: query, rcode: .servFail, authoritative: false) }
    if upstream.rcode == .nxDomain, case .answer(let m) = resolve(query, in: zone) { return m }
    var m = zone.response(to: query, rcode: upstream.rcode, authoritative: false)
    m.header.isTruncated = upstream.header.isTruncated
    m.answers = upstream.answers
    m.authorities = upstream.authorities
    if !m.answers.isEmpty { m.answers.insert(ResourceRecord(name: cname.name, ttl: m.answers[0].ttl, data: cname.data), at: 0) }
    return m
}

/// CoreDNS autopath `cnamer`: put the asked name back in the question and, when the answer is
/// for another name, prefix a CNAME from the asked name to the answer's owner (TTL of that RR).
func cnamer(_ m: inout DNSMessage, original: DNSName) {
    if let rr = m.answers.first(where: { $0.name != original }) {
        m.answers.insert(ResourceRecord(name: original, ttl: rr.ttl, data: .cname(rr.name)), at: 0)
    }
    if !m.questions.isEmpty { m.questions[0].name = original }
}
