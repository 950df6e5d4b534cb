/// What the DNS shell should do with a query.
public enum Resolution: Sendable, Equatable {
    /// Send this response (serialize with `udpResponseLimit(for:)` over UDP).
    case answer(DNSMessage)
    /// Not ours (outside the cluster zone, or a reverse name no ClusterIP/endpoint owns): forward
    /// the query upstream unchanged.
    case forward
    /// An ExternalName service: resolve `then` upstream with the query's type, then build the
    /// response with `completeExternalName(query:cnames:upstream:in:)`. `cnames` is the chain from
    /// the query name to `then` (one record, unless ExternalNames point at each other in-zone).
    case externalName(cnames: [ResourceRecord], then: DNSName)
}

/// Answers `query` from the cluster zone snapshot, following the Kubernetes DNS specification and
/// CoreDNS's `kubernetes` plugin (NODATA vs NXDOMAIN, SOA in negative answers, SRV weights).
/// The shell must drop messages with QR set before calling this; anything else gets an answer.
public func resolve(_ query: DNSMessage, in zone: ClusterZone) -> Resolution {
    if let early = zone.preflight(query) { return .answer(early) }
    let q = query.questions[0]
    guard let below = q.name.labelsBelow(zone.config.zone) else {
        return zone.resolveOutside(query, q)
    }
    guard q.qclass == .in || q.qclass == .any else { return .answer(zone.response(to: query, rcode: .refused, authoritative: false)) }
    if q.type == .axfr || q.type == .ixfr { return .answer(zone.response(to: query, rcode: .refused, authoritative: false)) }

    guard let node = zone.node(for: q.name, labelsBelowZone: below) else {
        return .answer(zone.negative(query, nxdomain: true, labelsBelowZone: below))
    }
    let ttl = zone.config.ttl
    var answers: [ResourceRecord] = []
    var additionals: [ResourceRecord] = []
    func records(_ list: [RData], ttl: UInt32 = ttl) -> [ResourceRecord] {
        list.map { ResourceRecord(name: q.name, ttl: ttl, data: $0) }
    }
    switch q.type {
    case .a, .aaaa, .txt:
        if let target = node.externalName {
            return zone.chaseExternalName(query, from: q.name, target: target, labelsBelowZone: below)
        }
        answers = q.type == .a ? records(node.a) : q.type == .aaaa ? records(node.aaaa) : records(node.txt, ttl: node.txtTTL)
    case .cname:
        if let target = node.externalName { answers = [ResourceRecord(name: q.name, ttl: ttl, data: .cname(target))] }
    case .srv:
        answers = records(node.srv)
        additionals = node.srvExtra
    case .soa where node.isApex:
        answers = [ResourceRecord(name: q.name, ttl: zone.soaTTL, data: .soa(zone.soaData))]
    case .ns where node.isApex && !zone.config.nameserverIPs.isEmpty:
        let nsName = zone.soaData.mname
        answers = [ResourceRecord(name: q.name, ttl: ttl, data: .ns(nsName))]
        additionals = zone.config.nameserverIPs.map {
            switch $0 {
            case .v4(let a): return ResourceRecord(name: nsName, ttl: ttl, data: .a(a))
            case .v6(let a): return ResourceRecord(name: nsName, ttl: ttl, data: .aaaa(a))
            }
        }
    default:
        break
    }
    if answers.isEmpty { return .answer(zone.negative(query, nxdomain: false, labelsBelowZone: below)) }
    var m = zone.response(to: query, rcode: .noError, authoritative: true)
    m.answers = answers
    m.additionals = additionals
    return .answer(m)
}

/// Builds the reply for an `.externalName` resolution once the upstream lookup of its target
/// finished: the CNAME followed by the upstream answers (any upstream rcode, as CoreDNS), or
/// NODATA when the upstream lookup failed (`upstream == nil`).
public func completeExternalName(query: DNSMessage, cnames: [ResourceRecord], upstream: DNSMessage?, in zone: ClusterZone) -> DNSMessage {
    guard let upstream else {
        let below = query.questions.first?.name.labelsBelow(zone.config.zone) ?? 0
        return zone.negative(query, nxdomain: false, labelsBelowZone: below)
    }
    var m = zone.response(to: query, rcode: .noError, authoritative: true)
    m.answers = cnames + upstream.answers
    m.header.isTruncated = upstream.header.isTruncated
    return m
}

extension ClusterZone {
    var soaTTL: UInt32 { min(config.ttl, 300) }

    /// Header-level checks shared by `resolve` and autopath; nil means "go on".
    func preflight(_ query: DNSMessage) -> DNSMessage? {
        if query.header.isResponse || query.questions.count != 1 {
            // No question echo: there is no single question to echo, and the reply stays small.
            var m = response(to: query, rcode: .formErr, authoritative: false)
            m.questions = []
            return m
        }
        if query.header.opcode != .query { return response(to: query, rcode: .notImp, authoritative: false) }
        if let e = query.edns, e.version != 0 { return response(to: query, rcode: .badVers, authoritative: false) }
        return nil
    }

    /// A reply skeleton: question and ID echoed, RD/CD copied, OPT echoed when the query had one.
    func response(to query: DNSMessage, rcode: DNSRCode, authoritative: Bool) -> DNSMessage {
        var m = DNSMessage()
        m.header = DNSHeader(
            id: query.header.id, isResponse: true, opcode: query.header.opcode, isAuthoritative: authoritative,
            recursionDesired: query.header.recursionDesired, recursionAvailable: true,
            checkingDisabled: query.header.checkingDisabled, rcode: rcode)
        m.questions = query.questions
        if let e = query.edns {
            m.edns = EDNS(udpPayloadSize: config.ednsUDPPayloadSize, version: 0, dnssecOK: e.dnssecOK)
        }
        if rcode.rawValue > 15 && m.edns == nil { m.edns = EDNS(udpPayloadSize: config.ednsUDPPayloadSize) }
        return m
    }

    /// NXDOMAIN (SERVFAIL before sync) or NODATA, with the zone SOA in authority. The SOA owner is
    /// the zone as spelled in the query, like CoreDNS.
    func negative(_ query: DNSMessage, nxdomain: Bool, labelsBelowZone: Int) -> DNSMessage {
        let rcode: DNSRCode = nxdomain ? (isSynced ? .nxDomain : .servFail) : .noError
        var m = response(to: query, rcode: rcode, authoritative: true)
        let owner = query.questions.first.map { $0.name.dropping(labels: labelsBelowZone) } ?? config.zone
        m.authorities = [ResourceRecord(name: owner, ttl: soaTTL, data: .soa(soaData))]
        return m
    }

    func resolveOutside(_ query: DNSMessage, _ q: DNSQuestion) -> Resolution {
        let isV4 = q.name.isSubdomain(of: Self.inAddrArpa), isV6 = q.name.isSubdomain(of: Self.ip6Arpa)
        guard isV4 || isV6 else { return .forward }
        if q.type == .axfr || q.type == .ixfr { return .answer(response(to: query, rcode: .refused, authoritative: false)) }
        // Everything else in the reverse zones that we do not own falls through to upstream
        // (`fallthrough in-addr.arpa ip6.arpa` in the standard Corefile).
        guard q.type == .ptr, q.qclass == .in, let targets = reverseTargets(q.name) else { return .forward }
        var m = response(to: query, rcode: .noError, authoritative: true)
        m.answers = targets.map { ResourceRecord(name: q.name, ttl: config.ttl, data: .ptr($0)) }
        return .answer(m)
    }

    static let inAddrArpa: DNSName = "in-addr.arpa."
    static let ip6Arpa: DNSName = "ip6.arpa."

    /// The node for `name`, including synthesized pod records (`a-b-c-d.<ns>.pod.<zone>`).
    func node(for name: DNSName, labelsBelowZone below: Int) -> ZoneNode? {
        if let n = storedNode(name, labelsBelowZone: below) { return n }
        guard below == 3, config.podRecords != .disabled else { return nil }
        let labels = name.labels
        guard labels[2].lowercased() == "pod" else { return nil }
        let ns = labels[1].lowercased()
        guard namespaces.contains(ns), let ip = podIP(fromLabel: labels[0]) else { return nil }
        if config.podRecords == .verified && !podAddresses.contains(PodAddress(namespace: ns, ip: ip)) { return nil }
        var node = ZoneNode()
        switch ip {
        case .v4(let a): node.a = [.a(a)]
        case .v6(let a): node.aaaa = [.aaaa(a)]
        }
        return node
    }

    /// CoreDNS `findPods`: three dashes and no `--` is IPv4, otherwise dashes are IPv6 colons.
    func podIP(fromLabel label: String) -> IPAddress? {
        let dashes = label.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "-") ? 1 : 0) }
        if dashes == 3 && !label.contains("--") {
            return IPv4Address(label.replacingOccurrences(of: "-", with: ".")).map(IPAddress.v4)
        }
        return IPv6Address(label.replacingOccurrences(of: "-", with: ":")).map(IPAddress.v6)
    }

    /// ExternalName A/AAAA/TXT: a target inside the zone is followed here (up to 10 CNAMEs, as
    /// CoreDNS); one outside goes to the shell for an upstream lookup.
    func chaseExternalName(_ query: DNSMessage, from owner: DNSName, target: DNSName, labelsBelowZone below: Int) -> Resolution {
        let qtype = query.questions[0].type
        // `x CNAME x` is a direct loop: serve nothing for it.
        if target == owner { return .answer(negative(query, nxdomain: false, labelsBelowZone: below)) }
        let cname = ResourceRecord(name: owner, ttl: config.ttl, data: .cname(target))
        guard let targetBelow = target.labelsBelow(config.zone) else { return .externalName(cnames: [cname], then: target) }
        var chain = [cname]
        var current = target, currentBelow = targetBelow
        for _ in 0..<10 {
            guard let node = node(for: current, labelsBelowZone: currentBelow) else { break }
            if let next = node.externalName {
                if chain.contains(where: { $0.name == next }) || next == current { break }
                let rr = ResourceRecord(name: current, ttl: config.ttl, data: .cname(next))
                guard let nextBelow = next.labelsBelow(config.zone) else {
                    return .externalName(cnames: chain + [rr], then: next)
                }
                chain.append(rr)
                current = next
                currentBelow = nextBelow
                continue
            }
            let data = qtype == .a ? node.a : qtype == .aaaa ? node.aaaa : node.txt
            if data.isEmpty { break }
            var m = response(to: query, rcode: .noError, authoritative: true)
            m.answers = chain + data.map { ResourceRecord(name: current, ttl: qtype == .txt ? node.txtTTL : config.ttl, data: $0) }
            return .answer(m)
        }
        return .answer(negative(query, nxdomain: false, labelsBelowZone: below))
    }
}
