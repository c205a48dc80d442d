import Foundation
import KubeAPI
import Logging
import KubeClient

extension JobController {
    /// Counts finished pods without ever counting one twice (upstream's `trackJobStatusAndRemoveFinalizers`):
    /// 1. finished pods still carrying the tracking finalizer are added to `status.uncountedTerminatedPods`;
    /// 2. their finalizers are removed;
    /// 3. pods whose finalizer is gone move from the uncounted lists to `succeeded` / `failed`;
    /// 4. once nothing is uncounted and no pod is terminating, the Job gets its `Complete` or `Failed` condition.
    /// The interim `FailureTarget` / `SuccessCriteriaMet` condition is written with step 1.
    func trackStatusAndRemoveFinalizers(_ ctx: inout JobSyncContext, key: String, needsFlush initialFlush: Bool) async throws {
        var needsFlush = initialFlush
        var withFinalizer = Set(ctx.pods.compactMap { pod -> String? in
            guard pod.hasJobTrackingFinalizer, let uid = pod.metadata.uid, !ctx.expectedRemovedFinalizers.contains(uid) else { return nil }
            return uid
        })
        let before = ctx.job.status ?? JobStatus()
        var status = before
        if Self.countUncountedWithoutFinalizers(&status, withFinalizer: withFinalizer) { needsFlush = true }
        var uncounted = status.uncountedTerminatedPods ?? UncountedTerminatedPods()
        var toRemoveFinalizer: [Pod] = []
        var reachedMaxUncounted = false
        let policy = ctx.job.spec?.podFailurePolicy
        for pod in ctx.pods {
            guard let uid = pod.metadata.uid, pod.hasJobTrackingFinalizer, !ctx.expectedRemovedFinalizers.contains(uid) else { continue }
            let failed = ctx.job.isFailed(pod)
            guard canRemoveFinalizer(ctx, pod: pod, consideredFailed: failed) else { continue }
            toRemoveFinalizer.append(pod)
            if pod.status?.phase == "Succeeded", !ctx.uncountedFailed.contains(uid) {
                if !ctx.uncountedSucceeded.contains(uid) {
                    uncounted.succeeded = (uncounted.succeeded ?? []) + [uid]
                    needsFlush = true
                }
            } else if failed || (ctx.finishedCondition.map { $0.type != "SuccessCriteriaMet" } ?? false) {
                // Once the Job is failing, every pod that did not succeed counts as failed.
                if !ctx.uncountedFailed.contains(uid), policy?.verdict(for: pod).countsFailure ?? true {
                    uncounted.failed = (uncounted.failed ?? []) + [uid]
                    needsFlush = true
                }
            }
            if (uncounted.succeeded?.count ?? 0) + (uncounted.failed?.count ?? 0) >= Self.maxUncountedPods {
                // The UID lists stay small; the status and pod updates bring the Job back for the rest.
                reachedMaxUncounted = true
                break
            }
        }
        status.uncountedTerminatedPods = uncounted
        if let condition = ctx.finishedCondition, condition.type == "FailureTarget" {
            status.conditions = (status.conditions ?? []) + [condition]
            needsFlush = true
            ctx.finishedCondition = .make("Failed", reason: condition.reason ?? "", message: condition.message ?? "")
        }
        if let condition = ctx.finishedCondition, condition.type == "SuccessCriteriaMet" {
            if ctx.job.condition("SuccessCriteriaMet") == nil {
                status.conditions = (status.conditions ?? []) + [condition]
                needsFlush = true
            }
            ctx.finishedCondition = .make("Complete", reason: condition.reason ?? "", message: condition.message ?? "")
        }
        ctx.job.status = status
        needsFlush = try await flushUncountedAndRemoveFinalizers(&ctx, key: key, removing: toRemoveFinalizer,
                                                                 withFinalizer: &withFinalizer, needsFlush: needsFlush)
        let finished = !reachedMaxUncounted && enactJobFinished(&ctx)
        guard needsFlush || finished else { return }
        let flushed = ctx.job.status ?? JobStatus()
        ctx.job = try await writeStatus(ctx.job)
        jobMetrics.podsFinished(succeeded: Int((flushed.succeeded ?? 0) - (before.succeeded ?? 0)),
                                failed: Int((flushed.failed ?? 0) - (before.failed ?? 0)))
        if finished, let condition = ctx.finishedCondition {
            let succeeded = condition.type == "Complete"
            logger.info("job finished", metadata: ["job": "\(key)", "condition": "\(condition.type)", "reason": "\(condition.reason ?? "")"])
            jobMetrics.jobFinished(result: succeeded ? "succeeded" : "failed", reason: succeeded ? "" : condition.reason ?? "")
            // Upstream's recordJobFinished: "Completed" for success, the failure's reason and message otherwise.
            if succeeded {
                events.record(ctx.job, reason: "Completed", message: "Job completed")
            } else {
                events.record(ctx.job, "Warning", reason: condition.reason ?? "Failed", message: condition.message ?? "")
            }
        }
    }

    /// Whether a pod's finalizer may go now: the Job is being deleted or finishing, or the pod has finished
    /// (upstream's `canRemoveFinalizer` without per-index backoff).
    func canRemoveFinalizer(_ ctx: JobSyncContext, pod: Pod, consideredFailed: Bool) -> Bool {
        ctx.job.metadata.deletionTimestamp != nil || ctx.finishedCondition != nil || pod.status?.phase == "Succeeded" || consideredFailed
    }

    /// Writes the status with the new uncounted pods (so they are recorded before their finalizers go), removes
    /// the finalizers, then moves the pods whose finalizer is gone into the counters; if some removals failed,
    /// that partial progress is written before the error is returned. Returns whether the status still has
    /// unwritten changes (upstream's `flushUncountedAndRemoveFinalizers`).
    func flushUncountedAndRemoveFinalizers(_ ctx: inout JobSyncContext, key: String, removing pods: [Pod],
                                           withFinalizer: inout Set<String>, needsFlush: Bool) async throws -> Bool {
        var needsFlush = needsFlush
        if needsFlush {
            ctx.job = try await writeStatus(ctx.job)
            backoffs.update(key, ctx.backoff)
            needsFlush = false
        }
        var removalError: (any Error)?
        if !pods.isEmpty {
            let (removed, error) = await removeTrackingFinalizers(pods, key: key)
            withFinalizer.subtract(removed)
            removalError = error
        }
        var status = ctx.job.status ?? JobStatus()
        if Self.countUncountedWithoutFinalizers(&status, withFinalizer: withFinalizer) { needsFlush = true }
        ctx.job.status = status
        if let removalError {
            if needsFlush { ctx.job = try await writeStatus(ctx.job) }
            throw removalError
        }
        return needsFlush
    }

    /// Removes the tracking finalizer from `pods`, expecting each removal first. Returns the UIDs whose finalizer
    /// is gone (a vanished pod counts) and the first error.
    func removeTrackingFinalizers(_ pods: [Pod], key: String) async -> (removed: Set<String>, error: (any Error)?) {
        finalizerExpectations.expectRemovals(key, uids: pods.compactMap(\.metadata.uid))
        let results = await withTaskGroup(of: (uid: String, error: (any Error)?).self) { group in
            for pod in pods {
                group.addTask {
                    let uid = pod.metadata.uid ?? ""
                    do {
                        try await removeTrackingFinalizer(pod)
                        return (uid, nil)
                    } catch {
                        // No update will show this removal.
                        finalizerExpectations.removalObserved(key, uid: uid)
                        return (uid, error)
                    }
                }
            }
            return await group.reduce(into: [(uid: String, error: (any Error)?)]()) { $0.append($1) }
        }
        return (Set(results.filter { $0.error == nil }.map(\.uid)), results.compactMap(\.error).first)
    }

    /// Moves UIDs whose pods no longer carry the finalizer from the uncounted lists into `succeeded` / `failed`
    /// (upstream's `cleanUncountedPodsWithoutFinalizers`). Returns whether the status changed.
    static func countUncountedWithoutFinalizers(_ status: inout JobStatus, withFinalizer: Set<String>) -> Bool {
        var uncounted = status.uncountedTerminatedPods ?? UncountedTerminatedPods()
        var changed = false
        let succeeded = uncounted.succeeded ?? []
        let stillSucceeded = succeeded.filter(withFinalizer.contains)
        if stillSucceeded.count != succeeded.count {
            status.succeeded = (status.succeeded ?? 0) + Int32(succeeded.count - stillSucceeded.count)
            uncounted.succeeded = stillSucceeded.isEmpty ? nil : stillSucceeded
            changed = true
        }
        let failed = uncounted.failed ?? []
        let stillFailed = failed.filter(withFinalizer.contains)
        if stillFailed.count != failed.count {
            status.failed = (status.failed ?? 0) + Int32(failed.count - stillFailed.count)
            uncounted.failed = stillFailed.isEmpty ? nil : stillFailed
            changed = true
        }
        status.uncountedTerminatedPods = uncounted
        return changed
    }

    /// Sets the final `Complete` (with `completionTime`) or `Failed` condition once every finished pod is
    /// counted and none is still terminating (upstream's `enactJobFinished`). Returns whether it did.
    func enactJobFinished(_ ctx: inout JobSyncContext) -> Bool {
        guard let condition = ctx.finishedCondition, var status = ctx.job.status else { return false }
        let uncounted = status.uncountedTerminatedPods
        if !(uncounted?.succeeded ?? []).isEmpty || !(uncounted?.failed ?? []).isEmpty { return false }
        if ctx.terminating > 0 { return false }
        var conditions = status.conditions ?? []
        conditions.ensure(condition.type, status: condition.status, reason: condition.reason ?? "", message: condition.message ?? "")
        status.conditions = conditions
        if condition.type == "Complete" { status.completionTime = condition.lastTransitionTime }
        ctx.job.status = status
        return true
    }

    /// Writes the Job's status through the status subresource (a conflict retries the whole sync).
    func writeStatus(_ job: Job) async throws -> Job {
        do {
            return try await client.updateStatus(job)
        } catch {
            throw ControllerError.api(error)
        }
    }
}
