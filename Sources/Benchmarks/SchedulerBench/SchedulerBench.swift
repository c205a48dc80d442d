import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KubeAPI
import KubeClient
import Logging

/// `scheduler-bench URL NODES PODS [CLIENTS] [SERVER-PID]`: load for `hack/bench/scheduler`. Waits for NODES Ready
/// simulated nodes (`swiftlet sim` runs them), creates PODS pods with CLIENTS concurrent clients, and measures from a
/// watch when each is bound and running: scheduling throughput (overall and per second), create→bound latency,
/// the p99 of the API server's mutating requests during the run (from its `/metrics` histogram, every client:
/// bench, scheduler, simulated kubelets), and the server's RSS once every pod runs.
@main
struct SchedulerBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4, let url = URL(string: arguments[1]), let nodes = Int(arguments[2]), let pods = Int(arguments[3]) else {
            print("usage: scheduler-bench URL NODES PODS [CLIENTS] [SERVER-PID]")
            exit(2)
        }
        let clients = arguments.count > 4 ? Int(arguments[4]) ?? 16 : 16
        let serverPID = arguments.count > 5 ? arguments[5] : nil
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        // The bench shares the two cores with the server: it skips decoding managedFields it never reads.
        var configuration = KubeClient.Configuration(server: url)
        configuration.omitsManagedFields = true
        let client = try KubeClient(configuration: configuration, logger: logger)

        progress("waiting for \(nodes) Ready nodes…")
        let registration = ContinuousClock.now
        // All registered and nearly all Ready: on a loaded machine a few leases may be late at any moment.
        var readyAtStart = 0
        while true {
            let all = try await client.list(Node.self).items
            readyAtStart = all.filter(Self.isReady).count
            if all.count >= nodes, readyAtStart * 100 >= nodes * 98 { break }
            // A server that cannot keep up with the leases never gets there: go on after 5 minutes regardless.
            if ContinuousClock.now - registration > .seconds(300) { break }
            try await Task.sleep(for: .seconds(2))
        }
        let registrationTime = (ContinuousClock.now - registration).seconds
        progress("  \(readyAtStart)/\(nodes) nodes Ready after \(String(format: "%.1f", registrationTime)) s")
        let metricsBefore = try await mutatingHistogram(url)

        // Bound and running times from one watch.
        let times = Times()
        let start = try await client.list(Pod.self, namespace: "default", options: ListOptions(limit: 1)).metadata.resourceVersion
        let watcher = Task {
            for try await event in client.watch(PodProgress.self, namespace: "default", resourceVersion: start) {
                guard let pod = event.object, let name = pod.metadata.name else { continue }
                if pod.spec?.nodeName != nil { await times.bound(name) }
                if pod.status?.phase == "Running" { await times.running(name) }
            }
        }

        progress("creating \(pods) pods with \(clients) clients…")
        let began = ContinuousClock.now
        let perClient = pods / clients
        let createLatencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for c in 0..<clients {
                group.addTask {
                    var samples: [Double] = []
                    for i in 0..<perClient {
                        let name = "sched-\(c)-\(i)"
                        await times.created(name)
                        let t = ContinuousClock.now
                        _ = try await client.create(Self.pod(name))
                        samples.append((ContinuousClock.now - t).seconds)
                    }
                    return samples
                }
            }
            var all: [Double] = []
            for try await samples in group { all += samples }
            return all
        }
        let created = perClient * clients
        let creationTime = (ContinuousClock.now - began).seconds
        progress("  created in \(String(format: "%.1f", creationTime)) s; waiting for every pod to be bound and running…")
        var last = -1, stalled = ContinuousClock.now
        while true {
            let (bound, running) = await times.counts
            if bound >= created, running >= created { break }
            if bound != last { last = bound; stalled = .now }
            if ContinuousClock.now - stalled > .seconds(120) { print("  stalled at \(bound) bound, \(running) running"); break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let rss = serverPID.flatMap(Self.memory)
        let readyAtEnd = try await client.list(Node.self).items.filter(Self.isReady).count
        let metricsAfter = try await mutatingHistogram(url)
        watcher.cancel()

        let report = await times.report(since: began)
        func ms(_ v: Double) -> String { String(format: "%.1f ms", v * 1000) }
        print("")
        print("| measure | value |")
        print("|---|---|")
        print("| nodes / pods | \(nodes) / \(created) |")
        print("| node registration (swiftlet sim) | \(String(format: "%.0f", registrationTime)) s (\(String(format: "%.0f", Double(nodes) / registrationTime)) nodes/s) |")
        print("| nodes Ready at start / end | \(readyAtStart) / \(readyAtEnd) |")
        print("| pods created (\(clients) clients) | \(String(format: "%.1f", creationTime)) s (\(String(format: "%.0f", Double(created) / creationTime))/s), create p99 \(ms(percentile(createLatencies, 0.99))) |")
        print("| scheduling throughput, first create → last bound | \(String(format: "%.0f", report.throughput)) pods/s (\(report.bound) bound in \(String(format: "%.1f", report.lastBound)) s) |")
        print("| scheduling throughput per second, p50 / max | \(String(format: "%.0f", report.perSecondMedian)) / \(String(format: "%.0f", report.perSecondMax)) pods/s |")
        print("| create → bound p50 / p99 | \(ms(report.boundP50)) / \(ms(report.boundP99)) |")
        print("| create → running p50 / p99 | \(ms(report.runningP50)) / \(ms(report.runningP99)) |")
        let (count, p99) = histogramP99(before: metricsBefore, after: metricsAfter)
        print("| API mutating requests during the run, p99 (server histogram) | ≤ \(p99) s (\(count) requests) |")
        if let rss { print("| server RSS with every pod running | \(rss) |") }
        if let cycle = try? await schedulingCycle(url) {
            print("| scheduling cycle (filter, score, assume), mean | \(String(format: "%.0f", cycle.mean * 1e6)) µs over \(cycle.count) pods (\(String(format: "%.0f", 1 / cycle.mean)) pods/s of scheduler capacity) |")
        }
        try await client.shutdown()
    }

    static func isReady(_ node: Node) -> Bool {
        node.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
    }

    static func pod(_ name: String) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default", labels: ["app": "sched-bench"]),
            spec: PodSpec(containers: [Container(name: "c", image: "registry.local/bench:1",
                                                 resources: ResourceRequirements(requests: ["cpu": "100m", "memory": "64Mi"]))]))
    }

    /// VmRSS and VmHWM of a process.
    static func memory(_ pid: String) -> String? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> String? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        return "\(field("VmRSS") ?? "?") (peak \(field("VmHWM") ?? "?"))"
    }

    /// Mean duration of the scheduler's successful attempts, from `scheduler_scheduling_attempt_duration_seconds`.
    static func schedulingCycle(_ url: URL) async throws -> (mean: Double, count: Int)? {
        let (data, _) = try await URLSession.shared.data(from: url.appendingPathComponent("metrics"))
        var sum: Double?, count: Double?
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("scheduler_scheduling_attempt_duration_seconds") && line.contains("result=\"scheduled\"") {
            let value = line.split(separator: " ").last.flatMap { Double($0) }
            if line.hasPrefix("scheduler_scheduling_attempt_duration_seconds_sum") { sum = value }
            if line.hasPrefix("scheduler_scheduling_attempt_duration_seconds_count") { count = value }
        }
        guard let sum, let count, count > 0 else { return nil }
        return (sum / count, Int(count))
    }

    /// Cumulative bucket counts (le → count) of `apiserver_request_duration_seconds` over POST, PUT, PATCH and DELETE.
    static func mutatingHistogram(_ url: URL) async throws -> [String: Double] {
        let (data, _) = try await URLSession.shared.data(from: url.appendingPathComponent("metrics"))
        var buckets: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("apiserver_request_duration_seconds_bucket{") {
            guard ["POST", "PUT", "PATCH", "DELETE"].contains(where: { line.contains("verb=\"\($0)\"") }),
                  let leRange = line.range(of: "le=\""), let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            let le = line[leRange.upperBound...].prefix { $0 != "\"" }
            buckets[String(le), default: 0] += value
        }
        return buckets
    }

    /// The request count between the snapshots and the smallest bucket bound holding 99 % of them.
    static func histogramP99(before: [String: Double], after: [String: Double]) -> (Int, String) {
        let bounds = after.keys.sorted { (Double($0) ?? .infinity) < (Double($1) ?? .infinity) }
        let total = (after["+Inf"] ?? 0) - (before["+Inf"] ?? 0)
        for bound in bounds where (after[bound] ?? 0) - (before[bound] ?? 0) >= total * 0.99 {
            return (Int(total), bound)
        }
        return (Int(total), "?")
    }
}

/// A progress line, written at once also into a file or a pipe (`hack/bench/scheduler` tees the output, and a
/// profiler waits for "creating").
func progress(_ line: String) {
    print(line)
    fflush(nil)
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}

/// What the bench's watch reads of a pod: its node and phase. Decoding a whole `Pod` for each of the ~4 events per
/// pod cost the bench as much CPU as a fifth of the server's, on the same two cores.
struct PodProgress: KubeObject {
    static var resource: ResourceInfo { Pod.resource }
    struct Spec: Codable, Sendable, Equatable { var nodeName: String? }
    struct Phase: Codable, Sendable, Equatable { var phase: String? }
    var apiVersion: String?
    var kind: String?
    var metadata: ObjectMeta
    var spec: Spec?
    var status: Phase?
}

/// When each pod was created, bound and seen running.
actor Times {
    private var created: [String: ContinuousClock.Instant] = [:]
    private var bound: [String: ContinuousClock.Instant] = [:]
    private var running: [String: ContinuousClock.Instant] = [:]

    func created(_ name: String) { created[name] = .now }
    func bound(_ name: String) { if bound[name] == nil { bound[name] = .now } }
    func running(_ name: String) { if running[name] == nil { running[name] = .now } }
    var counts: (Int, Int) { (bound.count, running.count) }

    struct Report {
        var bound: Int
        var lastBound: Double
        var throughput: Double
        var perSecondMedian: Double
        var perSecondMax: Double
        var boundP50: Double, boundP99: Double, runningP50: Double, runningP99: Double
    }

    func report(since start: ContinuousClock.Instant) -> Report {
        let boundAt = bound.values.map { ($0 - start).seconds }
        let lastBound = boundAt.max() ?? 0
        var perSecond = [Double](repeating: 0, count: Int(lastBound) + 1)
        for t in boundAt { perSecond[Int(t)] += 1 }
        // Whole seconds between the first and the last binding.
        let firstSecond = Int(boundAt.min() ?? 0)
        let window = Array(perSecond[firstSecond..<max(firstSecond + 1, perSecond.count - 1)])
        let toBound = bound.compactMap { name, t in created[name].map { (t - $0).seconds } }
        let toRunning = running.compactMap { name, t in created[name].map { (t - $0).seconds } }
        return Report(bound: bound.count, lastBound: lastBound, throughput: Double(bound.count) / max(lastBound, 0.001),
                      perSecondMedian: percentile(window, 0.5), perSecondMax: window.max() ?? 0,
                      boundP50: percentile(toBound, 0.5), boundP99: percentile(toBound, 0.99),
                      runningP50: percentile(toRunning, 0.5), runningP99: percentile(toRunning, 0.99))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
