// cni-bench: ADD and DEL latency of our bridge + host-local against Debian's reference plugins with the
// same configuration. Run it inside a throwaway network namespace (hack/bench/cni does), so the bridges,
// rules and pods it makes never touch the host's network.
import CNI
import Foundation
import LinuxSystem

/// One plugin set under test: where its binaries are and how its types are named.
struct Implementation {
    var label: String
    var directory: String
    var bridgeType: String
    var ipamType: String
    /// A bridge and subnet of its own, so the two sets never share state in the namespace.
    var bridge: String
    var subnet: String
}

/// A configuration variant both implementations run.
struct Variant {
    var label: String
    var keys: String
}

@main
struct CNIBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func value(_ flag: String, _ fallback: String) -> String {
            arguments.firstIndex(of: flag).map { arguments[$0 + 1] } ?? fallback
        }
        let runs = Int(value("--runs", "200")) ?? 200
        let implementations = [
            Implementation(label: "swiftlet", directory: value("--ours", "."), bridgeType: "swiftlet-bridge",
                           ipamType: "swiftlet-host-local", bridge: "bench-o", subnet: "10.120.0.0/16"),
            Implementation(label: "reference", directory: value("--reference", "/usr/lib/cni"), bridgeType: "bridge",
                           ipamType: "host-local", bridge: "bench-r", subnet: "10.121.0.0/16"),
        ]
        let variants = [
            Variant(label: "bridge+host-local", keys: #""isGateway":true,"hairpinMode":true"#),
            Variant(label: "  + ipMasq", keys: #""isGateway":true,"hairpinMode":true,"ipMasq":true"#),
        ]
        let dataRoot = "/tmp/cni-bench-\(UInt32.random(in: .min ... .max))"
        defer { try? FileManager.default.removeItem(atPath: dataRoot) }
        print("| config | verb | swiftlet median | swiftlet p99 | reference median | reference p99 | median ratio |")
        print("|---|---|---|---|---|---|---|")
        for variant in variants {
            var samples: [String: [Duration]] = [:]
            for run in 0..<runs {
                // Interleaved, so load from other work on the machine hits both alike.
                for implementation in implementations {
                    let (add, delete) = try await cycle(implementation, variant, run: run, dataRoot: dataRoot)
                    samples["\(implementation.label) ADD", default: []].append(add)
                    samples["\(implementation.label) DEL", default: []].append(delete)
                }
            }
            for verb in ["ADD", "DEL"] {
                let ours = Stats(samples["swiftlet \(verb)"]!), theirs = Stats(samples["reference \(verb)"]!)
                print("| \(variant.label) | \(verb) | \(ours.median) | \(ours.p99) | \(theirs.median) | \(theirs.p99) | "
                      + "\(Stats.format(ours.medianSeconds / theirs.medianSeconds, digits: 2))× |")
            }
        }
        print("\(runs) ADD and \(runs) DEL per implementation and config; each in a fresh pod namespace.")
    }

    /// One ADD and one DEL of a fresh pod namespace; returns their wall-clock times.
    static func cycle(_ implementation: Implementation, _ variant: Variant, run: Int, dataRoot: String) async throws -> (Duration, Duration) {
        let pod = try NetworkNamespace.create(named: "cnibench-\(implementation.label)-\(run)-\(UInt16.random(in: .min ... .max))")
        defer { try? NetworkNamespace.delete(path: pod.path) }
        let config = Data("""
            {"cniVersion":"1.0.0","name":"bench","type":"\(implementation.bridgeType)","bridge":"\(implementation.bridge)",\(variant.keys),
             "ipam":{"type":"\(implementation.ipamType)","dataDir":"\(dataRoot)/\(implementation.label)","ranges":[[{"subnet":"\(implementation.subnet)"}]]}}
            """.utf8)
        var environment = [
            "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "bench\(run)", "CNI_NETNS": pod.path, "CNI_IFNAME": "eth0",
            "CNI_PATH": implementation.directory, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let plugin = implementation.directory + "/" + implementation.bridgeType
        let exec = ProcessExec()
        let clock = ContinuousClock()
        var start = clock.now
        _ = try await exec.execute(plugin, stdin: config, environment: environment)
        let add = clock.now - start
        environment["CNI_COMMAND"] = "DEL"
        start = clock.now
        _ = try await exec.execute(plugin, stdin: config, environment: environment)
        return (add, clock.now - start)
    }
}

/// Median and 99th percentile of a sample, printed in milliseconds.
struct Stats {
    let sorted: [Duration]

    init(_ samples: [Duration]) { sorted = samples.sorted() }

    var medianSeconds: Double { Self.seconds(sorted[sorted.count / 2]) }
    var median: String { Self.milliseconds(sorted[sorted.count / 2]) }
    var p99: String { Self.milliseconds(sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> String { format(seconds(duration) * 1000, digits: 1) + " ms" }

    static func format(_ value: Double, digits: Int) -> String {
        let scale = (0..<digits).reduce(1.0) { value, _ in value * 10 }
        let scaled = Int((value * scale).rounded())
        let fraction = String(scaled % Int(scale))
        return "\(scaled / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }
}
