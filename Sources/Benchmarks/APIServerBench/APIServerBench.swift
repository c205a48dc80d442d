import Foundation
import KubeAPI
import KubeClient
import Logging

/// `apiserver-bench URL`: load for `hack/bench/apiserver` (`BENCH_CA`, `BENCH_CERT`, `BENCH_KEY`: PEM files for HTTPS). Creates pods with concurrent clients, measures mutating
/// latency (at full speed and at a fixed rate), LIST of every pod, and watch delivery latency; prints a table.
@main
struct APIServerBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let url = URL(string: arguments[1]) else {
            print("usage: apiserver-bench URL [pods] [clients]")
            exit(2)
        }
        let pods = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
        let clients = arguments.count > 3 ? Int(arguments[3]) ?? 16 : 16
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        // Over HTTPS the script passes the cluster CA and the admin certificate as files.
        var configuration = KubeClient.Configuration(server: url)
        let environment = ProcessInfo.processInfo.environment
        if let ca = environment["BENCH_CA"], let cert = environment["BENCH_CERT"], let key = environment["BENCH_KEY"] {
            configuration.certificateAuthority = FileManager.default.contents(atPath: ca)
            configuration.clientCertificate = FileManager.default.contents(atPath: cert)
            configuration.clientKey = FileManager.default.contents(atPath: key)
        }
        let client = try KubeClient(configuration: configuration, logger: logger)

        // Watch delivery: the watcher notes when each ADDED arrives; the writer notes when each create returned.
        let arrivals = Timestamps()
        let watchStart = try await client.list(Pod.self, namespace: "default", options: ListOptions(limit: 1)).metadata.resourceVersion
        let watcher = Task {
            for try await event in client.watch(Pod.self, namespace: "default", resourceVersion: watchStart) {
                switch event {
                case .added(let pod): if let name = pod.metadata.name { await arrivals.mark(name) }
                case .modified(let pod): if let round = pod.metadata.labels?["round"] { await arrivals.mark("round-\(round)") }
                default: break
                }
            }
        }

        print("creating \(pods) pods with \(clients) concurrent clients…")
        let sent = Timestamps()
        let started = ContinuousClock.now
        let perClient = pods / clients
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for c in 0..<clients {
                group.addTask {
                    var samples: [Double] = []
                    for i in 0..<perClient {
                        let name = "bench-\(c)-\(i)"
                        let begin = ContinuousClock.now
                        await sent.mark(name)
                        _ = try await client.create(Self.pod(name))
                        samples.append((ContinuousClock.now - begin).seconds)
                        if i % 500 == 0, c == 0 { print("  \(i * clients) created") }
                    }
                    return samples
                }
            }
            var all: [Double] = []
            for try await samples in group { all += samples }
            return all
        }
        let elapsed = (ContinuousClock.now - started).seconds

        print("steady 100 writes/s for 20 s…")
        var paced: [Double] = []
        for i in 0..<2000 {
            let due = started + .seconds(elapsed) + .milliseconds(10 * i)
            try await Task.sleep(until: due, clock: .continuous)
            let pod = try await Self.relabel(client, "bench-0-\(i % perClient)", i)
            let begin = ContinuousClock.now
            await sent.mark("round-\(i)")
            _ = try await client.update(pod)
            paced.append((ContinuousClock.now - begin).seconds)
            if paced.count == 2000 || ContinuousClock.now - begin > .seconds(5) { break }
        }

        print("listing…")
        var lists: [Double] = []
        for _ in 0..<5 {
            let begin = ContinuousClock.now
            let list = try await client.listPage(Pod.self, namespace: "default", options: ListOptions())
            lists.append((ContinuousClock.now - begin).seconds)
            precondition(list.items.count >= pods - pods % clients)
        }
        try await Task.sleep(for: .seconds(1))
        watcher.cancel()
        let delays = await arrivals.delays(since: sent)
        let delivery = delays.filter { !$0.key.hasPrefix("round-") }.map(\.value)
        let pacedDelivery = delays.filter { $0.key.hasPrefix("round-") }.map(\.value)

        func ms(_ v: Double) -> String { String(format: "%.2f ms", v * 1000) }
        print("")
        print("| measure | value |")
        print("|---|---|")
        print("| creates | \(latencies.count) in \(String(format: "%.1f", elapsed)) s (\(String(format: "%.0f", Double(latencies.count) / elapsed))/s) |")
        print("| create p50 / p99 (16 clients, full speed) | \(ms(percentile(latencies, 0.5))) / \(ms(percentile(latencies, 0.99))) |")
        print("| update p50 / p99 at 100 writes/s | \(ms(percentile(paced, 0.5))) / \(ms(percentile(paced, 0.99))) |")
        print("| LIST \(pods) pods incl. client decoding (median of 5) | \(ms(percentile(lists, 0.5))) |")
        print("| watch delivery p50 / p99 during the burst | \(ms(percentile(delivery, 0.5))) / \(ms(percentile(delivery, 0.99))) (\(delivery.count) events) |")
        print("| watch delivery p50 / p99 at 100 writes/s | \(ms(percentile(pacedDelivery, 0.5))) / \(ms(percentile(pacedDelivery, 0.99))) (\(pacedDelivery.count) events) |")
        try await client.shutdown()
    }

    static func pod(_ name: String) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": "bench"]),
            spec: PodSpec(containers: [Container(name: "c", image: "registry.local/bench:1", resources: ResourceRequirements(requests: ["cpu": "100m", "memory": "64Mi"]))]))
    }

    static func relabel(_ client: KubeClient, _ name: String, _ i: Int) async throws -> Pod {
        var pod = try await client.get(Pod.self, name: name, namespace: "default")
        pod.metadata.labels?["round"] = String(i)
        return pod
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
    }
}

/// When each named event happened.
actor Timestamps {
    private var times: [String: ContinuousClock.Instant] = [:]
    func mark(_ name: String) { times[name] = .now }

    /// For every name both marked here and in `start`, the seconds between them.
    func delays(since start: Timestamps) async -> [String: Double] {
        let begins = await start.times
        var result: [String: Double] = [:]
        for (name, end) in times {
            if let begin = begins[name] { result[name] = (end - begin).seconds }
        }
        return result
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
