import Prometheus

/// The API server's Prometheus metrics, named as upstream names them: `apiserver_request_total` and
/// `apiserver_request_duration_seconds` by verb, resource and code.
struct APIMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    static let buckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60].map { .milliseconds(Int($0 * 1000)) }

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func record(verb: String, resource: String, code: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "apiserver_request", unitName: "total",
                                             helpText: "Counter of apiserver requests broken out for each verb, resource and HTTP response code."),
            labels: [("verb", verb), ("resource", resource), ("code", String(code))]
        ).increment()
        // Watches last for minutes; their duration says nothing about latency.
        guard verb != "WATCH" else { return }
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "apiserver_request_duration", unitName: "seconds",
                                             helpText: "Response latency distribution in seconds for each verb and resource."),
            labels: [("verb", verb), ("resource", resource)], buckets: Self.buckets
        ).record(duration)
    }

    /// The text exposition format.
    func exposition() -> String { registry.emitToString() }
}
