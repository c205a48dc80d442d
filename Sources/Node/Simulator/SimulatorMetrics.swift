import Metrics

/// The simulator's metrics: lease renewals (count, errors, latency), node status writes, and the pods it runs,
/// started, completed and finally deleted.
struct SimulatorMetrics: Sendable {
    let leaseRenewals = Counter(label: "swiftlet_sim_lease_renewals_total")
    let leaseRenewalErrors = Counter(label: "swiftlet_sim_lease_renewal_errors_total")
    let leaseRenewalDuration = Metrics.Timer(label: "swiftlet_sim_lease_renewal_duration_seconds", preferredDisplayUnit: .seconds)
    let nodeStatusUpdates = Counter(label: "swiftlet_sim_node_status_updates_total")
    let podStarts = Counter(label: "swiftlet_sim_pod_starts_total")
    let podCompletions = Counter(label: "swiftlet_sim_pod_completions_total")
    let podDeletions = Counter(label: "swiftlet_sim_pod_deletions_total")
    private let pods = Gauge(label: "swiftlet_sim_pods")
    private let nodes = Gauge(label: "swiftlet_sim_nodes")

    func podsRunning(_ count: Int) { pods.record(count) }
    func nodesRegistered(_ count: Int) { nodes.record(count) }
}
