import Foundation
import TestSupport

/// Resident memory of each node's Swiftlet processes (agent, runtime, the per-container swiftlet-shims) and the server.
struct MemorySample {
    struct Node {
        var name: String
        var agent: Int
        var runtime: Int
        var shims: Int
        var shimCount: Int
    }

    var label: String
    var nodes: [Node]
    var server: Int

    static func take(_ lab: LabCluster, label: String) throws -> MemorySample {
        let shims = shimProcesses()
        let nodes = try lab.nodes.map { node in
            let mine = shims.filter { $0.arguments.contains { $0.contains("/nodes/\(node)/runc") } }
            return Node(name: node, agent: try lab.residentBytes(of: "\(node) agent"), runtime: try lab.residentBytes(of: "\(node) runtime"),
                        shims: mine.map(\.rss).reduce(0, +), shimCount: mine.count)
        }
        return MemorySample(label: label, nodes: nodes, server: try lab.residentBytes(of: "server"))
    }

    /// Every `swiftlet-shim` process: its arguments and VmRSS in bytes.
    static func shimProcesses() -> [(arguments: [String], rss: Int)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard Int32(entry) != nil, let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first?.hasSuffix("swiftlet-shim") == true,
                  let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                  let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
            return (arguments, kib * 1024)
        }
    }
}

/// The table, with the targets and upstream's figures beside ours.
struct Report {
    var load: [String]
    var pods: Int
    var rounds: Int
    var sequential: PodStartup.Result?
    var burst: PodStartup.Result?
    var programming: NetworkProgramming.Result?
    var memory: [MemorySample] = []

    func print() {
        Swift.print("")
        Swift.print("| measure | swiftlet (3-node lab, one machine) | target | upstream reference |")
        Swift.print("|---|---|---|---|")
        for (label, result) in [("one after the other", sequential), ("\(pods) created at once", burst)] {
            guard let result else { continue }
            let running = result.samples.map(\.running), scheduled = result.samples.map(\.scheduled)
            let spread = result.perNode.sorted { $0.key < $1.key }.map { "\($0.value)" }.joined(separator: "/")
            Swift.print("| pod startup p50 / p99, \(label) (\(result.samples.count) pods, \(spread) per node) | "
                        + "\(milliseconds(percentile(running, 0.5))) / \(milliseconds(percentile(running, 0.99))) | p99 ≤ 1 s | "
                        + "SLO p99 ≤ 5 s (kubelet, excluding image pull) |")
            Swift.print("|   of which create → bound by the scheduler, p50 / p99 | "
                        + "\(milliseconds(percentile(scheduled, 0.5))) / \(milliseconds(percentile(scheduled, 0.99))) | | |")
            Swift.print("|   wall time for all \(result.samples.count) | \(milliseconds(result.wall)) | | |")
        }
        if let programming {
            Swift.print("| network programming p50 / p99, isolated changes (pod Ready → answered through each node's NodePort; "
                        + "\(programming.isolated.count) samples) | "
                        + "\(milliseconds(percentile(programming.isolated, 0.5))) / \(milliseconds(percentile(programming.isolated, 0.99))) | "
                        + "p99 ≤ 200 ms | SLO p99 ≤ 30 s (in-cluster network programming) |")
            Swift.print("| network programming p50 / p99, rounds back to back (\(programming.samples.count) samples) | "
                        + "\(milliseconds(percentile(programming.samples, 0.5))) / \(milliseconds(percentile(programming.samples, 0.99))) | "
                        + "p99 ≤ 200 ms | kube-proxy: minSyncPeriod 1 s, burstSyncs 2 |")
            Swift.print("|   of which pod Ready → EndpointSlice ready, p50 / p99 | "
                        + "\(milliseconds(percentile(programming.sliceDelays, 0.5))) / \(milliseconds(percentile(programming.sliceDelays, 0.99))) | | |")
            Swift.print("|   max (all rounds) | \(milliseconds((programming.samples + programming.isolated).max() ?? .zero)) | | |")
        }
        for sample in memory {
            let perNode = sample.nodes.map { mebibytes($0.agent + $0.runtime) }.joined(separator: " / ")
            Swift.print("| RSS agent + runtime per node, \(sample.label) | \(perNode) | ≤ 60 MiB | kubelet ≤ 50 MiB at 10 pods (node density e2e), containerd besides |")
            for node in sample.nodes {
                Swift.print("|   \(node.name): agent / runtime / \(node.shimCount) shims | "
                            + "\(mebibytes(node.agent)) / \(mebibytes(node.runtime)) / \(mebibytes(node.shims)) | | |")
            }
            Swift.print("|   server (API, store, controllers, scheduler, DNS) | \(mebibytes(sample.server)) | | |")
        }
        Swift.print("")
        Swift.print("Load average (1/5/15 min): " + load.joined(separator: "; ") + ". \(ProcessInfo.processInfo.activeProcessorCount) CPUs.")
        Swift.print("Pod startup is timed from the create request to the bench's watch seeing the pod Running with its container")
        Swift.print("started (images preloaded); network programming from the watch seeing the pod Ready to the first answer")
        Swift.print("from that pod through each node's NodePort (a probe every 10 ms from the host). All nodes, the server and the")
        Swift.print("bench share this machine.")
    }
}

func mebibytes(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
