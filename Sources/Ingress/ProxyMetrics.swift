import CoreMetrics
import IngressCore
import NIOHTTP1
import Synchronization

/// Per-request metrics under ingress-nginx's names, so existing dashboards keep working:
/// `nginx_ingress_controller_requests` (counter), `nginx_ingress_controller_request_duration_seconds` and
/// `nginx_ingress_controller_response_size` (recorders, seconds and bytes).
struct ProxyMetrics: Sendable {
    static let requestsLabel = "nginx_ingress_controller_requests"
    static let durationLabel = "nginx_ingress_controller_request_duration_seconds"
    static let responseSizeLabel = "nginx_ingress_controller_response_size"

    /// nil = the globally bootstrapped `MetricsSystem.factory`.
    let factory: (any MetricsFactory)?
    /// Metric handles by label set: looking them up in the registry on every request cost ~4% of
    /// the proxy's CPU. Cardinality is bounded by configuration (see `Labels`) and the status code.
    private let handles = HandleCache()

    init(factory: (any MetricsFactory)?) {
        self.factory = factory
    }

    struct Handles: Sendable {
        let requests: Counter
        let duration: Recorder
        let responseSize: Recorder
    }

    struct HandleKey: Hashable, Sendable {
        var labels: Labels
        var status: Int
    }

    final class HandleCache: Sendable {
        static let limit = 4096
        let map = Mutex<[HandleKey: Handles]>([:])
    }

    /// Labels of one request. `host` and `path` are the matched rule's (not the raw request's) and `method` is
    /// folded to the standard methods, so label cardinality stays bounded by configuration, not by clients.
    struct Labels: Sendable, Hashable {
        var namespace = ""
        var ingress = ""
        var service = ""
        var host = ""
        var path = ""
        var method = ""

        init() {}

        init(route: RouteMatch?, ingress ref: IngressRef?, service: String?, method: HTTPMethod) {
            if let route {
                namespace = route.ingress.namespace
                host = route.host
                path = route.path
            }
            if let ref {
                namespace = ref.namespace
                ingress = ref.name
            }
            self.service = service ?? ""
            self.method = Self.fold(method)
        }

        static func fold(_ m: HTTPMethod) -> String {
            switch m {
            case .GET, .HEAD, .POST, .PUT, .DELETE, .OPTIONS, .PATCH, .CONNECT, .TRACE: return m.rawValue
            default: return "OTHER"
            }
        }
    }

    func record(_ l: Labels, status: Int, seconds: Double, responseBytes: Int) {
        let key = HandleKey(labels: l, status: status)
        let h = handles.map.withLock { map in
            if let h = map[key] { return h }
            if map.count >= HandleCache.limit { map.removeAll() }
            let h = makeHandles(l, status: status)
            map[key] = h
            return h
        }
        h.requests.increment()
        h.duration.record(seconds)
        h.responseSize.record(responseBytes)
    }

    private func makeHandles(_ l: Labels, status: Int) -> Handles {
        let dims = [
            ("namespace", l.namespace), ("ingress", l.ingress), ("service", l.service), ("status", "\(status)"),
            ("method", l.method), ("host", l.host), ("path", l.path),
        ]
        if let factory {
            return Handles(
                requests: Counter(label: Self.requestsLabel, dimensions: dims, factory: factory),
                duration: Recorder(label: Self.durationLabel, dimensions: dims, aggregate: true, factory: factory),
                responseSize: Recorder(label: Self.responseSizeLabel, dimensions: dims, aggregate: true, factory: factory))
        }
        return Handles(
            requests: Counter(label: Self.requestsLabel, dimensions: dims),
            duration: Recorder(label: Self.durationLabel, dimensions: dims, aggregate: true),
            responseSize: Recorder(label: Self.responseSizeLabel, dimensions: dims, aggregate: true))
    }
}
