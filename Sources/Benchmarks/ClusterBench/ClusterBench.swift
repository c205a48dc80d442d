// cluster-bench: on a 3-node `swiftlet lab` (TestSupport's LabCluster: a throwaway outer network namespace plays
// the host), pod startup latency for pods spread over the nodes (one after the other, then all at once),
// network-programming latency (a pod's Ready → traffic through the Service's NodePort reaches it, on every node),
// and the memory of the Swiftlet processes per node. hack/bench/cluster builds the release binaries and runs it.
import Foundation
import KubeAPI
import KubeClient
import LinuxSystem
import Logging
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@main
struct ClusterBench {
    static func main() async {
        let arguments = CommandLine.arguments
        func value(_ flag: String, _ fallback: Int) -> Int {
            arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? fallback
        }
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: cluster-bench [--pods 30] [--rounds 30]")
            return
        }
        let pods = max(3, value("--pods", 30)), rounds = max(1, value("--rounds", 30))
        progress("cluster-bench: 3-node lab, \(pods) pods for startup, \(rounds) network-programming rounds; binaries from \(BuiltProducts.directory)")
        do {
            let (report, teardown) = try await LabCluster.run(nodes: 3) { lab in
                try await measure(lab, pods: pods, rounds: rounds)
            }
            report.print()
            if !teardown.leftovers.isEmpty {
                progress("lab down left: " + teardown.leftovers.joined(separator: "; ") + "\n" + teardown.logTails)
                exit(1)
            }
        } catch {
            progress("cluster-bench failed: \(error)")
            exit(1)
        }
    }

    static func measure(_ lab: LabCluster, pods: Int, rounds: Int) async throws -> Report {
        progress("lab up took \(milliseconds(lab.upDuration))")
        // The API server listens on the lab bridge inside the outer namespace; reach it through host loopback.
        let port = Int.random(in: 20000...40000)
        let forwarder = try LoopbackForwarder(namespace: lab.harness.outer, port: port, target: lab.gateway, targetPort: 6443)
        defer { forwarder.stop() }
        let client = try await client(lab, port: port)
        var report = Report(load: [], pods: pods, rounds: rounds)
        report.memory.append(try MemorySample.take(lab, label: "idle (0 pods)"))
        report.load.append("after lab up: \(loadAverage())")

        let startup = PodStartup(client: client, nodes: lab.nodes)
        report.sequential = try await startup.run(pods: pods, together: false)
        report.load.append("after sequential starts: \(loadAverage())")
        report.burst = try await startup.run(pods: pods, together: true) {
            report.memory.append(try MemorySample.take(lab, label: "\(pods / lab.nodes.count) pods per node"))
        }
        report.load.append("after the burst: \(loadAverage())")

        report.programming = try await NetworkProgramming(client: client, lab: lab).run(rounds: rounds)
        report.load.append("after network programming: \(loadAverage())")
        try? await client.shutdown()
        return report
    }

    /// A client from the lab's kubeconfig (TLS material and all), its server moved to the forwarded port.
    static func client(_ lab: LabCluster, port: Int) async throws -> KubeClient {
        let json = try await lab.harness.kubectl(["config", "view", "--raw", "-o", "json"])
        var configuration = try KubeClient.Configuration(kubeconfig: try Kubeconfig(json: Data(json.utf8)))
        var components = URLComponents(url: configuration.server, resolvingAgainstBaseURL: false)
        components?.host = "127.0.0.1"
        components?.port = port
        guard let server = components?.url else { throw TestSupportError("cannot rewrite \(configuration.server)") }
        configuration.server = server
        configuration.userAgent = "cluster-bench"
        var logger = Logger(label: "cluster-bench")
        logger.logLevel = .warning
        return try KubeClient(configuration: configuration, logger: logger)
    }
}

/// Progress lines go to stderr, so stdout is only the table.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func milliseconds(_ duration: Duration) -> String { String(format: "%.0f ms", duration.seconds * 1000) }

/// The `fraction` percentile (nearest rank) of `values`.
func percentile(_ values: [Duration], _ fraction: Double) -> Duration {
    guard !values.isEmpty else { return .zero }
    let sorted = values.sorted()
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// Decodes a JSON literal into a typed object (bench fixtures).
func object<K: Decodable>(_ type: K.Type, _ json: String) throws -> K {
    try JSONDecoder().decode(K.self, from: Data(json.utf8))
}
