import Hummingbird
import Logging
import Metrics
import Prometheus
import RemoteCommand
import ServiceLifecycle

/// `/healthz`, `/readyz` and `/metrics` of a node daemon, on a local address as the kubelet (127.0.0.1:10248)
/// and kube-proxy serve theirs. Metrics are whatever the daemon records through swift-metrics, exported in the
/// Prometheus text format; `isHealthy` decides between 200 `ok` and 503.
struct HealthEndpoint: ServiceLifecycle.Service {
    let address: ListenAddress
    let registry: PrometheusCollectorRegistry
    let isHealthy: @Sendable () async -> Bool
    let logger: Logger

    /// Points swift-metrics at a fresh Prometheus registry (once per process) and returns it.
    static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Upstream's buckets for the keys attached to one etcd lease (the store records it as a plain value).
        factory.valueHistogramBuckets["etcd_lease_object_counts"] = [10, 50, 100, 500, 1000, 2500, 5000]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    func run() async throws {
        let router = Router()
        let isHealthy = isHealthy, registry = registry
        for path in ["/healthz", "/readyz", "/livez"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                let healthy = await isHealthy()
                return Response(status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                                body: .init(byteBuffer: ByteBuffer(string: healthy ? "ok" : "unhealthy")))
            }
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: registry.emitToString())))
        }
        let app = HTTPServerService(router: router, address: .hostname(address.host, port: address.port),
                                    onServerRunning: { [logger] channel in
                                        logger.info("serving health and metrics", metadata: ["address": "\(address.host):\(channel.localAddress?.port ?? 0)"])
                                    }, logger: logger)
        // `run()`, not `runService()`: the latter traps SIGTERM/SIGINT itself, and a signal it caught ended this server
        // on its own — the enclosing service group then failed ("finished unexpectedly") instead of shutting down in
        // order (the agent skipped removing its pods). The group this runs in shuts it down.
        try await app.run()
    }
}
