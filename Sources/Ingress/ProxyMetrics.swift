import CoreMetrics
import IngressCore
import NIOHTTP1

/// Per-request metrics under ingress-nginx's names, so existing dashboards keep working:
/// `nginx_ingress_controller_requests` (counter), `nginx_ingress_controller_request_duration_seconds` and
/// `nginx_ingress_controller_response_size` (recorders, seconds and bytes).
struct ProxyMetrics: Sendable {
    static let requestsLabel = "nginx_ingress_controller_requests"
    static let durationLabel = "nginx_ingress_controller_request_duration_seconds"
    static let responseSizeLabel = "nginx_ingress_controller_response_size"

    /// nil = the globally bootstrapped `MetricsSystem.factory`.
    let factory: (any MetricsFactory)?

    /// Labels of one request. `host` and `path` are the matched rule's (not the raw request's) and `method` is
    /// folded to the standard methods, so label cardinality stays bounded by configuration, not by clients.
    struct Labels: Sendable, Equatable {
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
        let dims = [
            ("namespace", l.namespace), ("ingress", l.ingress), ("service", l.service), ("status", "\(status)"),
            ("method", l.method), ("host", l.host), ("path", l.path),
        ]
        if let factory {
            Counter(label: Self.requestsLabel, dimensions: dims, factory: factory).increment()
            Recorder(label: Self.durationLabel, dimensions: dims, aggregate: true, factory: factory).record(seconds)
            Recorder(label: Self.responseSizeLabel, dimensions: dims, aggregate: true, factory: factory)
                .record(responseBytes)
        } else {
            Counter(label: Self.requestsLabel, dimensions: dims).increment()
            Recorder(label: Self.durationLabel, dimensions: dims, aggregate: true).record(seconds)
            Recorder(label: Self.responseSizeLabel, dimensions: dims, aggregate: true).record(responseBytes)
        }
    }
}
