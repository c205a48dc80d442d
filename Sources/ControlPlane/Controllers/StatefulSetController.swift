import Foundation
import KubeAPI
import KubeClient
import Logging

/// Runs each StatefulSet's pods with stable identities (upstream's `statefulset-controller`).
///
/// Pod `i` is named `<set>-<i>` (from `spec.ordinals.start`), with hostname `<set>-<i>` and subdomain
/// `spec.serviceName`, the `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index` and
/// `controller-revision-hash` labels, and one PersistentVolumeClaim per `volumeClaimTemplates` entry named
/// `<claim>-<set>-<i>`, created before the pod and kept (by default) when the pod goes.
///
/// With `OrderedReady` pods are created one at a time in ordinal order, each once its predecessors are Running
/// and Ready, and removed from the highest ordinal down; `Parallel` creates and removes them all at once.
/// `RollingUpdate` replaces pods whose revision is not the update revision from the highest ordinal down to
/// `partition`, one at a time, waiting for each replacement to be ready; `OnDelete` replaces a pod only when
/// someone deletes it. Failed pods are deleted and recreated. Templates are recorded as ControllerRevisions (the
/// same `{"spec":{"template":…}}` patch DaemonSets use), which `kubectl rollout history/undo statefulset` read.
///
/// No expectations are needed: pod names are fixed, so a create the cache has not shown yet fails with
/// AlreadyExists instead of making a second pod.
public struct StatefulSetController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "statefulset-controller"
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"
    static let revisionLabel = "controller-revision-hash"
    /// The label on a StatefulSet's ControllerRevisions holding the template hash.
    static let revisionHashLabel = "controller.kubernetes.io/hash"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let statefulSets: Informer<StatefulSet>
    let pods: Informer<Pod>
    let revisions: Informer<ControllerRevision>
    let claims: Informer<PersistentVolumeClaim>
    let queue: WorkQueue
    let logger: Logger
    let events: EventRecorder
    let metrics: ControllerMetrics

    /// Registers the StatefulSet, Pod, ControllerRevision and PersistentVolumeClaim handlers.
    public init(context: ControllerContext) {
        client = context.client
        statefulSets = context.informers.informer(StatefulSet.self)
        pods = context.informers.informer(Pod.self)
        revisions = context.informers.informer(ControllerRevision.self)
        claims = context.informers.informer(PersistentVolumeClaim.self)
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: Self.controllerName, logger: logger)
        queue = WorkQueue(name: "statefulset", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        statefulSets.addHandler(InformerHandler(
            onAdd: { await queue.add(Informer.key(for: $0)) },
            onUpdate: { _, new in await queue.add(Informer.key(for: new)) },
            onDelete: { await queue.add(Informer.key(for: $0)) }))
        let handler = self
        pods.addHandler(InformerHandler(
            onAdd: { await handler.podChanged(old: nil, new: $0) },
            onUpdate: { await handler.podChanged(old: $0, new: $1) },
            onDelete: { await handler.enqueueOwner(of: $0.metadata) }))
        revisions.addHandler(InformerHandler(
            onAdd: { await handler.enqueueOwner(of: $0.metadata) },
            onUpdate: { await handler.enqueueOwner(of: $1.metadata) },
            onDelete: { await handler.enqueueOwner(of: $0.metadata) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await sync(key) }
    }

    // MARK: Events

    /// The StatefulSet a controllerRef points at, if it is in the cache with that uid.
    func owner(of meta: ObjectMeta) -> StatefulSet? {
        guard let ref = meta.controllerRef, ref.kind == StatefulSet.resource.kind,
              let sts = statefulSets.get(name: ref.name, namespace: meta.namespace), sts.metadata.uid == ref.uid else { return nil }
        return sts
    }

    func enqueueOwner(of meta: ObjectMeta) async {
        if let sts = owner(of: meta) { await queue.add(Informer.key(for: sts)) }
    }

    func podChanged(old: Pod?, new: Pod) async {
        if let old, old.metadata.resourceVersion == new.metadata.resourceVersion { return }
        if let old, old.controllerRef != new.controllerRef { await enqueueOwner(of: old.metadata) }
        if let sts = owner(of: new.metadata) {
            let key = Informer.key(for: sts)
            await queue.add(key)
            if let minReady = sts.spec?.minReadySeconds, minReady > 0, old?.isReady != true, new.isReady {
                await queue.addAfter(key, delay: .seconds(Int(minReady)))
            }
            return
        }
        guard new.controllerRef == nil, new.metadata.deletionTimestamp == nil else { return }
        // An orphan: the sets whose selector matches may adopt it.
        for sts in statefulSets.list(namespace: new.metadata.namespace) {
            guard let selector = try? LabelSelectorExpression(sts.spec?.selector), !selector.isEmpty, selector.matches(new) else { continue }
            await queue.add(Informer.key(for: sts))
        }
    }

    // MARK: Reconcile

    /// Brings one StatefulSet's pods, claims, history and status in line with its spec.
    func sync(_ key: String) async throws {
        guard let sts = statefulSets.get(key) else { return }
        guard let selector = try? LabelSelectorExpression(sts.spec?.selector), !selector.isEmpty else {
            throw ControllerError.invalidObject(key: key, reason: "the selector is empty or invalid; it would select every pod")
        }
        guard sts.metadata.deletionTimestamp == nil else { return }
        let members = try await claimPods(sts, selector: selector)
        let history = try await revisionHistory(sts, selector: selector)
        var actionError: (any Error)?
        do {
            try await reconcilePods(sts, pods: members, history: history, key: key)
        } catch {
            actionError = error
        }
        let status = computeStatus(sts, pods: members, history: history)
        try await writeStatus(sts, status)
        try await truncateHistory(sts, history: history, pods: members)
        if let actionError { throw actionError }
    }

    /// The set's pods: owned ones that still match and orphans adopted, restricted to names `<set>-<ordinal>`.
    func claimPods(_ sts: StatefulSet, selector: LabelSelectorExpression) async throws -> [Pod] {
        let setName = sts.metadata.name ?? ""
        let candidates = pods.list(namespace: sts.metadata.namespace).filter { pod in
            pod.metadata.controllerRef?.uid == sts.metadata.uid || Self.parentAndOrdinal(pod.metadata.name ?? "")?.parent == setName
        }
        return try await ControllerRefManager(client: client, owner: sts, selector: selector).claim(candidates)
            .filter { Self.parentAndOrdinal($0.metadata.name ?? "")?.parent == setName }
    }

    /// Upstream's `getParentNameAndOrdinal`: `web-12` is ordinal 12 of `web`.
    static func parentAndOrdinal(_ name: String) -> (parent: String, ordinal: Int)? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let digits = name[name.index(after: dash)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let ordinal = Int(digits) else { return nil }
        return (String(name[..<dash]), ordinal)
    }
}
