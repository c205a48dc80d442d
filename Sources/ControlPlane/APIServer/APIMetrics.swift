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

    /// Upstream's buckets for `apiserver_client_certificate_expiration_seconds` (0 s to a year).
    static let certificateBuckets: [Double] = [0, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800, 2592000,
                                               7776000, 15552000, 31104000]

    /// How long the client certificate a request authenticated with has left (negative once expired), as upstream's
    /// x509 authenticator records it.
    func recordClientCertificate(remaining seconds: Double) {
        registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(metricName: "apiserver_client_certificate_expiration", unitName: "seconds",
                                             helpText: "Distribution of the remaining lifetime on the certificate used to authenticate a request."),
            buckets: Self.certificateBuckets
        ).record(seconds)
    }

    /// The text exposition format.
    func exposition() -> String { registry.emitToString() }
}
