import Metrics

/// The swift-metrics counters of one controller: reconciles and failed reconciles, labelled by controller name.
struct ControllerMetrics: Sendable {
    let syncs: Counter
    let errors: Counter

    init(controller: String) {
        syncs = Counter(label: "swiftlet_controller_syncs_total", dimensions: [("controller", controller)])
        errors = Counter(label: "swiftlet_controller_sync_errors_total", dimensions: [("controller", controller)])
    }

    /// Runs one reconcile, counting it and, if it throws, the failure.
    func measure(_ body: () async throws -> Void) async throws {
        syncs.increment()
        do {
            try await body()
        } catch {
            errors.increment()
            throw error
        }
    }
}
