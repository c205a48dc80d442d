import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics

/// Deletes finished Jobs once `ttlSecondsAfterFinished` has passed since their `Complete` or `Failed` condition
/// (upstream's `ttl-after-finished-controller`), in the foreground so their pods go first.
///
/// Before deleting, the Job is read afresh from the API server and its TTL checked again, so a TTL raised in the
/// meantime is honoured; the delete carries the Job's uid as a precondition.
public struct TTLAfterFinishedController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "ttl-after-finished-controller"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let jobs: Informer<Job>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics
    /// How late deletions are, from expiry (upstream's `job_deletion_duration_seconds`).
    let deletionDelay = Metrics.Timer(label: "ttl_after_finished_controller_job_deletion_duration_seconds", preferredDisplayUnit: .seconds)

    /// Registers the Job handlers on the shared informer.
    public init(context: ControllerContext) {
        client = context.client
        jobs = context.informers.informer(Job.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "ttl_jobs_to_delete", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        let enqueue: @Sendable (Job) async -> Void = { job in
            if Self.needsCleanup(job) { await queue.add(Informer.key(for: job)) }
        }
        jobs.addHandler(InformerHandler(onAdd: enqueue, onUpdate: { _, new in await enqueue(new) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await processJob(key) }
    }

    /// A finished Job with a TTL that is not already being deleted.
    static func needsCleanup(_ job: Job) -> Bool {
        job.spec?.ttlSecondsAfterFinished != nil && job.isFinished && job.metadata.deletionTimestamp == nil
    }

    /// When the Job's TTL runs out: its finish time plus the TTL; `nil` if it has none or has not finished.
    static func expiry(of job: Job) -> Date? {
        guard needsCleanup(job), let ttl = job.spec?.ttlSecondsAfterFinished,
              let finished = job.finishedCondition?.lastTransitionTime else { return nil }
        return finished.date.addingTimeInterval(TimeInterval(ttl))
    }

    /// Deletes the Job if its TTL has run out, else looks again when it will have.
    func processJob(_ key: String) async throws {
        guard let cached = jobs.get(key), let expiry = Self.expiry(of: cached) else { return }
        let remaining = expiry.timeIntervalSinceNow
        if remaining > 0 {
            await queue.addAfter(key, delay: .milliseconds(Int(remaining * 1000) + 1))
            return
        }
        // The cache may be stale: the TTL may have been raised since.
        let fresh: Job
        do {
            fresh = try await client.get(Job.self, name: cached.metadata.name ?? "", namespace: cached.metadata.namespace)
        } catch let error where error.isNotFound {
            return
        } catch {
            throw ControllerError.api(error)
        }
        guard let freshExpiry = Self.expiry(of: fresh) else { return }
        if freshExpiry.timeIntervalSinceNow > 0 {
            await queue.addAfter(key, delay: .milliseconds(Int(freshExpiry.timeIntervalSinceNow * 1000) + 1))
            return
        }
        logger.info("deleting finished job whose TTL expired", metadata: ["job": "\(key)"])
        do {
            try await client.delete(Job.self, name: fresh.metadata.name ?? "", namespace: fresh.metadata.namespace,
                                    options: DeleteOptions(propagationPolicy: .foreground, preconditions: .init(uid: fresh.metadata.uid)))
        } catch let error where error.isNotFound {
            return
        } catch {
            throw ControllerError.api(error)
        }
        deletionDelay.recordSeconds(-freshExpiry.timeIntervalSinceNow)
    }
}
