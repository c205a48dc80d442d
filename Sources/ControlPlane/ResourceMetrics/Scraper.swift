import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// A kubelet to scrape: the node's name and where its `/metrics/resource` is.
public struct ScrapeTarget: Sendable, Hashable {
    public var node: String
    public var url: String

    public init(node: String, url: String) {
        self.node = node
        self.url = url
    }
}

/// Where the scraper finds kubelets and how it reads them: the API server lists its Ready nodes and fetches over its
/// kubelet-client connection; tests substitute their own.
public protocol ScrapeSource: Sendable {
    /// The kubelets to scrape this round.
    func targets() async throws -> [ScrapeTarget]
    /// The body of `target`'s `/metrics/resource`, given up after `timeout`.
    func resourceMetrics(_ target: ScrapeTarget, timeout: Duration) async throws -> String
}

/// metrics-server's scraper as a service of the API server: every `resolution` it scrapes every target's
/// `/metrics/resource` concurrently (each within 90 % of the resolution, started within a random delay of up to 8 ms
/// per node, at most 4 s, as metrics-server staggers them), decodes the points and hands the batch to the storage.
/// A failed scrape is logged with the node and the error, and counted in `metrics_server_kubelet_request_total`.
public struct Scraper: ServiceLifecycle.Service {
    public let source: any ScrapeSource
    public let storage: MetricsStorage
    public let resolution: Duration
    public let logger: Logger
    private let metrics = ScraperMetrics()

    public init(source: any ScrapeSource, storage: MetricsStorage, resolution: Duration, logger: Logger) {
        self.source = source
        self.storage = storage
        self.resolution = resolution
        self.logger = logger
    }

    /// How long one kubelet may take: metrics-server's 90 % of the resolution.
    public var timeout: Duration { resolution * 0.9 }

    /// Scrapes now and then every `resolution` until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            let clock = ContinuousClock()
            var next = clock.now
            while !Task.isCancelled {
                await tick()
                next = next.advanced(by: resolution)
                if next < clock.now { next = clock.now }
                do { try await Task.sleep(until: next, clock: clock) } catch { return }
            }
        }
    }

    /// One round: scrape every target and store what came back.
    public func tick() async {
        let start = ContinuousClock.now
        let batch = await scrape()
        storage.store(batch)
        metrics.tick(ContinuousClock.now - start)
        logger.debug("scrape finished", metadata: ["duration": "\(ContinuousClock.now - start)", "nodes": "\(batch.nodes.count)",
                                                   "pods": "\(batch.pods.count)"])
    }

    /// Every target's points, merged; a node or pod reported twice keeps its first report.
    public func scrape() async -> MetricsBatch {
        let targets: [ScrapeTarget]
        do { targets = try await source.targets() } catch {
            logger.error("failed to list nodes to scrape", metadata: ["error": "\(error)"])
            return MetricsBatch()
        }
        let maximumDelay = min(8 * targets.count, 4000)
        return await withTaskGroup(of: MetricsBatch?.self) { group in
            for target in targets {
                group.addTask {
                    if maximumDelay > 0 { try? await Task.sleep(for: .milliseconds(Int.random(in: 0..<maximumDelay))) }
                    return await collect(target)
                }
            }
            var merged = MetricsBatch()
            for await batch in group {
                guard let batch else { continue }
                merged.nodes.merge(batch.nodes) { first, _ in first }
                merged.pods.merge(batch.pods) { first, _ in first }
            }
            return merged
        }
    }

    /// One kubelet's points, or nil (logged) when it cannot be scraped within the timeout.
    private func collect(_ target: ScrapeTarget) async -> MetricsBatch? {
        let start = ContinuousClock.now
        do {
            let text = try await withTimeout(timeout) { try await source.resourceMetrics(target, timeout: timeout) }
            metrics.request(node: target.node, success: true, duration: ContinuousClock.now - start)
            return ResourceMetricsDecoder.decode(text, node: target.node, defaultTime: Date())
        } catch {
            metrics.request(node: target.node, success: false, duration: ContinuousClock.now - start)
            if let error = error as? ResourceMetricsError, error.code == .timeout {
                logger.error("failed to scrape node, timeout to access kubelet", metadata: ["node": "\(target.node)", "timeout": "\(timeout)"])
            } else {
                logger.error("failed to scrape node", metadata: ["node": "\(target.node)", "error": "\(error)"])
            }
            return nil
        }
    }

    private func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ResourceMetricsError(.timeout, "no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// The scraper's own metrics under metrics-server's names: `metrics_server_kubelet_request_duration_seconds` by
/// node, `metrics_server_kubelet_request_total` by success, `metrics_server_kubelet_last_request_time_seconds` by
/// node and `metrics_server_manager_tick_duration_seconds`.
struct ScraperMetrics: Sendable {
    private let succeeded = Counter(label: "metrics_server_kubelet_request_total", dimensions: [("success", "true")])
    private let failed = Counter(label: "metrics_server_kubelet_request_total", dimensions: [("success", "false")])
    private let tickDuration = Metrics.Timer(label: "metrics_server_manager_tick_duration_seconds", preferredDisplayUnit: .seconds)

    func request(node: String, success: Bool, duration: Duration) {
        (success ? succeeded : failed).increment()
        Metrics.Timer(label: "metrics_server_kubelet_request_duration_seconds", dimensions: [("node", node)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Self.nanoseconds(duration))
        Gauge(label: "metrics_server_kubelet_last_request_time_seconds", dimensions: [("node", node)]).record(Date().timeIntervalSince1970)
    }

    func tick(_ duration: Duration) { tickDuration.recordNanoseconds(Self.nanoseconds(duration)) }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
