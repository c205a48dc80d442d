import Synchronization

/// The kubelet's `/metrics/probes`, as upstream's prober workers record them:
/// `prober_probe_total{probe_type,result,container,pod,namespace,pod_uid}`, one count per probe run (result
/// `successful` or `failed`), and the histogram `prober_probe_duration_seconds{probe_type,container,pod,namespace}`
/// of how long a probe took to answer (client_golang's default buckets; upstream observes successful probes and
/// those with an unknown result, not failed ones). A pod's series go with its probe workers.
final class ProbeMetrics: Sendable {
    struct Key: Hashable, Sendable {
        var probeType: String
        var result: String
        var container: String
        var pod: String
        var namespace: String
        var podUID: String
    }

    /// A series of the duration histogram: upstream's labels (no result, no pod UID) and the pod UID it goes with.
    private struct DurationKey: Hashable {
        var probeType: String
        var container: String
        var pod: String
        var namespace: String
        var podUID: String
    }

    private struct Observations {
        var buckets = [UInt64](repeating: 0, count: ProbeMetrics.durationBuckets.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    /// client_golang's `DefBuckets`, which `prober_probe_duration_seconds` uses (it names none of its own).
    static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let state = Mutex<(counts: [Key: UInt64], durations: [DurationKey: Observations])>(([:], [:]))

    /// Counts one probe run and, for a successful one, observes how long it took.
    func record(_ key: Key, duration: Duration? = nil) {
        let seconds = duration.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        state.withLock { state in
            state.counts[key, default: 0] += 1
            guard key.result == "successful", let seconds else { return }
            let durationKey = DurationKey(probeType: key.probeType, container: key.container, pod: key.pod, namespace: key.namespace,
                                          podUID: key.podUID)
            var observations = state.durations[durationKey] ?? Observations()
            for (index, bound) in Self.durationBuckets.enumerated() where seconds <= bound { observations.buckets[index] += 1 }
            observations.sum += seconds
            observations.count += 1
            state.durations[durationKey] = observations
        }
    }

    /// Drops the series of a pod whose probes stopped.
    func remove(podUID: String) {
        state.withLock { state in
            state.counts = state.counts.filter { $0.key.podUID != podUID }
            state.durations = state.durations.filter { $0.key.podUID != podUID }
        }
    }

    /// The Prometheus text of `/metrics/probes`.
    func render() -> String {
        var text = PrometheusText()
        text.family("prober_probe_duration_seconds", help: "[ALPHA] Duration in seconds for a probe response.", type: "histogram")
        text.family("prober_probe_total", help: "[BETA] Cumulative number of a liveness, readiness or startup probe for a container by result.",
                    type: "counter")
        let (counts, durations) = state.withLock { ($0.counts, $0.durations) }
        for (key, observations) in durations.sorted(by: {
            ($0.key.namespace, $0.key.pod, $0.key.container, $0.key.probeType) < ($1.key.namespace, $1.key.pod, $1.key.container, $1.key.probeType)
        }) {
            text.histogram("prober_probe_duration_seconds",
                           [("container", key.container), ("namespace", key.namespace), ("pod", key.pod), ("probe_type", key.probeType)],
                           buckets: Self.durationBuckets, cumulativeCounts: observations.buckets, sum: observations.sum, count: observations.count)
        }
        for (key, count) in counts.sorted(by: {
            ($0.key.namespace, $0.key.pod, $0.key.container, $0.key.probeType, $0.key.result)
                < ($1.key.namespace, $1.key.pod, $1.key.container, $1.key.probeType, $1.key.result)
        }) {
            text.add("prober_probe_total", [("container", key.container), ("namespace", key.namespace), ("pod", key.pod),
                                            ("pod_uid", key.podUID), ("probe_type", key.probeType), ("result", key.result)], Double(count))
        }
        return text.text
    }
}
