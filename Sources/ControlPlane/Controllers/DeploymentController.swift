import Foundation
import KubeAPI
import KubeClient
import Logging

/// Rolls Deployments out through ReplicaSets (upstream's `deployment-controller`).
///
/// A sync claims the ReplicaSets the selector matches, finds the one whose template equals the Deployment's (the
/// new one, created on demand as `<name>-<pod-template-hash>`), and moves replicas from the old ones to it as the
/// strategy allows: `RollingUpdate` within `maxSurge`/`maxUnavailable`, `Recreate` by scaling everything old to
/// zero first. Scaling a paused or mid-rollout Deployment resizes the ReplicaSets proportionally. The
/// `deployment.kubernetes.io/revision` annotations number the templates; `kubectl rollout undo` (which copies an
/// old ReplicaSet's template back) makes that ReplicaSet new again with the next revision.
public struct DeploymentController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "deployment-controller"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let deployments: Informer<Deployment>
    let replicaSets: Informer<ReplicaSet>
    let pods: Informer<Pod>
    let queue: WorkQueue
    let events: EventRecorder
    let logger: Logger
    let metrics: ControllerMetrics

    /// Registers the Deployment, ReplicaSet and Pod handlers on the shared informers.
    public init(context: ControllerContext) {
        client = context.client
        deployments = context.informers.informer(Deployment.self)
        replicaSets = context.informers.informer(ReplicaSet.self)
        pods = context.informers.informer(Pod.self)
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: Self.controllerName, logger: logger)
        queue = WorkQueue(name: "deployment", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        deployments.addHandler(.enqueueing(into: queue))
        let handler = self
        replicaSets.addHandler(InformerHandler(
            onAdd: { await handler.replicaSetChanged(old: nil, new: $0) },
            onUpdate: { await handler.replicaSetChanged(old: $0, new: $1) },
            onDelete: { await handler.replicaSetChanged(old: nil, new: $0) }))
        pods.addHandler(InformerHandler(onDelete: { await handler.podDeleted($0) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncDeployment(key) }
    }

    // MARK: Events

    /// The Deployment a controllerRef points at, if cached with that uid.
    func owner(of ref: OwnerReference?, namespace: String?) -> Deployment? {
        guard let ref, ref.kind == Deployment.resource.kind,
              let d = deployments.get(name: ref.name, namespace: namespace), d.metadata.uid == ref.uid else { return nil }
        return d
    }

    /// Queues the owners, old and new, of a changed ReplicaSet; an orphan queues every Deployment selecting it.
    func replicaSetChanged(old: ReplicaSet?, new: ReplicaSet) async {
        if let old, old.metadata.controllerRef != new.metadata.controllerRef,
           let d = owner(of: old.metadata.controllerRef, namespace: old.metadata.namespace) {
            await queue.add(Informer.key(for: d))
        }
        if let ref = new.metadata.controllerRef {
            if let d = owner(of: ref, namespace: new.metadata.namespace) { await queue.add(Informer.key(for: d)) }
            return
        }
        for d in deployments.list(namespace: new.metadata.namespace) {
            guard let selector = try? LabelSelectorExpression(d.spec?.selector), !selector.isEmpty, selector.matches(new) else { continue }
            await queue.add(Informer.key(for: d))
        }
    }

    /// A Recreate rollout waits for the old pods to be gone, so their deletion wakes the Deployment.
    func podDeleted(_ pod: Pod) async {
        guard let ref = pod.controllerRef, ref.kind == ReplicaSet.resource.kind,
              let rs = replicaSets.get(name: ref.name, namespace: pod.metadata.namespace), rs.metadata.uid == ref.uid,
              let d = owner(of: rs.metadata.controllerRef, namespace: rs.metadata.namespace),
              d.spec?.strategy?.type == "Recreate" else { return }
        await queue.add(Informer.key(for: d))
    }

    // MARK: Reconcile

    /// Brings one Deployment's ReplicaSets and status in line with its spec.
    func syncDeployment(_ key: String) async throws {
        guard var d = deployments.get(key) else { return }
        guard let selector = try? LabelSelectorExpression(d.spec?.selector), !selector.isEmpty else {
            throw ControllerError.invalidObject(key: key, reason: "the selector is empty or invalid; it would select every pod")
        }
        let owned = replicaSets.list(namespace: d.metadata.namespace)
        let rsList = try await ControllerRefManager(client: client, owner: d, selector: selector).claim(owned)
        if d.metadata.deletionTimestamp != nil {
            return try await syncStatusOnly(&d, rsList)
        }
        try await checkPausedConditions(&d)
        if d.spec?.paused == true {
            return try await syncScale(&d, rsList)
        }
        if isScalingEvent(d, rsList) {
            return try await syncScale(&d, rsList)
        }
        if d.spec?.strategy?.type == "Recreate" {
            try await rolloutRecreate(&d, rsList)
        } else {
            try await rolloutRolling(&d, rsList)
        }
    }

    /// Writes an updated ReplicaSet, mapping errors.
    func update(_ rs: ReplicaSet) async throws -> ReplicaSet {
        do {
            return try await client.update(rs)
        } catch {
            throw ControllerError.api(error)
        }
    }
}
