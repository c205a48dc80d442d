import Foundation
import KubeAPI
import Logging
import KubeClient

extension JobController {
    /// Creates or deletes pods so that `min(parallelism, completions − succeeded)` are active, respecting the
    /// failure backoff; a suspended Job has none (upstream's `manageJob`). Returns the active count after the
    /// writes and the first error.
    func manageJob(_ ctx: inout JobSyncContext, key: String) async -> (active: Int32, error: (any Error)?) {
        var active = Int32(ctx.activePods.count)
        let job = ctx.job
        let parallelism = job.spec?.parallelism ?? 1
        if job.isSuspended {
            let victims = Self.activePodsForRemoval(ctx.activePods, count: ctx.activePods.count)
            let (removedReady, removed, error) = await deleteJobPods(victims, key: key)
            ctx.terminating += removed
            ctx.ready -= removedReady
            return (active - removed, error)
        }
        let wantActive: Int32
        if let completions = job.spec?.completions {
            wantActive = max(0, min(completions - ctx.succeeded, parallelism))
        } else {
            // Without completions: parallelism pods until one succeeds, then let the rest finish.
            wantActive = ctx.succeeded > 0 ? active : parallelism
        }
        let excess = Int(max(0, active - wantActive))
        if excess > 0 {
            let victims = Array(Self.activePodsForRemoval(ctx.activePods, count: excess).prefix(Self.maxPodCreateDeletePerSync))
            logger.debug("too many pods running for job", metadata: ["job": "\(key)", "deleting": "\(victims.count)"])
            let (removedReady, removed, error) = await deleteJobPods(victims, key: key)
            ctx.terminating += removed
            ctx.ready -= removedReady
            return (active - removed, error)
        }
        // With podReplacementPolicy Failed, pods still terminating hold their place until they have failed.
        let terminating = job.onlyReplacesFailedPods ? ctx.terminating : 0
        var diff = Int(wantActive - terminating - active)
        guard diff > 0 else { return (active, nil) }
        let remaining = ctx.backoff.remaining()
        if remaining > 0 {
            await queue.addAfter(key, delay: max(Self.syncBatchPeriod, .milliseconds(Int(remaining * 1000))))
            return (active, nil)
        }
        diff = min(diff, Self.maxPodCreateDeletePerSync)
        let indexes = job.isIndexed ? Self.missingIndexes(job, completed: ctx.completedIndexes.union(ctx.failedIndexes), active: ctx.activePods, count: diff) : []
        let failureCounts = job.spec?.backoffLimitPerIndex != nil ? Self.indexFailureCounts(job, pods: ctx.pods) : nil
        if job.isIndexed { diff = indexes.count }
        guard diff > 0 else { return (active, nil) }
        expectations.expectCreations(key, count: diff)
        logger.debug("too few pods running for job", metadata: ["job": "\(key)", "need": "\(wantActive)", "creating": "\(diff)"])
        let (created, firstError) = await slowStartBatch(diff) { i in
            try await createPod(for: job, index: job.isIndexed ? indexes[i] : nil, failureCount: failureCounts.map { $0[indexes[i]] ?? 0 })
        }
        // Creations that failed or were never attempted will not show up in the informer.
        for _ in created..<diff { expectations.creationObserved(key) }
        active += Int32(created)
        if let firstError, !firstError.isNamespaceTerminating {
            jobMetrics.podCreated(succeeded: created, failed: diff - created)
            return (active, ControllerError.partialFailure(key: key, failed: diff - created, first: firstError))
        }
        jobMetrics.podCreated(succeeded: created, failed: 0)
        return (active, nil)
    }

    /// A pod of the Job's template with the tracking finalizer, named `<job>-<5 random chars>` by the server
    /// (`<job>-<index>-<5 random chars>` for an Indexed Job's `index`, annotated with the index's `failureCount` when
    /// `backoffLimitPerIndex` is set).
    func createPod(for job: Job, index: Int? = nil, failureCount: Int? = nil) async throws {
        var template = job.spec?.template ?? PodTemplateSpec()
        if let index { template = Self.indexedTemplate(template, job: job, index: index) }
        if let failureCount {
            var meta = template.metadata ?? ObjectMeta()
            meta.annotations = (meta.annotations ?? [:]).merging([Job.indexFailureCountKey: String(failureCount)]) { _, new in new }
            template.metadata = meta
        }
        var meta = ObjectMeta(generateName: "\(job.metadata.name ?? "")-\(index.map { "\($0)-" } ?? "")", namespace: job.metadata.namespace,
                              labels: template.metadata?.labels, annotations: template.metadata?.annotations,
                              ownerReferences: [job.controllerReference])
        var finalizers = template.metadata?.finalizers ?? []
        if !finalizers.contains(Job.trackingFinalizer) { finalizers.append(Job.trackingFinalizer) }
        meta.finalizers = finalizers
        do {
            let created = try await client.create(Pod(metadata: meta, spec: template.spec))
            events.podCreated(by: job, pod: created, error: nil)
        } catch {
            events.podCreated(by: job, pod: nil, error: error)
            throw ControllerError.api(error)
        }
    }

    /// The `count` active pods to remove first: unscheduled, pending, not ready, restarted, newer ones first
    /// (upstream's `ActivePods` order).
    static func activePodsForRemoval(_ pods: [Pod], count: Int) -> [Pod] {
        Array(pods.sorted { ReplicaSetController.deleteFirst($0, rank: 0, than: $1, rank: 0) }.prefix(count))
    }

    /// Removes surplus pods of a running Job: their finalizer first (they are not counted as failures), then the
    /// pods, with deletion expectations (upstream's `deleteJobPods`). Returns how many ready and how many pods in
    /// all were deleted, and the first error.
    func deleteJobPods(_ victims: [Pod], key: String) async -> (ready: Int32, deleted: Int32, error: (any Error)?) {
        guard !victims.isEmpty else { return (0, 0, nil) }
        expectations.expectDeletions(key, podKeys: victims.map(\.key))
        let results = await withTaskGroup(of: (ready: Bool, error: (any Error)?).self) { group in
            for pod in victims {
                group.addTask {
                    do {
                        if pod.hasJobTrackingFinalizer { try await removeTrackingFinalizer(pod) }
                        try await client.delete(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace)
                        if let job = owner(of: pod.controllerRef, namespace: pod.metadata.namespace) { events.podDeleted(by: job, pod: pod, error: nil) }
                        return (pod.isReady, nil)
                    } catch {
                        expectations.deletionObserved(key, podKey: pod.key)
                        return (pod.isReady && error.isNotFound, error.isNotFound ? nil : error)
                    }
                }
            }
            return await group.reduce(into: [(ready: Bool, error: (any Error)?)]()) { $0.append($1) }
        }
        let failures = results.compactMap(\.error)
        return (Int32(results.count(where: \.ready)), Int32(results.count - failures.count), failures.first)
    }

    /// Deletes the active pods of a finishing Job, keeping their finalizers so they are counted as failed
    /// (upstream's `deleteActivePods`).
    func deleteActivePods(_ pods: [Pod]) async -> (ready: Int32, deleted: Int32, error: (any Error)?) {
        let results = await withTaskGroup(of: (ready: Bool, error: (any Error)?).self) { group in
            for pod in pods {
                group.addTask {
                    do {
                        try await client.delete(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace)
                        if let job = owner(of: pod.controllerRef, namespace: pod.metadata.namespace) { events.podDeleted(by: job, pod: pod, error: nil) }
                        return (pod.isReady, nil)
                    } catch {
                        return (pod.isReady, error.isNotFound ? nil : error)
                    }
                }
            }
            return await group.reduce(into: [(ready: Bool, error: (any Error)?)]()) { $0.append($1) }
        }
        let failures = results.compactMap(\.error)
        return (Int32(results.count(where: \.ready)), Int32(results.count - failures.count), failures.first)
    }
}
