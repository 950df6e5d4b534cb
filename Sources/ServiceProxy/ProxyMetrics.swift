import CoreMetrics
import Foundation

/// The nftables-mode metrics, named as kube-proxy names them so existing dashboards work. Durations are
/// recorded in seconds through aggregating `Recorder`s (histograms in the Prometheus backend).
struct SyncMetrics: Sendable {
    let duration: Recorder
    let fullDuration: Recorder
    let partialDuration: Recorder
    let lastTimestamp: Gauge
    let failures: Counter
    let servicePorts: Gauge
    let endpoints: Gauge
    let conntrackDeletes: Counter

    init(factory: any MetricsFactory) {
        duration = Recorder(label: "kubeproxy_sync_proxy_rules_duration_seconds", dimensions: [], aggregate: true, factory: factory)
        fullDuration = Recorder(label: "kubeproxy_sync_full_proxy_rules_duration_seconds", dimensions: [], aggregate: true, factory: factory)
        partialDuration = Recorder(label: "kubeproxy_sync_partial_proxy_rules_duration_seconds", dimensions: [], aggregate: true, factory: factory)
        lastTimestamp = Gauge(label: "kubeproxy_sync_proxy_rules_last_timestamp_seconds", dimensions: [], factory: factory)
        failures = Counter(label: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", dimensions: [], factory: factory)
        // Not upstream kube-proxy names: kube-proxy has no such gauges; these count what the last
        // successful sync programmed (Service ports with a chain, DNAT targets).
        servicePorts = Gauge(label: "kubeproxy_sync_proxy_rules_services_total", dimensions: [], factory: factory)
        endpoints = Gauge(label: "kubeproxy_sync_proxy_rules_endpoints_total", dimensions: [], factory: factory)
        conntrackDeletes = Counter(label: "ferry_proxy_conntrack_deletions_total", dimensions: [], factory: factory)
    }

    func recordSync(full: Bool, duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        self.duration.record(seconds)
        (full ? fullDuration : partialDuration).record(seconds)
        lastTimestamp.record(Date().timeIntervalSince1970)
    }
}

/// Per-Service-port metrics of the userspace proxy; `service` is `namespace/name:port/protocol`.
final class UserspaceMetrics: Sendable {
    let connections: Counter
    let active: Meter
    let bytesIn: Counter
    let bytesOut: Counter
    let connectFailures: Counter
    let dropped: Counter

    /// `bytesIn` counts client → backend bytes, `bytesOut` backend → client.
    init(service: String, protocol proto: String, factory: any MetricsFactory) {
        let dims = [("service", service), ("protocol", proto)]
        connections = Counter(label: "ferry_userspace_proxy_connections_total", dimensions: dims, factory: factory)
        active = Meter(label: "ferry_userspace_proxy_active_connections", dimensions: dims, factory: factory)
        bytesIn = Counter(label: "ferry_userspace_proxy_bytes_total", dimensions: dims + [("direction", "in")], factory: factory)
        bytesOut = Counter(label: "ferry_userspace_proxy_bytes_total", dimensions: dims + [("direction", "out")], factory: factory)
        connectFailures = Counter(label: "ferry_userspace_proxy_connect_failures_total", dimensions: dims, factory: factory)
        dropped = Counter(label: "ferry_userspace_proxy_dropped_total", dimensions: dims, factory: factory)
    }
}
