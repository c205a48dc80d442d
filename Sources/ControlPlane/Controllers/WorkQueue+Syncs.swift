import KubeClient
import Logging

extension WorkQueue {
    /// Runs `workers` workers over the queue until cancelled, counting syncs and failures in `metrics`.
    ///
    /// A write that fails with 409 Conflict or AlreadyExists only means the informer had not caught up with the
    /// object yet, and 404 NotFound that it was deleted meanwhile (its delete event will follow); the key is retried
    /// shortly, without the warning and backoff that real failures get.
    nonisolated func processSyncs(workers: Int, metrics: ControllerMetrics, logger: Logger,
                               _ sync: @escaping @Sendable (String) async throws -> Void) async {
        await process(workers: workers) { key in
            do {
                try await metrics.measure { try await sync(key) }
            } catch let error where error.isConflict || error.isAlreadyExists || error.isNotFound {
                logger.debug("stale cache, retrying", metadata: ["key": "\(key)", "error": "\(error)"])
                await self.addAfter(key, delay: error.isNotFound ? .seconds(1) : .milliseconds(50))
            }
        }
    }
}
