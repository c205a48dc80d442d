import Metrics

/// The scheduler's metrics under kube-scheduler's names: `scheduler_schedule_attempts_total` and
/// `scheduler_scheduling_attempt_duration_seconds` by result (scheduled, unschedulable, error),
/// `scheduler_pending_pods` by queue (active, backoff, unschedulable, gated),
/// `scheduler_pod_scheduling_sli_duration_seconds` (first seen until bound), the node count it sees, and
/// `scheduler_preemption_attempts_total` / `scheduler_preemption_victims`.
struct SchedulerMetrics: Sendable {
    private static let profile = ("profile", "default-scheduler")
    private let attempts: [String: Counter]
    private let durations: [String: Metrics.Timer]
    private let pending: [String: Gauge]
    private let sli = Metrics.Timer(label: "scheduler_pod_scheduling_sli_duration_seconds", dimensions: [profile], preferredDisplayUnit: .seconds)
    private let nodeGauge = Gauge(label: "scheduler_cache_size", dimensions: [("type", "nodes")])
    private let preemptionAttempts = Counter(label: "scheduler_preemption_attempts_total")
    private let preemptionVictims = Recorder(label: "scheduler_preemption_victims")

    init() {
        var attempts: [String: Counter] = [:], durations: [String: Metrics.Timer] = [:], pending: [String: Gauge] = [:]
        for result in ["scheduled", "unschedulable", "error"] {
            attempts[result] = Counter(label: "scheduler_schedule_attempts_total", dimensions: [Self.profile, ("result", result)])
            durations[result] = Metrics.Timer(label: "scheduler_scheduling_attempt_duration_seconds",
                                              dimensions: [Self.profile, ("result", result)], preferredDisplayUnit: .seconds)
        }
        for queue in ["active", "backoff", "unschedulable", "gated"] {
            pending[queue] = Gauge(label: "scheduler_pending_pods", dimensions: [("queue", queue)])
        }
        self.attempts = attempts
        self.durations = durations
        self.pending = pending
    }

    func attempt(_ result: String, since start: ContinuousClock.Instant) {
        attempts[result]?.increment()
        durations[result]?.recordNanoseconds(Self.nanoseconds(ContinuousClock.now - start))
    }

    func scheduled(since firstSeen: ContinuousClock.Instant, attempts: Int) {
        sli.recordNanoseconds(Self.nanoseconds(ContinuousClock.now - firstSeen))
    }

    func queue(_ counts: (active: Int, backoff: Int, unschedulable: Int), gated: Int) {
        pending["active"]?.record(counts.active)
        pending["backoff"]?.record(counts.backoff)
        pending["unschedulable"]?.record(counts.unschedulable)
        pending["gated"]?.record(gated)
    }

    func nodes(_ count: Int) { nodeGauge.record(count) }

    func preemption(victims: Int) {
        preemptionAttempts.increment()
        preemptionVictims.record(victims)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
