import Metrics
import Prometheus

/// One Prometheus registry for the whole binary, bootstrapped into swift-metrics once at start.
/// Libraries only use swift-metrics' `Counter`/`Recorder`/`Timer`; this is the exposition side.
public struct MetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Creates the registry and bootstraps swift-metrics with it (call once per process).
    public static func bootstrap() -> MetricsExporter {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // kube-apiserver's request latency buckets.
        let apiBuckets: [Double] = [
            0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
        ]
        factory.valueHistogramBuckets["apiserver_request_duration_seconds"] = apiBuckets
        MetricsSystem.bootstrap(factory)
        return MetricsExporter(registry: registry)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
