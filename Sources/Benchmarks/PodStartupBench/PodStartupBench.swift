// pod-startup-bench: how fast one node starts pods that are created at once (image already present), from the
// create request to the phase Running seen by a watch, and how much memory the agent (kubelet + nftables
// proxy) uses with 10 and 30 pods; the agent against `swiftlet runtime` and against containerd, each with the
// same images and CNI network (TestSupport's CRIHarness). The API server, the runtime and the agent all run in
// the harness's throwaway network namespace, so the proxy programs nftables there and nothing of the host's is
// touched; the watch and the creates reach the server through a loopback forwarder. hack/bench/pod-startup
// builds the release binaries and runs it.
import Foundation
import KubeAPI
import KubeClient
import Logging
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@main
struct PodStartupBench {
    static func main() async {
        let arguments = CommandLine.arguments
        func value(_ flag: String, _ fallback: String) -> String {
            arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? fallback
        }
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: pod-startup-bench [--pods 30] [--small 10] [--rounds 2] [--runtimes swiftlet,containerd]")
            return
        }
        let pods = max(1, Int(value("--pods", "30")) ?? 30)
        let small = max(1, Int(value("--small", "10")) ?? 10)
        let rounds = max(1, Int(value("--rounds", "2")) ?? 2)
        let kinds = value("--runtimes", "swiftlet,containerd").split(separator: ",").compactMap { CRIHarness.Kind(rawValue: String($0)) }
        progress("pod-startup-bench: \(pods) pods at once (\(rounds) rounds), RSS at \(small) and \(pods) pods; runtimes "
                 + "\(kinds.map(\.rawValue).joined(separator: ", ")); binaries from \(BuiltProducts.directory)")
        var results: [NodeMeasurement] = []
        var failed = false
        for kind in kinds {
            do {
                results.append(try await NodeMeasurement.run(kind, pods: pods, small: small, rounds: rounds))
            } catch {
                failed = true
                progress("\(kind): no figures (\(error))")
            }
        }
        if !results.isEmpty { NodeMeasurement.report(results, pods: pods, small: small) }
        if failed { exit(1) }
    }
}

/// Progress lines go to stderr, so stdout is only the table.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
