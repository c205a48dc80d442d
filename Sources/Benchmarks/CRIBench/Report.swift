import Foundation
import TestSupport

/// The table: swiftlet and containerd side by side with the ratio ours/containerd, then the issue's targets.
struct Report {
    var results: [RuntimeMeasurement]
    var pods: Int
    var parallel: Int
    var podsPerConnection: Int

    private var ours: RuntimeMeasurement? { results.first { $0.kind == .swiftlet } }
    private var theirs: RuntimeMeasurement? { results.first { $0.kind == .containerd } }

    func print() {
        Swift.print("")
        Swift.print("| measure | swiftlet | containerd | ours/containerd |")
        Swift.print("|---|---|---|---|")
        for (index, label) in [(0, "sequential"), (1, "\(parallel) at a time")] {
            latencyRow("start p50, \(label)", index, 0.5, \.starts, \.total)
            latencyRow("start p99, \(label)", index, 0.99, \.starts, \.total)
            latencyRow("stop p50, \(label)", index, 0.5, \.stops, \.total)
            latencyRow("stop p99, \(label)", index, 0.99, \.stops, \.total)
            row("\(pods) pods started / stopped, wall, \(label)",
                { result in result.phases[safe: index].map { "\(format($0.startWall)) / \(format($0.stopWall))" } },
                { result in result.phases[safe: index].map { $0.startWall.seconds } })
        }
        row("start mean, first 10 / last 10 pods, sequential", { trend($0, \.starts) }, { _ in nil })
        row("stop mean, first 10 / last 10 pods, sequential", { trend($0, \.stops) }, { _ in nil })
        latencyRow("  RunPodSandbox p50, sequential", 0, 0.5, \.starts, \.run)
        latencyRow("  CreateContainer p50, sequential", 0, 0.5, \.starts, \.create)
        latencyRow("  StartContainer p50, sequential", 0, 0.5, \.starts, \.start)
        latencyRow("  StopContainer p50, sequential", 0, 0.5, \.stops, \.stopContainer)
        latencyRow("  StopPodSandbox p50, sequential", 0, 0.5, \.stops, \.stopSandbox)
        latencyRow("  RemovePodSandbox p50, sequential", 0, 0.5, \.stops, \.removeSandbox)
        for (index, label) in [(0, "sequential"), (1, "\(parallel) at a time")] {
            row("daemon CPU per pod start / stop, own (\(label))", { result in
                result.phases[safe: index].map { "\(cpuPerPod($0.startCPU.own, $0.starts.count)) / \(cpuPerPod($0.stopCPU.own, $0.stops.count))" }
            }, { result in result.phases[safe: index].map { ($0.startCPU.own + $0.stopCPU.own) / Double(max(1, $0.starts.count)) } })
            row("  + children it reaped (CNI; runc for swiftlet)", { result in
                result.phases[safe: index].map {
                    "\(cpuPerPod($0.startCPU.children, $0.starts.count)) / \(cpuPerPod($0.stopCPU.children, $0.stops.count))"
                }
            }, { _ in nil })
            row("load average after start / stop (\(label))", { result in
                result.phases[safe: index].map { "\($0.startLoad) / \($0.stopLoad)" }
            }, { _ in nil })
        }
        row("daemon RSS idle (serving, no image, no pod)", { mebibytes($0.daemonIdle) }, { Double($0.daemonIdle) })
        row("daemon RSS warm (images pulled, 0 pods)", { mebibytes($0.daemonWarm) }, { Double($0.daemonWarm) })
        for (index, label) in [(0, "sequential"), (1, "\(parallel) at a time")] {
            row("daemon RSS with \(pods) pods (\(label)) / per pod", { result in
                result.phases[safe: index].map { "\(mebibytes($0.daemonWithPods)) / \(perPod(result, $0))" }
            }, { result in result.phases[safe: index].map { Double($0.daemonWithPods) } })
        }
        row("monitor processes with \(pods) pods", { result in result.phases.first.map { "\($0.monitors.processes)" } }, { _ in nil })
        row("monitors RSS sum / PSS sum with \(pods) pods", { result in
            result.phases.first.map { "\(mebibytes($0.monitors.rss)) / \(mebibytes($0.monitors.pss))" }
        }, { result in result.phases.first.map { Double($0.monitors.pss) } })
        row("monitors PSS per pod", { result in
            result.phases.first.map { mebibytes($0.monitors.pss / max(1, $0.starts.count)) }
        }, { result in result.phases.first.map { Double($0.monitors.pss) / Double(max(1, $0.starts.count)) } })
        row("daemon RSS after every pod was removed", { result in result.phases.last.map { mebibytes($0.daemonAfter) } },
            { result in result.phases.last.map { Double($0.daemonAfter) } })
        row("daemon peak RSS (VmHWM)", { mebibytes($0.daemonPeak) }, { Double($0.daemonPeak) })
        row("monitors left after removal", { result in "\(result.phases.map(\.monitorsAfter).reduce(0, +))" }, { _ in nil })
        row("left listed after the run", { $0.leftovers }, { _ in nil })
        row("failed pods (start or stop)", { result in "\(result.phases.map(\.failures.count).reduce(0, +))" }, { _ in nil })
        row("image pulls (pause + shell)", { format($0.pullTime) }, { $0.pullTime.seconds })
        Swift.print("")
        Swift.print("Per pod: RunPodSandbox (CNI ADD) + CreateContainer + StartContainer; stop: StopContainer (timeout 0) + "
                    + "StopPodSandbox (CNI DEL) + RemovePodSandbox. \(parallel) at a time: \(parallel) clients, each pod's latency on its own. "
                    + "RSS is VmRSS; monitors are swiftlet-shim (one per container, pause included) or containerd-shim-runc-v2 "
                    + "(one per pod); PSS shares their common pages fairly. Per-pod daemon increment: (RSS with pods − warm RSS) / pods. "
                    + "Each client opens a new CRI connection every \(podsPerConnection) pods (0: one connection for all).")
        for result in results {
            Swift.print("\(result.kind): \(result.version), pid \(result.daemonPID)" + (result.keptLog.map { ", log kept at \($0)" } ?? ""))
        }
        targets()
    }

    private func targets() {
        guard let ours else { return }
        Swift.print("")
        Swift.print("| target (issue 4) | swiftlet | met |")
        Swift.print("|---|---|---|")
        for (index, label) in [(0, "sequential"), (1, "\(parallel) at a time")] {
            guard let phase = ours.phases[safe: index] else { continue }
            for (verb, samples) in [("start", phase.starts.map(\.total)), ("stop", phase.stops.map(\.total))] where !samples.isEmpty {
                let p50 = percentile(samples, 0.5)
                target("\(verb) p50 ≤ 100 ms per pod, \(label)", format(p50), p50 <= .milliseconds(100))
                if let theirs = theirs?.phases[safe: index] {
                    let other = verb == "start" ? theirs.starts.map(\.total) : theirs.stops.map(\.total)
                    if !other.isEmpty {
                        let ratio = p50.seconds / percentile(other, 0.5).seconds
                        target("\(verb) p50 ratio ≤ 0.7× containerd, \(label)", String(format: "%.2f×", ratio), ratio <= 0.7)
                    }
                }
            }
        }
        target("daemon RSS ≤ 20 MiB idle", mebibytes(ours.daemonIdle), ours.daemonIdle <= 20 * 1024)
        for (index, label) in [(0, "sequential"), (1, "\(parallel) at a time")] {
            guard let phase = ours.phases[safe: index], !phase.starts.isEmpty else { continue }
            let increment = (phase.daemonWithPods - ours.daemonWarm) / phase.starts.count
            target("daemon ≤ 2 MiB more per running pod (\(label))", perPod(ours, phase), increment <= 2 * 1024)
        }
    }

    private func target(_ label: String, _ value: String, _ met: Bool) {
        Swift.print("| \(label) | \(value) | \(met ? "yes" : "**no**") |")
    }

    private func perPod(_ result: RuntimeMeasurement, _ phase: RuntimeMeasurement.Phase) -> String {
        guard !phase.starts.isEmpty else { return "–" }
        let increment = Double(phase.daemonWithPods - result.daemonWarm) / Double(phase.starts.count)
        return String(format: "%+.0f KiB", increment)
    }

    private func cpuPerPod(_ seconds: Double, _ pods: Int) -> String {
        pods == 0 ? "–" : String(format: "%.1f ms", seconds * 1000 / Double(pods))
    }

    /// Mean of the first and the last ten pods of the sequential phase: a cost that grows with the
    /// number of pods (a scan over all sandboxes or mounts) shows as a rising second number.
    private func trend<Sample>(_ result: RuntimeMeasurement, _ samples: KeyPath<RuntimeMeasurement.Phase, [Sample]>) -> String?
    where Sample: PodTiming {
        guard let values = result.phases.first?[keyPath: samples].map(\.total), values.count >= 20 else { return nil }
        func mean(_ slice: ArraySlice<Duration>) -> Duration { slice.reduce(.zero, +) / slice.count }
        return "\(format(mean(values.prefix(10)))) / \(format(mean(values.suffix(10))))"
    }

    private func latencyRow<Sample>(_ label: String, _ index: Int, _ quantile: Double,
                                    _ samples: KeyPath<RuntimeMeasurement.Phase, [Sample]>, _ field: KeyPath<Sample, Duration>) {
        func value(_ result: RuntimeMeasurement) -> Duration? {
            guard let phase = result.phases[safe: index] else { return nil }
            let values = phase[keyPath: samples].map { $0[keyPath: field] }
            return values.isEmpty ? nil : percentile(values, quantile)
        }
        row(label, { value($0).map(format) }, { value($0)?.seconds })
    }

    /// A row: each runtime's text, and the ratio of the two numbers when both have one.
    private func row(_ label: String, _ text: (RuntimeMeasurement) -> String?, _ number: (RuntimeMeasurement) -> Double?) {
        let oursText = ours.flatMap(text) ?? "–", theirsText = theirs.flatMap(text) ?? "–"
        var ratio = ""
        if let a = ours.flatMap(number), let b = theirs.flatMap(number), b > 0 { ratio = String(format: "%.2f×", a / b) }
        Swift.print("| \(label) | \(oursText) | \(theirsText) | \(ratio) |")
    }

    private func format(_ duration: Duration) -> String {
        duration >= .seconds(10) ? String(format: "%.1f s", duration.seconds) : milliseconds(duration)
    }
}

/// A start or stop sample with its total time.
protocol PodTiming { var total: Duration { get } }
extension PodWorkload.Started: PodTiming {}
extension PodWorkload.Stopped: PodTiming {}

/// Nearest-rank percentile.
func percentile(_ values: [Duration], _ quantile: Double) -> Duration {
    let sorted = values.sorted()
    let rank = Int((Double(sorted.count) * quantile).rounded(.up))
    return sorted[min(sorted.count - 1, max(0, rank - 1))]
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
