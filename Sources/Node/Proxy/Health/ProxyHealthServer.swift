import Foundation
import KubeAPI
import LinuxSystem
import Logging
import Metrics
import ServiceLifecycle

/// The proxy's own `/healthz` and `/livez` (upstream's `--healthz-bind-address`, `0.0.0.0:10256`), answering
/// as kube-proxy does: JSON `{"lastUpdated": …,"currentTime": …, "nodeEligible": …}` (`/livez` without
/// `nodeEligible`), 200 while syncs keep up, 503 once a queued change has waited longer than the health
/// timeout (and, for `/healthz`, once the node is being deleted). Load balancers use `/healthz` to take a
/// node out of rotation.
///
///     let server = ProxyHealthServer(host: "0.0.0.0", port: 10256, health: proxy.health, logger: logger)
///     // as a ServiceLifecycle service, or:
///     let running = try await server.start()
public struct ProxyHealthServer: ServiceLifecycle.Service {
    public let host: String
    public let port: Int
    public let health: ProxyHealth
    public let namespace: NetworkNamespace?
    let logger: Logger

    public init(host: String, port: Int, health: ProxyHealth, namespace: NetworkNamespace? = nil, logger: Logger) {
        self.host = host
        self.port = port
        self.health = health
        self.namespace = namespace
        self.logger = logger
    }

    /// Starts listening; the caller closes the returned server.
    public func start() async throws -> HealthHTTPServer {
        let health = health
        let healthz = Counter(label: "kubeproxy_proxy_healthz_total", dimensions: [("code", "200")])
        let unhealthyz = Counter(label: "kubeproxy_proxy_healthz_total", dimensions: [("code", "503")])
        let livez = Counter(label: "kubeproxy_proxy_livez_total", dimensions: [("code", "200")])
        let unlivez = Counter(label: "kubeproxy_proxy_livez_total", dimensions: [("code", "503")])
        let server = try await HealthHTTPServer.start(host: host, port: port, namespace: namespace) { path in
            switch path {
            case "/healthz":
                let answer = Self.answer(health, includeNode: true)
                (answer.status == 200 ? healthz : unhealthyz).increment()
                return answer
            case "/livez":
                let answer = Self.answer(health, includeNode: false)
                (answer.status == 200 ? livez : unlivez).increment()
                return answer
            default:
                // Go's ServeMux answer for unknown paths.
                return HealthHTTPServer.Answer(status: 404, headers: [("Content-Type", "text/plain; charset=utf-8"),
                                                                           ("X-Content-Type-Options", "nosniff")],
                                               body: "404 page not found\n")
            }
        }
        logger.info("serving proxy healthz", metadata: ["address": "\(host):\(server.port)"])
        return server
    }

    public func run() async throws {
        let server = try await start()
        try? await gracefulShutdown()
        await server.close()
    }

    /// One answer of `/healthz` (`includeNode`) or `/livez`.
    static func answer(_ health: ProxyHealth, includeNode: Bool, now: Date = Date(), instant: ContinuousClock.Instant = .now) -> HealthHTTPServer.Answer {
        let eligible = health.nodeEligible
        let healthy = health.isHealthy(at: instant) && (!includeNode || eligible)
        let current = GoTime.string(now, monotonic: instant)
        // Healthy: lastUpdated is "now" (upstream keeps older releases' meaning); unhealthy: the last success.
        let lastUpdated = healthy ? current
            : health.lastUpdatedDate.map { GoTime.string($0, monotonic: health.lastUpdated) } ?? GoTime.zero
        var body = "{\"lastUpdated\": \(GoQuoted.string(lastUpdated)),\"currentTime\": \(GoQuoted.string(current))"
        body += includeNode ? ", \"nodeEligible\": \(eligible)}" : "}"
        return HealthHTTPServer.Answer(status: healthy ? 200 : 503,
                                       headers: [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")], body: body)
    }
}
