// cri-bench: pod start/stop latency and memory of `swiftlet runtime` against containerd 1.6 on the same
// machine, with the same images (pause + the shell image running `sleep 3600`) and the same CNI network
// (swiftlet's bridge + host-local + portmap), each in a throwaway network namespace (TestSupport's
// CRIHarness). hack/bench/cri builds the release binaries and runs it.
import Dispatch
import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@main
struct CRIBench {
    static func main() async {
        let arguments = CommandLine.arguments
        func value(_ flag: String, _ fallback: String) -> String {
            arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? fallback
        }
        if arguments.contains("--help") || arguments.contains("-h") {
            print("usage: cri-bench [--pods 100] [--parallel 10] [--warmup 3] [--runtimes swiftlet,containerd] [--pods-per-connection 25]")
            return
        }
        let pods = max(1, Int(value("--pods", "100")) ?? 100)
        let parallel = max(2, Int(value("--parallel", "10")) ?? 10)
        let warmup = max(0, Int(value("--warmup", "3")) ?? 3)
        let podsPerConnection = max(0, Int(value("--pods-per-connection", "25")) ?? 25)
        let kinds = value("--runtimes", "swiftlet,containerd").split(separator: ",").compactMap { CRIHarness.Kind(rawValue: String($0)) }
        let signalSources = Interrupt.install()
        defer { signalSources.forEach { $0.cancel() } }
        progress("cri-bench: \(pods) pods sequential and \(parallel) at a time, runtimes \(kinds.map(\.rawValue).joined(separator: ", ")); "
                 + "binaries from \(BuiltProducts.directory)")

        var results: [RuntimeMeasurement] = []
        var failed = false
        for kind in kinds {
            if Interrupt.isSet { break }
            do {
                results.append(try await RuntimeMeasurement.run(kind, pods: pods, concurrency: [1, parallel], warmup: warmup,
                                                              podsPerConnection: podsPerConnection))
            } catch {
                failed = true
                progress("\(kind): no figures (\(error))")
            }
        }
        if !results.isEmpty { Report(results: results, pods: pods, parallel: parallel, podsPerConnection: podsPerConnection).print() }
        if failed || Interrupt.isSet || results.contains(where: { $0.phases.contains { !$0.failures.isEmpty } }) { exit(1) }
    }
}

/// SIGINT/SIGTERM: the running phase stops between pods and the harness cleans up (namespace, mounts,
/// daemons) instead of leaving them behind.
enum Interrupt {
    private static let flag = Mutex(false)

    /// Returns the signal sources; keep them alive for as long as the handling should last.
    static func install() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                progress("interrupted: stopping after the pods in flight, then cleaning up")
                flag.withLock { $0 = true }
            }
            source.resume()
            return source
        }
    }

    static var isSet: Bool { flag.withLock { $0 } }

    static func check() throws {
        if isSet { throw CancellationError() }
    }
}

/// Progress lines go to stderr, so stdout is only the table.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func milliseconds(_ duration: Duration) -> String { String(format: "%.1f ms", duration.seconds * 1000) }

func mebibytes(_ kibibytes: Int) -> String { String(format: "%.1f MiB", Double(kibibytes) / 1024) }
