import Foundation
import KubeAPI
import KubeClient
import Logging

/// Runs one pod of each DaemonSet on every eligible node (upstream's `daemonset-controller`).
///
/// A node is eligible when it matches the template's nodeSelector and required node affinity and its NoSchedule
/// and NoExecute taints are tolerated (daemon pods tolerate not-ready, unreachable, the pressure taints and
/// unschedulable by default). Pods are created pinned to their node with a `matchFields metadata.name` node
/// affinity, so the scheduler binds them; they carry the `controller-revision-hash` and `pod-template-generation`
/// labels by which updates are recognised. `RollingUpdate` replaces old pods within `maxUnavailable` (or starts new
/// ones next to them within `maxSurge`); `OnDelete` replaces a pod only once someone deletes it. Expectations keep a
/// slow watch from causing duplicate pods; `status` counts desired, current, ready, available, updated and
/// misscheduled pods, which `kubectl rollout status daemonset/x` reads. Each template is recorded in a
/// ControllerRevision (pruned to `revisionHistoryLimit`), which `kubectl rollout history` and `rollout undo` use.
public struct DaemonSetController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "daemonset-controller"
    /// The most pods one sync creates or deletes (upstream's `BurstReplicas`).
    static let burstReplicas = 250

    public var name: String { Self.controllerName }
    let client: KubeClient
    let daemonSets: Informer<DaemonSet>
    let pods: Informer<Pod>
    let nodes: Informer<Node>
    let revisions: Informer<ControllerRevision>
    let queue: WorkQueue
    let expectations = Expectations()
    let failedPodsBackoff = FailedPodBackoff()
    let logger: Logger
    let events: EventRecorder
    let metrics: ControllerMetrics

    /// Registers the DaemonSet, Pod and Node handlers on the shared informers.
    public init(context: ControllerContext) {
        client = context.client
        daemonSets = context.informers.informer(DaemonSet.self)
        pods = context.informers.informer(Pod.self)
        nodes = context.informers.informer(Node.self)
        revisions = context.informers.informer(ControllerRevision.self)
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: Self.controllerName, logger: logger)
        queue = WorkQueue(name: "daemonset", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let (queue, expectations) = (queue, expectations)
        daemonSets.addHandler(InformerHandler(
            onAdd: { await queue.add(Informer.key(for: $0)) },
            onUpdate: { _, new in await queue.add(Informer.key(for: new)) },
            onDelete: { ds in
                expectations.remove(Informer.key(for: ds))
                await queue.add(Informer.key(for: ds))
            }))
        let handler = self
        pods.addHandler(InformerHandler(
            onAdd: { await handler.podAdded($0) },
            onUpdate: { await handler.podUpdated(old: $0, new: $1) },
            onDelete: { await handler.podDeleted($0) }))
        nodes.addHandler(InformerHandler(
            onAdd: { await handler.nodeChanged(old: nil, new: $0) },
            onUpdate: { await handler.nodeChanged(old: $0, new: $1) },
            onDelete: { _ in await handler.enqueueAll() }))
        revisions.addHandler(InformerHandler(
            onAdd: { await handler.revisionChanged($0) },
            onUpdate: { await handler.revisionChanged($1) },
            onDelete: { await handler.revisionChanged($0) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncDaemonSet(key) }
    }

    // MARK: Events

    /// The DaemonSet a controllerRef points at, if it is in the cache with that uid.
    func owner(of ref: OwnerReference?, namespace: String?) -> DaemonSet? {
        guard let ref, ref.kind == DaemonSet.resource.kind,
              let ds = daemonSets.get(name: ref.name, namespace: namespace), ds.metadata.uid == ref.uid else { return nil }
        return ds
    }

    /// DaemonSets whose selector matches an orphan pod.
    func selectingDaemonSets(_ pod: Pod) -> [DaemonSet] {
        daemonSets.list(namespace: pod.metadata.namespace).filter { ds in
            guard let selector = try? LabelSelectorExpression(ds.spec?.selector), !selector.isEmpty else { return false }
            return selector.matches(pod)
        }
    }

    func podAdded(_ pod: Pod) async {
        if pod.metadata.deletionTimestamp != nil { return await podDeleted(pod) }
        if let ref = pod.controllerRef {
            guard let ds = owner(of: ref, namespace: pod.metadata.namespace) else { return }
            let key = Informer.key(for: ds)
            expectations.creationObserved(key)
            await queue.add(key)
            return
        }
        for ds in selectingDaemonSets(pod) { await queue.add(Informer.key(for: ds)) }
    }

    func podUpdated(old: Pod, new: Pod) async {
        guard old.metadata.resourceVersion != new.metadata.resourceVersion else { return }
        if new.metadata.deletionTimestamp != nil {
            await podDeleted(new)
            return
        }
        if old.controllerRef != new.controllerRef, let ds = owner(of: old.controllerRef, namespace: old.metadata.namespace) {
            await queue.add(Informer.key(for: ds))
        }
        if let ref = new.controllerRef {
            guard let ds = owner(of: ref, namespace: new.metadata.namespace) else { return }
            let key = Informer.key(for: ds)
            await queue.add(key)
            if let minReady = ds.spec?.minReadySeconds, minReady > 0, !old.isReady, new.isReady {
                await queue.addAfter(key, delay: .seconds(Int(minReady)))
            }
            return
        }
        if old.metadata.labels != new.metadata.labels || old.controllerRef != nil {
            for ds in selectingDaemonSets(new) { await queue.add(Informer.key(for: ds)) }
        }
    }

    func podDeleted(_ pod: Pod) async {
        guard let ds = owner(of: pod.controllerRef, namespace: pod.metadata.namespace) else { return }
        let key = Informer.key(for: ds)
        expectations.deletionObserved(key, podKey: pod.key)
        await queue.add(key)
    }

    /// Queues the DaemonSets for which the change makes the node eligible or ineligible. Heartbeats that change
    /// neither labels nor spec are skipped.
    func nodeChanged(old: Node?, new: Node) async {
        if let old, old.metadata.labels == new.metadata.labels, old.spec == new.spec { return }
        for ds in daemonSets.list() {
            let now = ds.placement(on: new)
            if let old {
                let before = ds.placement(on: old)
                guard before.shouldRun != now.shouldRun || before.shouldContinueRunning != now.shouldContinueRunning else { continue }
            } else if !now.shouldRun {
                continue
            }
            await queue.add(Informer.key(for: ds))
        }
    }

    /// Queues the DaemonSet that owns a changed ControllerRevision, or those whose selector matches an orphan one.
    func revisionChanged(_ revision: ControllerRevision) async {
        if let ref = revision.metadata.controllerRef {
            if let ds = owner(of: ref, namespace: revision.metadata.namespace) { await queue.add(Informer.key(for: ds)) }
            return
        }
        for ds in daemonSets.list(namespace: revision.metadata.namespace) {
            guard let selector = try? LabelSelectorExpression(ds.spec?.selector), !selector.isEmpty,
                  selector.matches(revision.metadata.labels ?? [:]) else { continue }
            await queue.add(Informer.key(for: ds))
        }
    }

    /// Queues every DaemonSet (a node went away; their status changes).
    func enqueueAll() async {
        for ds in daemonSets.list() { await queue.add(Informer.key(for: ds)) }
    }

    // MARK: Reconcile

    /// Brings one DaemonSet's pods and status in line with its spec and the nodes.
    func syncDaemonSet(_ key: String) async throws {
        guard let ds = daemonSets.get(key) else {
            expectations.remove(key)
            return
        }
        guard let selector = try? LabelSelectorExpression(ds.spec?.selector), !selector.isEmpty else {
            throw ControllerError.invalidObject(key: key, reason: "the selector is empty or invalid; it would select every pod")
        }
        guard ds.metadata.deletionTimestamp == nil else { return }
        let nodeList = nodes.list()
        let (current, old) = try await constructHistory(ds, selector: selector)
        let hash = current.metadata.labels?[DaemonSet.revisionHashLabel] ?? ds.revisionHash
        // Until the informer has shown the last sync's writes, only the status is refreshed, and observedGeneration
        // stays, since this generation has not been acted on yet.
        guard expectations.isSatisfied(key) else {
            return try await updateStatus(ds, nodes: nodeList, hash: hash, selector: selector, observeGeneration: false)
        }
        var manageError: (any Error)?
        do {
            try await manage(ds, nodes: nodeList, hash: hash, selector: selector, key: key)
            if expectations.isSatisfied(key), (ds.spec?.updateStrategy?.type ?? "RollingUpdate") == "RollingUpdate" {
                try await rollingUpdate(ds, nodes: nodeList, hash: hash, selector: selector, key: key)
            }
            if expectations.isSatisfied(key) { try await cleanupHistory(ds, old: old, selector: selector) }
        } catch {
            manageError = error
        }
        try await updateStatus(ds, nodes: nodeList, hash: hash, selector: selector, observeGeneration: true)
        if let manageError { throw manageError }
    }

    /// The DaemonSet's pods (claimed: orphans adopted, mismatches released) by the node they run on or are pinned
    /// to. Pods that are both finished and being deleted are left out unless `includeDeletedTerminal`.
    func nodesToDaemonPods(_ ds: DaemonSet, selector: LabelSelectorExpression,
                           includeDeletedTerminal: Bool = false) async throws -> [String: [Pod]] {
        let candidates = pods.list(namespace: ds.metadata.namespace)
        let claimed = try await ControllerRefManager(client: client, owner: ds, selector: selector).claim(candidates)
        var byNode: [String: [Pod]] = [:]
        for pod in claimed {
            let terminal = pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed"
            if !includeDeletedTerminal, terminal, pod.metadata.deletionTimestamp != nil { continue }
            guard let node = pod.daemonTargetNode else {
                logger.warning("daemon pod has no target node", metadata: ["pod": "\(pod.key)"])
                continue
            }
            byNode[node, default: []].append(pod)
        }
        return byNode
    }
}
