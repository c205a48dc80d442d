import Foundation
import KubeAPI
import KubeClient
import Logging

/// Runs Jobs' pods to completion (upstream's `job-controller`, NonIndexed and Indexed completion modes).
///
/// A sync keeps `min(parallelism, completions − succeeded)` pods active, creating them with the template's labels
/// (the API server adds `batch.kubernetes.io/job-name`, `batch.kubernetes.io/controller-uid` and their legacy
/// forms) and the `batch.kubernetes.io/job-tracking` finalizer. Finished pods are counted in
/// `status.uncountedTerminatedPods` first, then their finalizer is removed, then they move to `succeeded` or
/// `failed`, so no pod is counted twice or lost to deletion. Failures beyond `backoffLimit`, a FailJob rule of the
/// pod failure policy or `activeDeadlineSeconds` end the Job: `FailureTarget` first, `Failed` once no pod is left
/// running; success sets `SuccessCriteriaMet` and then `Complete` with `completionTime`, as 1.32 does. Pods are
/// recreated after failures with upstream's backoff (10 s doubling to 10 min). `suspend` deletes active pods.
///
/// Indexed Jobs run each index of `0..<completions` in its own pod (see `JobController+Indexed.swift`), with
/// `backoffLimitPerIndex`/`maxFailedIndexes` (`FailedIndexes`, `MaxFailedIndexesExceeded`); a FailIndex rule of the
/// pod failure policy fails the pod's index at once.
public struct JobController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "job-controller"
    /// The most pods one sync creates or deletes (upstream's `MaxPodCreateDeletePerSync`).
    static let maxPodCreateDeletePerSync = 500
    /// The most pod UIDs kept in `status.uncountedTerminatedPods` (upstream's `MaxUncountedPods`).
    static let maxUncountedPods = 500
    /// Pod events are batched: a Job syncs at most once per this period for them (upstream's
    /// `syncJobBatchPeriod`).
    static let syncBatchPeriod: Duration = .seconds(1)

    public var name: String { Self.controllerName }
    let client: KubeClient
    let jobs: Informer<Job>
    let pods: Informer<Pod>
    let queue: WorkQueue
    /// Pods whose tracking finalizer must go because their Job is gone or finished.
    let orphanQueue: WorkQueue
    let expectations = Expectations()
    let finalizerExpectations = FinalizerExpectations()
    let backoffs = JobBackoffStore()
    let logger: Logger
    let events: EventRecorder
    let metrics: ControllerMetrics
    let jobMetrics = JobMetrics()

    /// Registers the Job and Pod handlers on the shared informers.
    public init(context: ControllerContext) {
        client = context.client
        jobs = context.informers.informer(Job.self)
        pods = context.informers.informer(Pod.self)
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: Self.controllerName, logger: logger)
        queue = WorkQueue(name: "job", logger: logger)
        orphanQueue = WorkQueue(name: "job_orphan_pod", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let handler = self
        jobs.addHandler(InformerHandler(
            onAdd: { await handler.queue.add(Informer.key(for: $0)) },
            onUpdate: { await handler.jobUpdated(old: $0, new: $1) },
            onDelete: { job in
                await handler.queue.add(Informer.key(for: job))
                await handler.cleanupPodFinalizers(job)
            }))
        pods.addHandler(InformerHandler(
            onAdd: { await handler.podAdded($0) },
            onUpdate: { await handler.podUpdated(old: $0, new: $1) },
            onDelete: { await handler.podDeleted($0, final: true) }))
    }

    public func run(workers: Int) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncJob(key) } }
            group.addTask { await orphanQueue.processSyncs(workers: 1, metrics: metrics, logger: logger) { key in try await syncOrphanPod(key) } }
        }
    }

    // MARK: Events

    /// A spec change syncs at once, a status change batched; a finished Job's leftover finalizers are cleaned, and
    /// a new or changed `activeDeadlineSeconds` schedules a sync at the deadline.
    func jobUpdated(old: Job, new: Job) async {
        let key = Informer.key(for: new)
        if new.metadata.generation == old.metadata.generation {
            await queue.addAfter(key, delay: Self.syncBatchPeriod)
        } else {
            await queue.add(key)
        }
        if new.isFinished { await cleanupPodFinalizers(new) }
        if let start = new.status?.startTime, let deadline = new.spec?.activeDeadlineSeconds,
           old.spec?.activeDeadlineSeconds != deadline {
            let remaining = start.date.addingTimeInterval(TimeInterval(deadline)).timeIntervalSinceNow
            await queue.addAfter(key, delay: .milliseconds(Int(max(0, remaining) * 1000)))
        }
    }

    /// The Job a controllerRef points at, if it is in the cache with that uid.
    func owner(of ref: OwnerReference?, namespace: String?) -> Job? {
        guard let ref, ref.kind == Job.resource.kind,
              let job = jobs.get(name: ref.name, namespace: namespace), job.metadata.uid == ref.uid else { return nil }
        return job
    }

    /// Jobs whose selector matches an orphan pod.
    func selectingJobs(_ pod: Pod) -> [Job] {
        jobs.list(namespace: pod.metadata.namespace).filter { job in
            guard let selector = try? LabelSelectorExpression(job.spec?.selector), !selector.isEmpty else { return false }
            return selector.matches(pod)
        }
    }

    func podAdded(_ pod: Pod) async {
        if pod.metadata.deletionTimestamp != nil { return await podDeleted(pod, final: false) }
        if let ref = pod.controllerRef {
            guard let job = owner(of: ref, namespace: pod.metadata.namespace) else { return }
            let key = Informer.key(for: job)
            expectations.creationObserved(key)
            await queue.addAfter(key, delay: Self.syncBatchPeriod)
            return
        }
        if pod.hasJobTrackingFinalizer { await orphanQueue.add(pod.key) }
        for job in selectingJobs(pod) { await queue.addAfter(Informer.key(for: job), delay: Self.syncBatchPeriod) }
    }

    func podUpdated(old: Pod, new: Pod) async {
        guard old.metadata.resourceVersion != new.metadata.resourceVersion else { return }
        if new.metadata.deletionTimestamp != nil { return await podDeleted(new, final: false) }
        let finalizerRemoved = !new.hasJobTrackingFinalizer
        let refChanged = old.controllerRef != new.controllerRef
        if refChanged, let job = owner(of: old.controllerRef, namespace: old.metadata.namespace) {
            let key = Informer.key(for: job)
            if finalizerRemoved { finalizerExpectations.removalObserved(key, uid: new.metadata.uid ?? "") }
            await queue.addAfter(key, delay: Self.syncBatchPeriod)
        }
        if let ref = new.controllerRef {
            guard let job = owner(of: ref, namespace: new.metadata.namespace) else { return }
            let key = Informer.key(for: job)
            if finalizerRemoved { finalizerExpectations.removalObserved(key, uid: new.metadata.uid ?? "") }
            await queue.addAfter(key, delay: Self.syncBatchPeriod)
            return
        }
        if new.hasJobTrackingFinalizer { await orphanQueue.add(new.key) }
        if old.metadata.labels != new.metadata.labels || refChanged {
            for job in selectingJobs(new) { await queue.addAfter(Informer.key(for: job), delay: Self.syncBatchPeriod) }
        }
    }

    /// `final`: the pod is gone from the store, not just marked for deletion.
    func podDeleted(_ pod: Pod, final: Bool) async {
        guard pod.controllerRef != nil else {
            if pod.hasJobTrackingFinalizer { await orphanQueue.add(pod.key) }
            return
        }
        guard let job = owner(of: pod.controllerRef, namespace: pod.metadata.namespace), !job.isFinished else {
            // syncJob will not remove this finalizer.
            if pod.hasJobTrackingFinalizer { await orphanQueue.add(pod.key) }
            return
        }
        let key = Informer.key(for: job)
        expectations.deletionObserved(key, podKey: pod.key)
        if final || !pod.hasJobTrackingFinalizer { finalizerExpectations.removalObserved(key, uid: pod.metadata.uid ?? "") }
        await queue.addAfter(key, delay: Self.syncBatchPeriod)
    }

    /// Queues the Job's pods that still carry the tracking finalizer for cleanup (a deleted or finished Job).
    func cleanupPodFinalizers(_ job: Job) async {
        for pod in pods.list(namespace: job.metadata.namespace)
        where pod.controllerRef?.uid == job.metadata.uid && pod.hasJobTrackingFinalizer {
            await orphanQueue.add(pod.key)
        }
    }

    /// Removes the tracking finalizer from a pod no unfinished Job of this controller owns.
    func syncOrphanPod(_ key: String) async throws {
        guard let pod = pods.get(key), pod.hasJobTrackingFinalizer else { return }
        if let ref = pod.controllerRef {
            // Another kind's pod, or one adopted by a Job that is still running, keeps its finalizer.
            guard ref.kind == Job.resource.kind, ref.apiVersion == Job.resource.groupVersion else { return }
            if let job = owner(of: ref, namespace: pod.metadata.namespace), !job.isFinished { return }
        }
        try await removeTrackingFinalizer(pod)
    }

    /// Deletes the tracking finalizer from the pod's list (a vanished pod is fine).
    func removeTrackingFinalizer(_ pod: Pod) async throws {
        let patch: JSONValue = ["metadata": ["$deleteFromPrimitiveList/finalizers": [.string(Job.trackingFinalizer)]]]
        do {
            _ = try await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                       patchType: .strategicMerge, patch)
        } catch let error where error.isNotFound {
            return
        } catch {
            throw ControllerError.api(error)
        }
    }

    /// The Job's pods, claimed: orphans matching the selector are adopted (and given the tracking finalizer),
    /// pods that no longer match are released.
    func podsForJob(_ job: Job) async throws -> [Pod] {
        let selector: LabelSelectorExpression
        do {
            selector = try LabelSelectorExpression(job.spec?.selector)
        } catch {
            throw ControllerError.invalidObject(key: Informer.key(for: job), reason: "invalid selector: \(error)")
        }
        let candidates = pods.list(namespace: job.metadata.namespace)
        let claimed = try await ControllerRefManager(client: client, owner: job, selector: selector,
                                                     adoptionFinalizer: Job.trackingFinalizer).claim(candidates)
        return claimed
    }
}
