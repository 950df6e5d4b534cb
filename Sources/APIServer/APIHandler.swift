import CoreMetrics
import Foundation
import KubeAPI
import Logging
import NIOHTTP1
import Store

/// Settings the API server needs from the command line.
public struct APIServerConfig: Sendable {
    public var serviceCIDRs: [String]
    public var nodePortRange: ClosedRange<Int>
    /// `host:port` clients use (discovery `serverAddressByClientCIDRs`, kubernetes endpoints).
    public var advertiseAddress: String
    public var apiPort: Int
    public var token: String

    public init(serviceCIDRs: [String], nodePortRange: ClosedRange<Int>, advertiseAddress: String, apiPort: Int, token: String) {
        self.serviceCIDRs = serviceCIDRs
        self.nodePortRange = nodePortRange
        self.advertiseAddress = advertiseAddress
        self.apiPort = apiPort
        self.token = token
    }
}

/// The Kubernetes REST API over the store: routing, auth, negotiation and metrics. Verb logic lives
/// in `APIHandler+Read.swift` and `APIHandler+Write.swift`.
public final class APIHandler: HTTPHandler {
    let store: Store
    let config: APIServerConfig
    let allocations: ServiceAllocations
    let logger: Logger
    let openAPIHash: String

    public init(store: Store, config: APIServerConfig, logger: Logger) throws {
        self.store = store
        self.config = config
        self.logger = logger
        self.allocations = try ServiceAllocations(cidrs: config.serviceCIDRs, nodePorts: config.nodePortRange)
        var h: UInt64 = 1469598103934665603
        for b in OpenAPI.index(hash: "").serialized().utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        openAPIHash = String(h, radix: 16, uppercase: true)
        allocations.rebuild(from: store.list(prefix: ResourceType.service.keyPrefix).items.map(\.value))
    }

    public var primaryIPFamily: String { allocations.primaryFamily }

    public func handle(_ request: HTTPRequest) async -> HTTPResult {
        let start = ContinuousClock.now
        var verb = request.method.rawValue
        var resourceLabel = ""
        var result: HTTPResult
        do {
            let route = try Route.parse(request)
            verb = route.verb(request)
            resourceLabel = route.resource?.plural ?? ""
            result = try await dispatch(route, request)
        } catch let e as APIError {
            result = statusResponse(e)
        } catch {
            logger.error("internal error: \(error)")
            result = statusResponse(.internalError("\(error)"))
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let dims = [("verb", verb), ("resource", resourceLabel), ("code", String(result.status.code))]
        Counter(label: "apiserver_request_total", dimensions: dims).increment()
        if verb != "WATCH" {
            Recorder(label: "apiserver_request_duration_seconds", dimensions: [("verb", verb), ("resource", resourceLabel)], aggregate: true)
                .record(seconds)
        }
        return result
    }

    func authorized(_ request: HTTPRequest) -> Bool {
        guard let auth = request.headers.first(name: "Authorization") else { return false }
        let prefix = "Bearer "
        guard auth.hasPrefix(prefix) else { return false }
        let given = Array(auth.dropFirst(prefix.count).utf8)
        let want = Array(config.token.utf8)
        guard given.count == want.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<want.count { diff |= given[i] ^ want[i] }
        return diff == 0
    }

    func dispatch(_ route: Route, _ req: HTTPRequest) async throws -> HTTPResult {
        switch route.kind {
        case .health(let name):
            // Health endpoints are public, as kube-apiserver's are to anonymous users.
            if req.queryValue("verbose") != nil {
                return text("[+]ping ok\n[+]log ok\n[+]etcd ok\n\(name) check passed\n")
            }
            return text("ok")
        default:
            break
        }
        guard authorized(req) else { throw APIError.unauthorized() }
        switch route.kind {
        case .health: return text("ok")
        case .version: return json(APIServerInfo.versionJSON)
        case .coreDiscovery, .groupsDiscovery:
            let core = route.kind == .coreDiscovery
            let accept = req.headers.first(name: "Accept") ?? ""
            if let v = Self.aggregatedVersion(accept) {
                return json(
                    Discovery.aggregated(core: core, version: v),
                    contentType: "application/json;g=apidiscovery.k8s.io;v=\(v);as=APIGroupDiscoveryList")
            }
            return json(core ? Discovery.apiVersions(serverAddress: config.advertiseAddress) : Discovery.apiGroupList())
        case .groupDiscovery(let g):
            guard let d = Discovery.apiGroup(g) else { throw APIError.notFoundPath() }
            return json(d)
        case .resourceList(let g, let v):
            guard let d = Discovery.resourceList(group: g, version: v) else { throw APIError.notFoundPath() }
            return json(d)
        case .openAPIIndex:
            return json(OpenAPI.index(hash: openAPIHash))
        case .openAPIDocument(let g, let v):
            guard let d = OpenAPI.document(group: g, version: v) else { throw APIError.notFoundPath() }
            var r = json(d)
            if case .full(let s, var h, let b) = r {
                h.add(name: "Cache-Control", value: "public, immutable")
                h.add(name: "ETag", value: "\"\(openAPIHash)\"")
                r = .full(status: s, headers: h, body: b)
            }
            return r
        case .resource:
            return try await handleResource(route, req)
        case .notFound:
            throw APIError.notFoundPath()
        }
    }

    /// The aggregated discovery version the Accept header asks for, if any (v2 preferred, then v2beta1).
    static func aggregatedVersion(_ accept: String) -> String? {
        for entry in accept.split(separator: ",") {
            let params = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard params.contains("g=apidiscovery.k8s.io"), params.contains("as=APIGroupDiscoveryList") else { continue }
            if params.contains("v=v2") { return "v2" }
            if params.contains("v=v2beta1") { return "v2beta1" }
        }
        return nil
    }

    static func wantsTable(_ req: HTTPRequest) -> Bool {
        guard let accept = req.headers.first(name: "Accept") else { return false }
        for entry in accept.split(separator: ",") {
            let params = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains("as=Table") && params.contains("g=meta.k8s.io") { return true }
            if params.first == "application/json" && params.count == 1 { return false }
        }
        return false
    }

    func json(_ body: JSON, status: HTTPResponseStatus = .ok, contentType: String = "application/json", extraHeaders: [(String, String)] = []) -> HTTPResult {
        json(bytes: body.serializedBytes(), status: status, contentType: contentType, extraHeaders: extraHeaders)
    }

    /// A JSON body that is already serialized.
    func json(bytes: [UInt8], status: HTTPResponseStatus = .ok, contentType: String = "application/json", extraHeaders: [(String, String)] = []) -> HTTPResult {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: contentType)
        h.add(name: "Cache-Control", value: "no-cache, private")
        for (k, v) in extraHeaders { h.add(name: k, value: v) }
        return .full(status: status, headers: h, body: bytes)
    }

    func text(_ s: String) -> HTTPResult {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        return .full(status: .ok, headers: h, body: Array(s.utf8))
    }

    func statusResponse(_ e: APIError) -> HTTPResult {
        json(e.status, status: e.httpStatus)
    }
}

/// A parsed request path.
struct Route {
    enum Kind: Equatable {
        case health(String)
        case version
        case coreDiscovery
        case groupsDiscovery
        case groupDiscovery(String)
        case resourceList(group: String, version: String)
        case openAPIIndex
        case openAPIDocument(group: String, version: String)
        case resource
        case notFound
    }

    var kind: Kind
    var resource: ResourceType?
    var namespace: String?
    var name: String?
    var subresource: String?

    init(kind: Kind) { self.kind = kind }

    /// kube-apiserver's verb for metrics: LIST/WATCH/GET/POST/PUT/PATCH/DELETE/DELETECOLLECTION... uppercase.
    func verb(_ req: HTTPRequest) -> String {
        guard kind == .resource else { return req.method.rawValue }
        let isWatch = req.queryValue("watch").map { $0 == "true" || $0 == "1" } ?? false
        switch req.method {
        case .GET: return name == nil ? (isWatch ? "WATCH" : "LIST") : "GET"
        case .DELETE: return name == nil ? "DELETECOLLECTION" : "DELETE"
        case .PATCH: return req.headers.first(name: "Content-Type")?.hasPrefix("application/apply-patch") == true ? "APPLY" : "PATCH"
        default: return req.method.rawValue
        }
    }

    static func parse(_ req: HTTPRequest) throws -> Route {
        let segs = req.path.split(separator: "/").map(String.init)
        switch segs.first {
        case nil: return Route(kind: .notFound)
        case "healthz", "livez", "readyz":
            return Route(kind: .health(segs[0]))
        case "version":
            return Route(kind: segs.count == 1 ? .version : .notFound)
        case "openapi":
            if segs.count == 2 && segs[1] == "v3" { return Route(kind: .openAPIIndex) }
            if segs.count == 4 && segs[1] == "v3" && segs[2] == "api" { return Route(kind: .openAPIDocument(group: "", version: segs[3])) }
            if segs.count == 5 && segs[1] == "v3" && segs[2] == "apis" {
                return Route(kind: .openAPIDocument(group: segs[3], version: segs[4]))
            }
            return Route(kind: .notFound)
        case "api":
            if segs.count == 1 { return Route(kind: .coreDiscovery) }
            if segs.count == 2 { return Route(kind: segs[1] == "v1" ? .resourceList(group: "", version: "v1") : .notFound) }
            return resourceRoute(group: "", version: segs[1], rest: Array(segs[2...]))
        case "apis":
            if segs.count == 1 { return Route(kind: .groupsDiscovery) }
            if segs.count == 2 { return Route(kind: .groupDiscovery(segs[1])) }
            if segs.count == 3 { return Route(kind: .resourceList(group: segs[1], version: segs[2])) }
            return resourceRoute(group: segs[1], version: segs[2], rest: Array(segs[3...]))
        default:
            return Route(kind: .notFound)
        }
    }

    static func resourceRoute(group: String, version: String, rest: [String]) -> Route {
        var r = Route(kind: .resource)
        var rest = rest
        if rest.count >= 3 && rest[0] == "namespaces" && !(rest.count == 3 && ["status", "finalize"].contains(rest[2])) {
            r.namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let plural = rest.first, let res = ResourceType.lookup(group: group, version: version, plural: plural) else {
            return Route(kind: .notFound)
        }
        r.resource = res
        if rest.count >= 2 { r.name = rest[1] }
        if rest.count >= 3 { r.subresource = rest[2] }
        if rest.count > 3 { return Route(kind: .notFound) }
        // A namespaced resource addressed by name needs a namespace; cluster-scoped ones must not have one.
        if res.namespaced && r.namespace == nil && r.name != nil { return Route(kind: .notFound) }
        if !res.namespaced && r.namespace != nil { return Route(kind: .notFound) }
        return r
    }
}
