import Metrics

/// The Job controller's own metrics, under upstream's names (`job_controller_*`).
struct JobMetrics: Sendable {
    /// A Job finished: `result` succeeded or failed, `reason` the failure's (empty for success).
    func jobFinished(result: String, reason: String) {
        Counter(label: "job_controller_jobs_finished_total",
                dimensions: [("completion_mode", "NonIndexed"), ("result", result), ("reason", reason)]).increment()
    }

    /// Pods newly counted as succeeded or failed.
    func podsFinished(succeeded: Int, failed: Int) {
        if succeeded > 0 {
            Counter(label: "job_controller_pods_finished_total", dimensions: [("completion_mode", "NonIndexed"), ("result", "succeeded")])
                .increment(by: succeeded)
        }
        if failed > 0 {
            Counter(label: "job_controller_pods_finished_total", dimensions: [("completion_mode", "NonIndexed"), ("result", "failed")])
                .increment(by: failed)
        }
    }

    /// Pod creations attempted by a sync.
    func podCreated(succeeded: Int, failed: Int) {
        if succeeded > 0 {
            Counter(label: "job_controller_job_pods_creation_total", dimensions: [("status", "succeeded")]).increment(by: succeeded)
        }
        if failed > 0 {
            Counter(label: "job_controller_job_pods_creation_total", dimensions: [("status", "failed")]).increment(by: failed)
        }
    }
}
