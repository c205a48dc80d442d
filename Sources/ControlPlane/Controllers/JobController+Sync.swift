import Foundation
import KubeAPI
import Logging
import KubeClient

/// What one sync of a Job works with and decides (upstream's `syncJobCtx`).
struct JobSyncContext {
    var job: Job
    let pods: [Pod]
    let activePods: [Pod]
    var ready: Int32
    var terminating: Int32
    let uncountedSucceeded: Set<String>
    let uncountedFailed: Set<String>
    /// Pods whose finalizer removal this controller awaits; already counted.
    let expectedRemovedFinalizers: Set<String>
    var succeeded: Int32 = 0
    /// An Indexed Job's completed indexes (recorded and newly succeeded).
    var completedIndexes: Set<Int> = []
    /// An Indexed Job's indexes that failed beyond `backoffLimitPerIndex` (recorded and newly failed).
    var failedIndexes: Set<Int> = []
    var failed: Int32 = 0
    /// The condition the Job finishes with (interim `FailureTarget` / `SuccessCriteriaMet` first).
    var finishedCondition: JobCondition?
    var backoff: JobBackoffRecord
}

extension JobController {
    /// Brings one Job's pods and status in line with its spec (upstream's `syncJob`).
    func syncJob(_ key: String) async throws {
        guard var job = jobs.get(key) else {
            expectations.remove(key)
            finalizerExpectations.remove(key)
            backoffs.remove(key)
            return
        }
        if job.isFinished {
            backoffs.remove(key)
            return
        }
        var status = job.status ?? JobStatus()
        if status.uncountedTerminatedPods == nil { status.uncountedTerminatedPods = UncountedTerminatedPods() }
        job.status = status
        // Expectations are checked before the pods are listed, so a pod arriving in between defers the sync
        // instead of being missed.
        let satisfied = expectations.isSatisfied(key)
        let pods = try await podsForJob(job)
        let active = pods.filter(\.isActive)
        let uncounted = status.uncountedTerminatedPods ?? UncountedTerminatedPods()
        var ctx = JobSyncContext(job: job, pods: pods, activePods: active, ready: Int32(active.count(where: \.isReady)),
                                 terminating: Int32(pods.count(where: \.isTerminating)),
                                 uncountedSucceeded: Set(uncounted.succeeded ?? []), uncountedFailed: Set(uncounted.failed ?? []),
                                 expectedRemovedFinalizers: finalizerExpectations.expected(key), backoff: backoffs.record(key))
        var activeCount = Int32(active.count)
        let (newSucceeded, newFailed) = newlyFinishedPods(ctx)
        let policy = job.spec?.podFailurePolicy
        let countedFailures = newFailed.count { policy?.verdict(for: $0).countsFailure ?? true }
        ctx.succeeded = (status.succeeded ?? 0) + Int32(newSucceeded.count) + Int32(ctx.uncountedSucceeded.count)
        ctx.failed = (status.failed ?? 0) + Int32(countedFailures) + Int32(ctx.uncountedFailed.count)
        if ctx.job.status?.startTime == nil, !job.isSuspended { ctx.job.status?.startTime = Time.now() }
        ctx.backoff = ctx.backoff.adding(succeeded: newSucceeded, failed: newFailed)
        if job.isIndexed {
            ctx.completedIndexes = Self.completedIndexes(job, pods: pods)
            ctx.job.status?.completedIndexes = CompletionIndexes.format(ctx.completedIndexes)
            if let limit = job.spec?.backoffLimitPerIndex {
                ctx.failedIndexes = Self.failedIndexes(job, pods: pods, limit: limit).subtracting(ctx.completedIndexes)
                ctx.job.status?.failedIndexes = CompletionIndexes.format(ctx.failedIndexes) ?? ""
            }
        }

        ctx.finishedCondition = ctx.job.condition("SuccessCriteriaMet").flatMap { $0.status == "True" ? $0 : nil }
        if ctx.finishedCondition == nil {
            if let target = ctx.job.condition("FailureTarget"), target.status == "True" {
                ctx.finishedCondition = .make("Failed", reason: target.reason ?? "", message: target.message ?? "")
            } else if let policy, let message = pods.lazy.filter({ job.isFailed($0) }).compactMap({ policy.verdict(for: $0).failJobMessage }).first {
                ctx.finishedCondition = .make("FailureTarget", reason: "PodFailurePolicy", message: message)
            }
        }
        if ctx.finishedCondition == nil, let maxFailed = job.spec?.maxFailedIndexes, ctx.failedIndexes.count > Int(maxFailed) {
            ctx.finishedCondition = .make("FailureTarget", reason: "MaxFailedIndexesExceeded", message: "Job has exceeded the specified maximal number of failed indexes")
        }
        if ctx.finishedCondition == nil {
            if ctx.failed > (job.spec?.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods: pods) {
                ctx.finishedCondition = .make("FailureTarget", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit")
            } else if let remaining = activeDeadlineRemaining(ctx.job) {
                if remaining <= 0 {
                    ctx.finishedCondition = .make("FailureTarget", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline")
                } else {
                    await queue.addAfter(key, delay: .milliseconds(Int(remaining * 1000)))
                }
            }
        }

        var manageError: (any Error)?
        var suspendChanged = false
        if ctx.finishedCondition != nil {
            // Remove the active pods of a failing Job; it is declared finished once none is left.
            let (deletedReady, deleted, error) = await deleteActivePods(ctx.activePods)
            if deleted != activeCount || !satisfied { ctx.finishedCondition = nil }
            activeCount -= deleted
            ctx.terminating += deleted
            ctx.ready -= deletedReady
            manageError = error
        } else {
            var manageCalled = false
            if satisfied, job.metadata.deletionTimestamp == nil {
                (activeCount, manageError) = await manageJob(&ctx, key: key)
                manageCalled = true
            }
            let complete: Bool
            if let completions = job.spec?.completions, job.isIndexed {
                complete = ctx.completedIndexes.count >= completions && activeCount == 0
            } else if let completions = job.spec?.completions {
                complete = ctx.succeeded >= completions && activeCount == 0
            } else {
                // Without completions the first success decides, once the other pods have finished.
                complete = ctx.succeeded > 0 && activeCount == 0
            }
            let indexesFailed = job.isIndexed && !ctx.failedIndexes.isEmpty && activeCount == 0
                && ctx.completedIndexes.count + ctx.failedIndexes.count >= Int(job.spec?.completions ?? 0)
            if indexesFailed {
                // Every index has finished, some of them beyond their backoff limit.
                ctx.finishedCondition = .make("FailureTarget", reason: "FailedIndexes", message: "Job has failed indexes")
            } else if complete {
                ctx.finishedCondition = .make("SuccessCriteriaMet", reason: "CompletionsReached", message: "Reached expected number of succeeded pods")
            } else if manageCalled {
                var conditions = ctx.job.status?.conditions ?? []
                if job.isSuspended {
                    suspendChanged = conditions.ensure("Suspended", status: "True", reason: "JobSuspended", message: "Job suspended")
                } else {
                    suspendChanged = conditions.ensure("Suspended", status: "False", reason: "JobResumed", message: "Job resumed")
                    // A resumed Job's deadline counts from now.
                    if suspendChanged { ctx.job.status?.startTime = Time.now() }
                }
                ctx.job.status?.conditions = conditions.isEmpty ? nil : conditions
            }
        }
        let oldStatus = job.status ?? JobStatus()
        let needsUpdate = suspendChanged || activeCount != (oldStatus.active ?? 0) || ctx.ready != oldStatus.ready
            || ctx.terminating != oldStatus.terminating || ctx.job.status?.startTime != oldStatus.startTime
            || ctx.job.status?.completedIndexes != oldStatus.completedIndexes || ctx.job.status?.failedIndexes != oldStatus.failedIndexes
        ctx.job.status?.active = activeCount == 0 ? nil : activeCount
        ctx.job.status?.ready = ctx.ready
        ctx.job.status?.terminating = ctx.terminating
        try await trackStatusAndRemoveFinalizers(&ctx, key: key, needsFlush: needsUpdate)
        if let manageError { throw manageError }
    }

    /// Finished pods not yet counted: those still carrying the finalizer, not already listed as uncounted and
    /// not awaiting their finalizer's removal (upstream's `getNewFinishedPods`).
    func newlyFinishedPods(_ ctx: JobSyncContext) -> (succeeded: [Pod], failed: [Pod]) {
        let fresh = ctx.pods.filter { pod in
            let uid = pod.metadata.uid ?? ""
            return pod.hasJobTrackingFinalizer && !ctx.expectedRemovedFinalizers.contains(uid)
                && !ctx.uncountedSucceeded.contains(uid) && !ctx.uncountedFailed.contains(uid)
        }
        return (fresh.filter { $0.status?.phase == "Succeeded" }, fresh.filter { ctx.job.isFailed($0) })
    }

    /// For `restartPolicy: OnFailure`, whether the restarts of running and pending pods reach `backoffLimit`
    /// (upstream's `pastBackoffLimitOnFailure`).
    func pastBackoffLimitOnFailure(_ job: Job, pods: [Pod]) -> Bool {
        guard job.spec?.template.spec?.restartPolicy == "OnFailure" else { return false }
        let restarts = pods.filter { $0.status?.phase == "Running" || $0.status?.phase == "Pending" }.reduce(Int32(0)) { sum, pod in
            sum + ((pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? [])).reduce(0) { $0 + $1.restartCount }
        }
        let limit = job.spec?.backoffLimit ?? 6
        return limit == 0 ? restarts > 0 : restarts >= limit
    }

    /// Seconds until `activeDeadlineSeconds` passes (negative once past); `nil` without a deadline, before the
    /// start, or while suspended.
    func activeDeadlineRemaining(_ job: Job) -> TimeInterval? {
        guard let deadline = job.spec?.activeDeadlineSeconds, let start = job.status?.startTime, !job.isSuspended else { return nil }
        return start.date.addingTimeInterval(TimeInterval(deadline)).timeIntervalSinceNow
    }
}
