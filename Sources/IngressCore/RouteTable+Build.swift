import KubeAPI

/// What `RouteTable.build` produced: the table plus everything the shell reports as Events.
public struct RouteTableBuild: Sendable {
    public var table: RouteTable
    /// Skipped Ingresses with the reason (one Warning Event each).
    public var problems: [IngressProblem]
    /// Rules shadowed by an older Ingress's rule for the same host, path and match kind (the older one serves).
    public var conflicts: [RouteConflict]
    /// Ignored `nginx.ingress.kubernetes.io/*` annotation names per Ingress that has any.
    public var unsupportedAnnotations: [IngressRef: [String]]
    /// Ingresses in the table: primaries in precedence order (oldest first), then attached canaries.
    public var accepted: [IngressRef]
}

extension RouteTable {
    /// Builds the table from Ingresses already filtered by `ingressesServed` plus the Services, EndpointSlices and
    /// Secrets of the same snapshot. Each Ingress is validated on its own (annotations, hosts, paths, regexes,
    /// Services and ports, TLS and auth Secrets); an invalid one is skipped with an `IngressProblem` and the rest
    /// are unaffected.
    ///
    /// Precedence follows ingress-nginx (store.go `sortIngressSlice`; controller.go `createServers` and the location
    /// loop of `getBackendServers`): oldest `creationTimestamp` first, ties by `namespace/name` *descending*; the
    /// first Ingress to claim a host + path + match kind (Exact; Prefix incl. ImplementationSpecific; regex) wins and
    /// later claims become `RouteConflict`s. The first Ingress with a rule for a host supplies its defaultBackend, the
    /// first rule-less one the catch-all's, the first listing a host under `spec.tls` its certificate. A canary
    /// attaches to the primary rule with the same host, path and pathType (one per rule, oldest wins).
    public static func build(
        ingresses: [Ingress], services: [Service], endpointSlices: [EndpointSlice], secrets: [Secret],
        annotationPrefix: String = IngressAnnotations.defaultPrefix
    ) -> RouteTableBuild {
        let resolver = BackendResolver(services: services, endpointSlices: endpointSlices)
        var secretIndex: [String: Secret] = [:]
        for s in secrets { secretIndex[s.metadata.namespace + "/" + s.metadata.name] = s }

        var problems: [IngressProblem] = []
        var unsupported: [IngressRef: [String]] = [:]
        var prepared: [Prepared] = []
        for ing in ingresses {
            let ref = IngressRef(ing)
            do {
                let p = try Prepared(ing, resolver: resolver, secrets: secretIndex, annotationPrefix: annotationPrefix)
                prepared.append(p)
                if !p.unsupported.isEmpty { unsupported[ref] = p.unsupported }
            } catch {
                problems.append(IngressProblem(ingress: ref, reason: error.reason, message: error.message))
                // Still worth telling the user what we ignore, even on a skipped Ingress.
                let keys = ing.metadata.annotations.keys.filter {
                    $0.hasPrefix(annotationPrefix + "/")
                        && !IngressAnnotations.supported.contains(String($0.dropFirst(annotationPrefix.count + 1)))
                }
                if !keys.isEmpty { unsupported[ref] = keys.sorted() }
            }
        }
        prepared.sort { a, b in
            if a.created != b.created { return a.created < b.created }
            return a.ref.description > b.ref.description
        }

        var table = RouteTable()
        var conflicts: [RouteConflict] = []
        var order = 0
        var accepted: [IngressRef] = []
        var claimed: [ClaimKey: IngressRef] = [:]

        // Primaries: hosts, paths, fallbacks.
        for p in prepared where p.canary == nil {
            accepted.append(p.ref)
            if p.rules.isEmpty, let db = p.defaultBackend, table.catchAll.fallback == nil {
                table.catchAll.fallback = Route(
                    ingress: p.ref, path: "", pathType: nil, kind: .prefix, rewrite: nil, backend: db,
                    options: p.options, order: order)
                order += 1
            }
            for rule in p.rules {
                var entry: HostRoutes
                if rule.host.isEmpty {
                    entry = table.catchAll
                } else if let e = table.hosts[rule.host] {
                    entry = e
                } else {
                    entry = HostRoutes(key: rule.host)
                    if let db = p.defaultBackend {
                        entry.fallback = Route(
                            ingress: p.ref, path: "", pathType: nil, kind: .prefix, rewrite: nil, backend: db,
                            options: p.options, order: order)
                        order += 1
                    }
                }
                for path in rule.paths {
                    let route = Route(
                        ingress: p.ref, path: path.path, pathType: path.pathType, kind: path.kind,
                        rewrite: path.rewrite,
                        backend: path.backend, options: p.options, order: order)
                    order += 1
                    let claim = ClaimKey(host: rule.host, path: path.path, kind: path.kind.conflictKey)
                    if let winner = claimed[claim] {
                        conflicts.append(
                            RouteConflict(
                                host: rule.host, path: path.path, pathType: path.pathType, winner: winner, loser: p.ref)
                        )
                        continue
                    }
                    claimed[claim] = p.ref
                    if case .exact = path.kind { entry.exact[path.path] = route } else { entry.ordered.append(route) }
                }
                if rule.host.isEmpty { table.catchAll = entry } else { table.hosts[rule.host] = entry }
            }
            for t in p.tls {
                for h in t.hosts where table.tls[h] == nil {
                    table.tls[h] = TLSBinding(ingress: p.ref, certificate: t.certificate)
                }
            }
        }

        // Canaries: attach to the matching primary rule.
        for p in prepared {
            guard let policy = p.canary else { continue }
            var attached = false
            func attach(_ route: inout Route, backend: Backend) {
                guard route.canary == nil,
                    !(route.backend.namespace == backend.namespace && route.backend.service == backend.service
                        && route.backend.servicePort == backend.servicePort)
                else { return }
                route.canary = CanaryTarget(ingress: p.ref, backend: backend, policy: policy)
                attached = true
            }
            if let db = p.defaultBackend, var fallback = table.catchAll.fallback {
                attach(&fallback, backend: db)
                table.catchAll.fallback = fallback
            }
            for rule in p.rules {
                var entry = rule.host.isEmpty ? table.catchAll : (table.hosts[rule.host] ?? HostRoutes(key: rule.host))
                for path in rule.paths {
                    if case .exact = path.kind, var route = entry.exact[path.path] {
                        attach(&route, backend: path.backend)
                        entry.exact[path.path] = route
                    } else if let i = entry.ordered.firstIndex(where: {
                        $0.path == path.path && $0.pathType == path.pathType
                    }) {
                        attach(&entry.ordered[i], backend: path.backend)
                    }
                }
                if rule.host.isEmpty {
                    table.catchAll = entry
                } else if table.hosts[rule.host] != nil {
                    table.hosts[rule.host] = entry
                }
            }
            if attached {
                accepted.append(p.ref)
            } else {
                problems.append(
                    IngressProblem(
                        ingress: p.ref, reason: .canaryWithoutPrimary,
                        message:
                            "canary Ingress has no primary Ingress with the same host, path and pathType (or the slot is taken)"
                    ))
            }
        }

        for (key, var entry) in table.hosts {
            entry.sortRoutes()
            entry.hasTLS = table.tlsBinding(forHostKey: key) != nil
            table.hosts[key] = entry
        }
        table.catchAll.sortRoutes()

        return RouteTableBuild(
            table: table, problems: problems.sorted { $0.ingress < $1.ingress }, conflicts: conflicts,
            unsupportedAnnotations: unsupported, accepted: accepted)
    }
}

/// A host + path + match kind: at most one primary route may claim it.
private struct ClaimKey: Hashable {
    var host: String
    var path: String
    var kind: Int
}

/// One Ingress validated and resolved, ready to merge.
private struct Prepared {
    struct Path {
        var path: String
        var pathType: PathType
        var kind: RouteTable.MatchKind
        var rewrite: CompiledRegex?
        var backend: Backend
    }
    struct Rule {
        var host: String
        var paths: [Path]
    }
    struct TLS {
        var hosts: [String]
        var certificate: TLSCertificate?
    }

    var ref: IngressRef
    /// RFC 3339 UTC (`2024-05-01T10:00:00Z`), which orders correctly as text; missing sorts first.
    var created: String
    var options: RouteOptions
    var canary: CanaryPolicy?
    var unsupported: [String]
    var rules: [Rule] = []
    var defaultBackend: Backend?
    var tls: [TLS] = []

    struct Failure: Error {
        var reason: IngressProblemReason
        var message: String
    }

    init(_ ing: Ingress, resolver: BackendResolver, secrets: [String: Secret], annotationPrefix: String) throws(Failure)
    {
        ref = IngressRef(ing)
        created = ing.metadata.creationTimestamp ?? ""
        let ns = ing.metadata.namespace

        let parsed: ParsedAnnotations
        do {
            parsed = try IngressAnnotations.parse(ing.metadata.annotations, namespace: ns, prefix: annotationPrefix)
        } catch {
            switch error {
            case .invalidAnnotation(let name, let value, let expected):
                throw Failure(
                    reason: .invalidAnnotation,
                    message: "annotation \(name): invalid value \"\(value)\", expected \(expected)")
            case .unsupportedSecurityAnnotation(let name):
                throw Failure(
                    reason: .unsupportedSecurityAnnotation,
                    message:
                        "annotation \(name) is not supported by Ferry; refusing to serve this Ingress without the access control it asks for"
                )
            case .invalidRegex(let pattern):
                throw Failure(
                    reason: .invalidRegex,
                    message:
                        "annotation \(annotationPrefix)/canary-by-header-pattern: \"\(pattern)\" is not a valid regular expression"
                )
            }
        }
        options = parsed.options
        canary = parsed.canary
        unsupported = parsed.unsupported

        guard !ing.rules.isEmpty || ing.defaultBackend != nil else {
            throw Failure(reason: .invalidSpec, message: "Ingress has neither rules nor defaultBackend")
        }

        let regexMode = options.useRegex || options.rewriteTarget != nil
        for r in ing.rules {
            let host = r.host.lowercased()
            guard host.isEmpty || PathMatching.isValidRuleHost(host) else {
                throw Failure(
                    reason: .invalidHost, message: "rule host \"\(r.host)\" is not a DNS name or a *.wildcard of one")
            }
            var paths: [Path] = []
            for p in r.paths {
                let type: PathType
                if p.pathType.isEmpty {
                    type = .implementationSpecific
                } else if let t = PathType(rawValue: p.pathType) {
                    type = t
                } else {
                    throw Failure(
                        reason: .invalidPath, message: "path \"\(p.path)\" has unknown pathType \"\(p.pathType)\"")
                }
                let path = p.path.isEmpty ? "/" : p.path
                guard path.hasPrefix("/") else {
                    throw Failure(reason: .invalidPath, message: "path \"\(p.path)\" must start with /")
                }
                var kind = RouteTable.MatchKind.prefix
                var rewrite: CompiledRegex?
                if type == .exact {
                    kind = .exact
                    if options.rewriteTarget != nil { rewrite = try Self.compile(path, host: host) }
                } else if regexMode {
                    let rx = try Self.compile("^" + path, host: host)
                    kind = .regex(rx)
                    if options.rewriteTarget != nil { rewrite = rx }
                }
                let backend = try Self.resolve(p.backend, ns: ns, resolver: resolver, what: "path \"\(path)\"")
                paths.append(Path(path: path, pathType: type, kind: kind, rewrite: rewrite, backend: backend))
            }
            rules.append(Rule(host: host, paths: paths))
        }
        if let db = ing.defaultBackend {
            defaultBackend = try Self.resolve(db, ns: ns, resolver: resolver, what: "defaultBackend")
        }

        // A canary only contributes its backends; TLS and auth come from the primary (ingress-nginx).
        guard canary == nil else { return }

        let ruleHosts = rules.map(\.host).filter { !$0.isEmpty }
        for t in ing.tls {
            let hosts = t.hosts.isEmpty ? ruleHosts : t.hosts.map { $0.lowercased() }
            for h in hosts where !PathMatching.isValidRuleHost(h) {
                throw Failure(
                    reason: .invalidHost, message: "tls host \"\(h)\" is not a DNS name or a *.wildcard of one")
            }
            var cert: TLSCertificate?
            if let name = t.secretName, !name.isEmpty {
                guard let secret = secrets[ns + "/" + name] else {
                    throw Failure(reason: .missingTLSSecret, message: "TLS Secret \"\(ns)/\(name)\" not found")
                }
                guard let crt = secret.data["tls.crt"], !crt.isEmpty, let key = secret.data["tls.key"], !key.isEmpty
                else {
                    throw Failure(
                        reason: .invalidTLSSecret,
                        message: "TLS Secret \"\(ns)/\(name)\" lacks non-empty tls.crt and tls.key")
                }
                cert = TLSCertificate(
                    ingress: ref, secretNamespace: ns, secretName: name, certificateChainPEM: crt, privateKeyPEM: key)
            }
            tls.append(TLS(hosts: hosts, certificate: cert))
        }

        if let auth = parsed.basicAuthReference {
            guard let secret = secrets[ns + "/" + auth.secretName] else {
                throw Failure(reason: .missingAuthSecret, message: "auth Secret \"\(ns)/\(auth.secretName)\" not found")
            }
            do {
                options.basicAuth = BasicAuth(
                    realm: auth.realm, users: try HTPasswd.users(in: secret, format: auth.format))
            } catch {
                throw Failure(
                    reason: .invalidAuthSecret, message: "auth Secret \"\(ns)/\(auth.secretName)\": \(error.message)")
            }
        }
    }

    private static func compile(_ pattern: String, host: String) throws(Failure) -> CompiledRegex {
        do {
            return try CompiledRegex(pattern, caseInsensitive: true)
        } catch {
            throw Failure(
                reason: .invalidRegex, message: "path regex \"\(pattern)\" for host \"\(host)\" does not compile")
        }
    }

    private static func resolve(_ b: IngressBackend, ns: String, resolver: BackendResolver, what: String)
        throws(Failure) -> Backend
    {
        guard let name = b.serviceName, !name.isEmpty else {
            throw Failure(
                reason: .unsupportedBackend,
                message: "\(what): only service backends are supported (resource backends are not)")
        }
        do {
            return try resolver.resolve(namespace: ns, service: name, port: b.servicePort)
        } catch {
            switch error {
            case .unknownService(let m): throw Failure(reason: .unknownService, message: "\(what): \(m)")
            case .unknownPort(let m): throw Failure(reason: .unknownServicePort, message: "\(what): \(m)")
            }
        }
    }
}
