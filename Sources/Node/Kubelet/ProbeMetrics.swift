import Synchronization

/// The kubelet's `/metrics/probes`: `prober_probe_total{probe_type,result,container,pod,namespace,pod_uid}`, one count per
/// probe run (result `successful` or `failed`), as upstream's prober workers count them; a pod's series go with its
/// probe workers.
final class ProbeMetrics: Sendable {
    struct Key: Hashable, Sendable {
        var probeType: String
        var result: String
        var container: String
        var pod: String
        var namespace: String
        var podUID: String
    }

    private let counts = Mutex<[Key: UInt64]>([:])

    func record(_ key: Key) {
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Drops the series of a pod whose probes stopped.
    func remove(podUID: String) {
        counts.withLock { counts in counts = counts.filter { $0.key.podUID != podUID } }
    }

    /// The Prometheus text of `/metrics/probes`.
    func render() -> String {
        var text = PrometheusText()
        text.family("prober_probe_total", help: "[BETA] Cumulative number of a liveness, readiness or startup probe for a container by result.",
                    type: "counter")
        let snapshot = counts.withLock { $0 }.sorted {
            ($0.key.namespace, $0.key.pod, $0.key.container, $0.key.probeType, $0.key.result)
                < ($1.key.namespace, $1.key.pod, $1.key.container, $1.key.probeType, $1.key.result)
        }
        for (key, count) in snapshot {
            text.add("prober_probe_total", [("container", key.container), ("namespace", key.namespace), ("pod", key.pod),
                                            ("pod_uid", key.podUID), ("probe_type", key.probeType), ("result", key.result)], Double(count))
        }
        return text.text
    }
}
