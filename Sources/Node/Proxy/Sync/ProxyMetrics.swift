import Foundation
import Metrics

/// The proxy's metrics under upstream kube-proxy's names (`kubeproxy_` subsystem), through swift-metrics
/// so whichever backend the process bootstrapped (swift-prometheus in `swiftlet`) exports them.
public struct ProxyMetrics: Sendable {
    /// Every sync (full or partial): `kubeproxy_sync_proxy_rules_duration_seconds`.
    public let syncDuration: Metrics.Timer
    /// `kubeproxy_sync_full_proxy_rules_duration_seconds`.
    public let fullSyncDuration: Metrics.Timer
    /// `kubeproxy_sync_partial_proxy_rules_duration_seconds`.
    public let partialSyncDuration: Metrics.Timer
    /// Unix time of the last successful sync: `kubeproxy_sync_proxy_rules_last_timestamp_seconds`.
    public let lastSyncTimestamp: Gauge
    /// Failed nftables transactions: `kubeproxy_sync_proxy_rules_nftables_sync_failures_total`.
    public let syncFailures: Counter
    /// From an endpoint change (its EndpointSlice trigger time) to rules programmed:
    /// `kubeproxy_network_programming_duration_seconds`.
    public let networkProgrammingDuration: Metrics.Timer
    /// Service and endpoint changes seen: `kubeproxy_sync_proxy_rules_service_changes_total`,
    /// `kubeproxy_sync_proxy_rules_endpoint_changes_total`.
    public let serviceChanges: Counter
    public let endpointChanges: Counter
    /// Failed `iptables-restore` runs: `kubeproxy_sync_proxy_rules_iptables_restore_failures_total`, and those
    /// of partial syncs: `kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total`.
    public let iptablesRestoreFailures: Counter
    public let iptablesPartialRestoreFailures: Counter
    /// Conntrack entries deleted after UDP endpoints or services went away, and failed cleanups
    /// (ours: `kubeproxy_conntrack_entries_deleted_total`, `kubeproxy_conntrack_cleanup_failures_total`).
    public let conntrackEntriesDeleted: Counter
    public let conntrackCleanupFailures: Counter
    /// Full resyncs forced by someone else changing the ruleset (generation mismatch):
    /// `kubeproxy_sync_proxy_rules_nftables_generation_mismatch_total` (ours, no upstream equivalent).
    public let generationMismatches: Counter

    public init() {
        syncDuration = Metrics.Timer(label: "kubeproxy_sync_proxy_rules_duration_seconds", preferredDisplayUnit: .seconds)
        fullSyncDuration = Metrics.Timer(label: "kubeproxy_sync_full_proxy_rules_duration_seconds", preferredDisplayUnit: .seconds)
        partialSyncDuration = Metrics.Timer(label: "kubeproxy_sync_partial_proxy_rules_duration_seconds", preferredDisplayUnit: .seconds)
        lastSyncTimestamp = Gauge(label: "kubeproxy_sync_proxy_rules_last_timestamp_seconds")
        syncFailures = Counter(label: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total")
        networkProgrammingDuration = Metrics.Timer(label: "kubeproxy_network_programming_duration_seconds", preferredDisplayUnit: .seconds)
        serviceChanges = Counter(label: "kubeproxy_sync_proxy_rules_service_changes_total")
        endpointChanges = Counter(label: "kubeproxy_sync_proxy_rules_endpoint_changes_total")
        iptablesRestoreFailures = Counter(label: "kubeproxy_sync_proxy_rules_iptables_restore_failures_total")
        iptablesPartialRestoreFailures = Counter(label: "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total")
        conntrackEntriesDeleted = Counter(label: "kubeproxy_conntrack_entries_deleted_total")
        conntrackCleanupFailures = Counter(label: "kubeproxy_conntrack_cleanup_failures_total")
        generationMismatches = Counter(label: "kubeproxy_sync_proxy_rules_nftables_generation_mismatch_total")
    }

    /// Counts a failed transaction.
    func recordFailure() { syncFailures.increment() }
    /// Counts a failed `iptables-restore` (or iptables command) of a full or partial sync.
    func recordRestoreFailure(partial: Bool) {
        iptablesRestoreFailures.increment()
        if partial { iptablesPartialRestoreFailures.increment() }
    }
    /// Counts conntrack entries deleted by a cleanup.
    func recordConntrackDeleted(_ count: Int) { conntrackEntriesDeleted.increment(by: count) }
    /// Counts a failed conntrack cleanup.
    func recordConntrackFailure() { conntrackCleanupFailures.increment() }
    /// Counts a full resync forced by an outside change.
    func recordGenerationMismatch() { generationMismatches.increment() }
    /// Counts a Service change.
    func recordServiceChange() { serviceChanges.increment() }
    /// Counts an EndpointSlice change.
    func recordEndpointChange() { endpointChanges.increment() }

    /// Records the time from an endpoint change (its trigger time) to its rules being programmed.
    public func recordNetworkProgramming(since trigger: Date, now: Date = Date()) {
        let seconds = max(now.timeIntervalSince(trigger), 0)
        networkProgrammingDuration.recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Records one sync's duration.
    func recordSync(full: Bool, duration: Duration) {
        let nanoseconds = Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000)
        syncDuration.recordNanoseconds(nanoseconds)
        (full ? fullSyncDuration : partialSyncDuration).recordNanoseconds(nanoseconds)
        lastSyncTimestamp.record(Date().timeIntervalSince1970)
    }
}
