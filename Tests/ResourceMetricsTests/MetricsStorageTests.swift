import Foundation
import Logging
import ResourceMetrics
import Testing

/// The storage's rate computation and its restart and completeness rules, as metrics-server's storage tests pin them.
@Suite("metrics server storage")
struct MetricsStorageTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    let web = PodReference(namespace: "default", name: "web")

    func batch(node: (cpu: UInt64, memory: UInt64, at: TimeInterval)?, containers: [String: (start: TimeInterval, cpu: UInt64, memory: UInt64, at: TimeInterval)]) -> MetricsBatch {
        var batch = MetricsBatch()
        if let node {
            batch.nodes["n1"] = MetricsPoint(timestamp: t0 + node.at, cumulativeCPU: node.cpu, memoryBytes: node.memory)
        }
        if !containers.isEmpty {
            batch.pods[web] = .init(node: "n1", containers: containers.mapValues {
                MetricsPoint(startTime: t0 + $0.start, timestamp: t0 + $0.at, cumulativeCPU: $0.cpu, memoryBytes: $0.memory)
            })
        }
        return batch
    }

    @Test("a node and a pod appear with their second point; CPU is the rate between the points, memory the last working set")
    func rate() throws {
        let storage = MetricsStorage(resolution: .seconds(15))
        storage.store(batch(node: (10_000_000_000, 4096, 0), containers: ["app": (-100, 1_000_000_000, 2048, 0)]))
        #expect(storage.nodeUsage(["n1"]).isEmpty)
        #expect(storage.podUsage([web]).isEmpty)

        // 15 s later: the node used 3 core-seconds (200 m), the container 0.75 (50 m).
        storage.store(batch(node: (13_000_000_000, 8192, 15), containers: ["app": (-100, 1_750_000_000, 3072, 15)]))
        let node = try #require(storage.nodeUsage(["n1", "unknown"])["n1"])
        #expect(node == Usage(cpuNanoCores: 200_000_000, memoryBytes: 8192, timestamp: t0 + 15, window: .seconds(15)))
        let pod = try #require(storage.podUsage([web])[web])
        #expect(pod.node == "n1" && pod.timestamp == t0 + 15 && pod.window == .seconds(15))
        #expect(pod.containers.map(\.name) == ["app"])
        #expect(pod.containers.first?.usage.cpuNanoCores == 50_000_000 && pod.containers.first?.usage.memoryBytes == 3072)

        // A scrape that repeats the last point keeps the earlier one as previous; one that lacks the node forgets it.
        storage.store(batch(node: (13_000_000_000, 8192, 15), containers: ["app": (-100, 1_750_000_000, 3072, 15)]))
        #expect(storage.nodeUsage(["n1"])["n1"]?.cpuNanoCores == 200_000_000)
        storage.store(batch(node: nil, containers: ["app": (-100, 2_500_000_000, 3072, 30)]))
        #expect(storage.nodeUsage(["n1"]).isEmpty)
        #expect(storage.podUsage([web])[web]?.containers.first?.usage.cpuNanoCores == 50_000_000)
    }

    @Test("a container restarted between scrapes is dropped, and its pod with it, until it has two points of its own")
    func restart() throws {
        let storage = MetricsStorage(resolution: .seconds(15))
        storage.store(batch(node: nil, containers: ["app": (-100, 5_000_000_000, 2048, 0), "side": (-100, 1_000_000_000, 1024, 0)]))
        storage.store(batch(node: nil, containers: ["app": (-100, 6_000_000_000, 2048, 15), "side": (-100, 1_500_000_000, 1024, 15)]))
        #expect(storage.podUsage([web])[web]?.containers.map(\.name) == ["app", "side"])

        // `app` restarted at 25 s (its counter starts over): no rate across the restart, so no pod.
        storage.store(batch(node: nil, containers: ["app": (25, 100_000_000, 2048, 30), "side": (-100, 2_000_000_000, 1024, 30)]))
        #expect(storage.podUsage([web]).isEmpty)

        // Its second point since the restart gives the pod back, with app's rate from the new counter.
        storage.store(batch(node: nil, containers: ["app": (25, 400_000_000, 2048, 45), "side": (-100, 2_500_000_000, 1024, 45)]))
        let pod = try #require(storage.podUsage([web])[web])
        #expect(pod.containers.map(\.name) == ["app", "side"])
        #expect(pod.containers.first?.usage.cpuNanoCores == 20_000_000)
    }

    @Test("a container started within the resolution, at least 10 s before its point, counts from its start (zero CPU then)")
    func freshContainer() throws {
        let storage = MetricsStorage(resolution: .seconds(60))
        storage.store(batch(node: nil, containers: ["app": (0, 3_000_000_000, 2048, 30)]))
        #expect(storage.podUsage([web])[web]?.containers.first?.usage.cpuNanoCores == 100_000_000)
        // Started 5 s before its point: too fresh for a rate.
        let fresh = MetricsStorage(resolution: .seconds(60))
        fresh.store(batch(node: nil, containers: ["app": (25, 3_000_000_000, 2048, 30)]))
        #expect(fresh.podUsage([web]).isEmpty)
    }

    @Test("a counter going backwards without a new start time gives no rate for that container")
    func decreasingCounter() throws {
        #expect(throws: ResourceMetricsError.self) {
            try Usage(last: MetricsPoint(timestamp: t0 + 15, cumulativeCPU: 1, memoryBytes: 1), previous: MetricsPoint(timestamp: t0, cumulativeCPU: 2, memoryBytes: 1))
        }
        let storage = MetricsStorage(resolution: .seconds(15))
        storage.store(batch(node: nil, containers: ["app": (-100, 5_000_000_000, 2048, 0)]))
        storage.store(batch(node: nil, containers: ["app": (-100, 4_000_000_000, 2048, 15)]))
        let pod = try #require(storage.podUsage([web])[web])
        #expect(pod.containers.isEmpty)
    }

    @Test("the kubelet's /metrics/resource text decodes into node and container points; incomplete pods are dropped")
    func decode() throws {
        let text = """
            # HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds
            # TYPE container_cpu_usage_seconds_total counter
            container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 1.5 1700000000123
            container_cpu_usage_seconds_total{container="x",namespace="default",pod="half"} 0.25 1700000000123
            # TYPE container_memory_working_set_bytes gauge
            container_memory_working_set_bytes{container="app",namespace="default",pod="web"} 2.097152e+06 1700000000123
            container_start_time_seconds{container="app",namespace="default",pod="web"} 1.6999999e+09
            node_cpu_usage_seconds_total 250.75 1700000000100
            node_memory_working_set_bytes 1.073741824e+09 1700000000100
            resource_scrape_error 0
            """
        let batch = ResourceMetricsDecoder.decode(text, node: "n1", defaultTime: t0)
        let node = try #require(batch.nodes["n1"])
        #expect(node.cumulativeCPU == 250_750_000_000 && node.memoryBytes == 1_073_741_824 && node.startTime == nil)
        #expect(abs(node.timestamp.timeIntervalSince1970 - 1_700_000_000.1) < 0.0001)
        #expect(batch.pods.keys.map(\.description) == ["default/web"])
        let app = try #require(batch.pods[web]?.containers["app"])
        #expect(app.cumulativeCPU == 1_500_000_000 && app.memoryBytes == 2_097_152)
        #expect(app.startTime == Date(timeIntervalSince1970: 1_699_999_900))
        #expect(abs(app.timestamp.timeIntervalSince1970 - 1_700_000_000.123) < 0.0001)
        #expect(batch.pods[web]?.node == "n1")
    }

    @Test("the scraper stores what every source answers and logs the nodes that fail")
    func scraper() async throws {
        struct Source: ScrapeSource {
            func targets() async throws -> [ScrapeTarget] { [.init(node: "good", url: "good"), .init(node: "bad", url: "bad"), .init(node: "slow", url: "slow")] }
            func resourceMetrics(_ target: ScrapeTarget, timeout: Duration) async throws -> String {
                switch target.node {
                case "bad": throw ResourceMetricsError(.request, "request failed, status: \"401 Unauthorized\"")
                case "slow": try await Task.sleep(for: .seconds(30)); return ""
                default:
                    let millis = Int64(Date().timeIntervalSince1970 * 1000)
                    return "node_cpu_usage_seconds_total \(Double(millis % 100_000_000) / 100) \(millis)\nnode_memory_working_set_bytes 4096 \(millis)\n"
                }
            }
        }
        let storage = MetricsStorage(resolution: .milliseconds(200))
        let scraper = Scraper(source: Source(), storage: storage, resolution: .milliseconds(200), logger: Logger(label: "test"))
        let start = ContinuousClock.now
        await scraper.tick()
        try await Task.sleep(for: .milliseconds(50))
        await scraper.tick()
        // The slow node is given up after 90 % of the resolution, each time.
        #expect(ContinuousClock.now - start < .seconds(2))
        let usage = storage.nodeUsage(["good", "bad", "slow"])
        #expect(Array(usage.keys) == ["good"])
        // node_cpu_usage_seconds_total grows by 10 ms per ms: 10 cores.
        let cpu = try #require(usage["good"]?.cpuNanoCores)
        #expect(cpu > 9_000_000_000 && cpu < 11_000_000_000, "\(cpu)")
    }
}
