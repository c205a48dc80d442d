import Foundation
import KubeAPI
import KubeClient
import LinuxSystem
import Logging
import TestSupport

/// One node (API server, runtime, agent) measured: startup latencies of pods created at once, the agent's RSS,
/// and the CRI calls the agent made per started pod.
struct NodeMeasurement {
    let kind: CRIHarness.Kind
    /// Create request → Running seen by the watch, milliseconds, every round of `pods` pods.
    var latencies: [Double] = []
    /// The same for the round of `small` pods.
    var smallLatencies: [Double] = []
    /// The agent's VmRSS in KiB: idle (node Ready, no pods), with `small` and with `pods` pods running.
    var idleRSS = 0, smallRSS = 0, largeRSS = 0
    /// Of the agent's RSS with `small` pods: anonymous memory (its heap and stacks) and its proportional share
    /// (Pss: code pages shared with the runtime daemon and the other processes of the same binary divided among them).
    var smallAnonymous = 0, smallPSS = 0
    /// The runtime daemon's VmRSS in KiB with `pods` pods (its monitors not included).
    var runtimeRSS = 0
    /// CRI calls per started pod during the large rounds, by upstream's operation type.
    var callsPerPod: [String: Double] = [:]
    /// The mean duration of each CRI call the agent made during the large rounds, milliseconds.
    var meanCall: [String: Double] = [:]
    var load = ""
    /// `FailedCreatePodSandBox` events during the whole run (each is a sandbox start retried after a back-off), and
    /// the first one's message.
    var sandboxFailures = 0
    var sandboxFailure = ""

    static func run(_ kind: CRIHarness.Kind, pods: Int, small: Int, rounds: Int) async throws -> NodeMeasurement {
        progress("\(kind): starting registry, runtime, API server and agent")
        let harness = try await CRIHarness(kind, logLevel: "info")
        let node = Node(harness: harness)
        do {
            let result = try await node.measure(pods: pods, small: small, rounds: rounds)
            await node.stop()
            return result
        } catch {
            progress("\(kind): failed: \(error)\nagent log:\n\(node.agent.logTail)")
            await node.stop()
            throw error
        }
    }

    static func report(_ results: [NodeMeasurement], pods: Int, small: Int) {
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
        func ms(_ value: Double) -> String { String(format: "%.0f ms", value) }
        func mib(_ kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }
        var rows: [(String, [String])] = []
        rows.append(("pods created at once", results.map { _ in "\(pods)" }))
        rows.append(("create → Running p50", results.map { ms(percentile($0.latencies, 0.5)) }))
        rows.append(("create → Running p90", results.map { ms(percentile($0.latencies, 0.9)) }))
        rows.append(("create → Running p99", results.map { ms(percentile($0.latencies, 0.99)) }))
        rows.append(("create → Running min / max", results.map { "\(ms($0.latencies.min() ?? .nan)) / \(ms($0.latencies.max() ?? .nan))" }))
        rows.append(("\(small) at once: p50 / p99", results.map { "\(ms(percentile($0.smallLatencies, 0.5))) / \(ms(percentile($0.smallLatencies, 0.99)))" }))
        rows.append(("agent RSS idle", results.map { mib($0.idleRSS) }))
        rows.append(("agent RSS, \(small) pods", results.map { mib($0.smallRSS) }))
        rows.append(("  of which anonymous / Pss", results.map { "\(mib($0.smallAnonymous)) / \(mib($0.smallPSS))" }))
        rows.append(("agent RSS, \(pods) pods", results.map { mib($0.largeRSS) }))
        rows.append(("runtime daemon RSS, \(pods) pods", results.map { mib($0.runtimeRSS) }))
        let operations = Set(results.flatMap { $0.callsPerPod.keys }).sorted()
        for operation in operations {
            rows.append(("CRI \(operation): calls per pod, mean", results.map {
                String(format: "%.1f, %.0f ms", $0.callsPerPod[operation] ?? 0, $0.meanCall[operation] ?? 0)
            }))
        }
        rows.append(("sandbox start failures (retried)", results.map { "\($0.sandboxFailures)" }))
        rows.append(("load average (1 min) after", results.map(\.load)))
        let header = ["", ] + results.map { "agent + \($0.kind)" }
        let widths = ([rows.map(\.0.count).max() ?? 0] + results.indices.map { index in
            max(header[index + 1].count, rows.map { $0.1[index].count }.max() ?? 0)
        })
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: max(0, widths[index] - cell.count)) + cell
            }.joined(separator: "  ")
        }
        print(line(header))
        for (label, cells) in rows { print(line([label] + cells)) }
        for result in results where result.sandboxFailures > 0 {
            print("\(result.kind): first sandbox failure: \(result.sandboxFailure)")
        }
        print("targets: p50 ≤ 300 ms, p99 ≤ 1 s; agent (kubelet + proxy) RSS ≤ 30 MiB at 10 pods")
    }
}

/// The daemons of one measured node, all in the harness's network namespace.
final class Node: @unchecked Sendable {
    let harness: CRIHarness
    let server: PeerDaemon
    let agent: PeerDaemon
    let nodeName = "bench-" + String(UInt32.random(in: .min ... .max), radix: 16)
    private var forwarders: [LoopbackForwarder] = []
    private var client: KubeClient?
    private var metricsPort = 0

    init(harness: CRIHarness) {
        self.harness = harness
        server = (try? PeerDaemon(name: "bench-server"))!
        agent = (try? PeerDaemon(name: "bench-agent"))!
    }

    func measure(pods: Int, small: Int, rounds: Int) async throws -> NodeMeasurement {
        let client = try await start()
        var result = NodeMeasurement(kind: harness.kind)
        let shell = "\(harness.registry)/swiftlet-test/shell:v1"
        // Warm-up: the image is pulled and every path has run once.
        _ = try await round(client, count: 1, prefix: "warmup", image: shell)
        try await deleteAll(client)
        try await Task.sleep(for: .seconds(2))
        result.idleRSS = agentRSS()

        progress("\(harness.kind): \(small) pods at once")
        result.smallLatencies = try await round(client, count: small, prefix: "small", image: shell)
        try await Task.sleep(for: .seconds(3))
        result.smallRSS = agentRSS()
        result.smallAnonymous = agentMemory("RssAnon", file: "status")
        result.smallPSS = agentMemory("Pss", file: "smaps_rollup")
        try await deleteAll(client)

        let before = try await criCalls()
        for index in 0..<rounds {
            progress("\(harness.kind): \(pods) pods at once (round \(index + 1) of \(rounds))")
            result.latencies += try await round(client, count: pods, prefix: "r\(index)", image: shell)
            // A mark for whoever measures the node's CPU time per phase from outside (the deletion follows).
            progress("\(harness.kind): \(pods) pods Running (round \(index + 1) of \(rounds))")
            if index == rounds - 1 {
                try await Task.sleep(for: .seconds(3))
                result.largeRSS = agentRSS()
                result.runtimeRSS = runtimeRSS()
            }
            try await deleteAll(client)
        }
        let after = try await criCalls()
        for (operation, count) in after.counts {
            let delta = count - (before.counts[operation] ?? 0)
            guard delta > 0 else { continue }
            result.callsPerPod[operation] = delta / Double(pods * rounds)
            result.meanCall[operation] = ((after.seconds[operation] ?? 0) - (before.seconds[operation] ?? 0)) / delta * 1000
        }
        let failures = try await client.list(Event.self, namespace: "default").items.filter { $0.reason == "FailedCreatePodSandBox" }
        result.sandboxFailures = failures.reduce(0) { $0 + Int($1.count ?? 1) }
        result.sandboxFailure = failures.first?.message ?? ""
        result.load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init) ?? "?"
        return result
    }

    /// API server and agent in the harness's namespace; the API and the agent's metrics forwarded to the host.
    private func start() async throws -> KubeClient {
        let ports = try freeLoopbackPorts(3)
        let swiftlet = try BuiltProducts.path(of: "swiftlet")
        let namespace = "--net=" + harness.namespace.path
        let data = server.directory + "/data"
        try server.start("/usr/bin/nsenter", [namespace, swiftlet, "server", "--data-dir", data, "--listen", "127.0.0.1:\(ports[0])",
                                              "--controllers", "", "--no-scheduler"])
        try await server.waitForFile(data + "/admin.kubeconfig")
        forwarders.append(try LoopbackForwarder(namespace: harness.namespace, port: ports[0]))
        forwarders.append(try LoopbackForwarder(namespace: harness.namespace, port: ports[1]))
        metricsPort = ports[1]
        var logger = Logger(label: "pod-startup-bench")
        logger.logLevel = .warning
        // HTTPS with the admin certificate, as the agent reaches the server through admin.kubeconfig.
        let configuration = ServerProcess.adminConfiguration(server: URL(string: "https://127.0.0.1:\(ports[0])")!, dataDirectory: data,
                                                             userAgent: "pod-startup-bench")
        let client = try KubeClient(configuration: configuration, logger: logger)
        self.client = client
        try agent.start("/usr/bin/nsenter", [
            namespace, swiftlet, "agent", "--kubeconfig", data + "/admin.kubeconfig", "--node-name", nodeName,
            "--root-dir", harness.root + "/agent", "--pod-log-dir", harness.root + "/pods",
            "--container-runtime-endpoint", "unix://" + harness.socket, "--cluster-dns", "10.96.0.10", "--log-level", "info",
            "--proxy-mode", "nftables", "--no-pod-routes", "--healthz-bind-address", "127.0.0.1:\(ports[1])",
            "--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", String(ports[2]),
        ])
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let node = try? await client.get(KubeAPI.Node.self, name: nodeName),
               node.status?.conditions?.contains(where: { $0.type == "Ready" && $0.status == "True" }) == true {
                return client
            }
            guard agent.isRunning else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestSupportError("node \(nodeName) did not become Ready")
    }

    /// Creates `count` pods at once and returns, per pod, the time from its create request to the watch event
    /// that showed it Running.
    private func round(_ client: KubeClient, count: Int, prefix: String, image: String) async throws -> [Double] {
        let names = (0..<count).map { "\(prefix)-\($0)" }
        let listed = try await client.listPage(Pod.self, namespace: "default")
        let events = client.watch(Pod.self, namespace: "default", resourceVersion: listed.metadata.resourceVersion)
        let watcher = Task { () throws -> [String: ContinuousClock.Instant] in
            var running: [String: ContinuousClock.Instant] = [:]
            for try await event in events {
                guard let pod = event.object, pod.status?.phase == "Running", names.contains(pod.metadata.name ?? ""),
                      running[pod.metadata.name ?? ""] == nil else { continue }
                running[pod.metadata.name ?? ""] = .now
                if running.count == names.count { break }
            }
            return running
        }
        let starts = try await withThrowingTaskGroup(of: (String, ContinuousClock.Instant).self) { group in
            for name in names {
                let pod = try JSONDecoder().decode(Pod.self, from: Data("""
                    {"metadata":{"name":"\(name)","namespace":"default"},
                     "spec":{"nodeName":"\(nodeName)","terminationGracePeriodSeconds":1,
                             "containers":[{"name":"main","image":"\(image)","imagePullPolicy":"IfNotPresent","command":["sleep","3600"]}]}}
                    """.utf8))
                group.addTask {
                    let start = ContinuousClock.now
                    _ = try await client.create(pod)
                    return (name, start)
                }
            }
            return try await group.reduce(into: [String: ContinuousClock.Instant]()) { $0[$1.0] = $1.1 }
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(180))
            watcher.cancel()
        }
        let running = try await watcher.value
        timeout.cancel()
        guard running.count == names.count else {
            throw TestSupportError("only \(running.count) of \(names.count) pods reached Running")
        }
        return names.map { (running[$0]! - starts[$0]!).milliseconds }
    }

    /// Deletes every pod and waits until the agent has removed them (the objects are gone).
    private func deleteAll(_ client: KubeClient) async throws {
        let pods = try await client.list(Pod.self, namespace: "default").items
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pod in pods { group.addTask { try? await client.delete(Pod.self, name: pod.metadata.name ?? "", namespace: "default") } }
            try await group.waitForAll()
        }
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if try await client.list(Pod.self, namespace: "default").items.isEmpty { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestSupportError("pods were not removed within 180 s")
    }

    /// `kubelet_runtime_operations_total` and the seconds summed in `kubelet_runtime_operations_duration_seconds`, by
    /// operation type, from the agent's /metrics.
    private func criCalls() async throws -> (counts: [String: Double], seconds: [String: Double]) {
        let scraped = try await runCommand("/usr/bin/curl", ["-s", "--max-time", "10", "http://127.0.0.1:\(metricsPort)/metrics"])
        var counts: [String: Double] = [:], seconds: [String: Double] = [:]
        for line in scraped.stdout.split(separator: "\n") {
            let isCount = line.hasPrefix("kubelet_runtime_operations_total{")
            guard isCount || line.hasPrefix("kubelet_runtime_operations_duration_seconds_sum{"),
                  let start = line.firstRange(of: "operation_type=\"")?.upperBound,
                  let end = line[start...].firstIndex(of: "\""),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            if isCount { counts[String(line[start..<end]), default: 0] += value } else { seconds[String(line[start..<end]), default: 0] += value }
        }
        return (counts, seconds)
    }

    private func agentRSS() -> Int { rss { $0.contains("agent") && $0.contains(nodeName) } }

    /// A field (KiB) of the agent's /proc/PID/`file` (`status`, `smaps_rollup`).
    private func agentMemory(_ field: String, file: String) -> Int {
        var total = 0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard Int32(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first?.hasSuffix("nsenter") != true, arguments.contains("agent"), arguments.contains(nodeName),
                  let text = try? String(contentsOfFile: "/proc/\(entry)/\(file)", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
                  let kib = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) }) else { continue }
            total += kib
        }
        return total
    }

    /// The runtime daemon alone: the agent names the same socket (`--container-runtime-endpoint`), so it is left out.
    private func runtimeRSS() -> Int {
        rss { arguments in
            guard !arguments.contains("agent") else { return false }
            return arguments.contains(harness.socket) || arguments.contains("unix://" + harness.socket)
                || arguments.contains { $0.hasPrefix(harness.root) && $0.hasSuffix("containerd.toml") }
        }
    }

    /// VmRSS (KiB) summed over the processes whose command line matches (nsenter has exec'd the daemon).
    private func rss(_ matches: ([String]) -> Bool) -> Int {
        var total = 0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard Int32(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first?.hasSuffix("nsenter") != true, matches(arguments),
                  let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                  let kib = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) }) else { continue }
            total += kib
        }
        return total
    }

    func stop() async {
        if let client { try? await deleteAll(client) }
        agent.stop()
        server.stop()
        for forwarder in forwarders { forwarder.stop() }
        try? await client?.shutdown()
        await harness.stop()
    }
}
