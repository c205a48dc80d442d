import Foundation
import KubeAPI
import KubeClient
import Logging

/// upstream's `replicaset-controller`: keeps `spec.replicas` pods of each ReplicaSet's template running.
public typealias ReplicaSetController = PodReplicaController<ReplicaSet>
/// upstream's `replicationcontroller-controller` (its ReplicationManager, which is the ReplicaSet controller run
/// over ReplicationControllers): the same for each ReplicationController.
public typealias ReplicationManager = PodReplicaController<ReplicationController>

/// Keeps `spec.replicas` pods of each owner's template running: the ReplicaSet controller, over ReplicaSets or
/// ReplicationControllers (`ReplicatedPodOwner`).
///
/// Each sync claims the active pods the selector matches (adopting orphans, releasing pods whose labels no longer
/// match), creates or deletes pods to reach `spec.replicas` — but only once the informer has shown the results
/// of its previous writes (`Expectations`) — and writes `status` through the status subresource.
public struct PodReplicaController<Owner: ReplicatedPodOwner>: Controller {
    /// Upstream's name, for `--controllers`.
    public static var controllerName: String { Owner.controllerName }
    /// The most pods one sync creates or deletes (upstream's `BurstReplicas`).
    static var burstReplicas: Int { 500 }

    public var name: String { Self.controllerName }
    let client: KubeClient
    let replicaSets: Informer<Owner>
    let pods: Informer<Pod>
    let queue: WorkQueue
    let expectations = Expectations()
    let events: EventRecorder
    let logger: Logger
    let metrics: ControllerMetrics

    /// Registers the owner and Pod handlers on the shared informers.
    public init(context: ControllerContext) {
        client = context.client
        replicaSets = context.informers.informer(Owner.self)
        pods = context.informers.informer(Pod.self)
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: Owner.eventComponent, logger: logger)
        queue = WorkQueue(name: Owner.queueName, logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let (queue, expectations) = (queue, expectations)
        replicaSets.addHandler(InformerHandler(
            onAdd: { await queue.add(Informer.key(for: $0)) },
            onUpdate: { _, new in await queue.add(Informer.key(for: new)) },
            onDelete: { rs in
                expectations.remove(Informer.key(for: rs))
                await queue.add(Informer.key(for: rs))
            }))
        let handler = self
        pods.addHandler(InformerHandler(
            onAdd: { await handler.podAdded($0) },
            onUpdate: { await handler.podUpdated(old: $0, new: $1) },
            onDelete: { await handler.podDeleted($0) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncReplicaSet(key) }
    }

    // MARK: Pod events

    /// The owner a controllerRef points at, if it is in the cache with that uid.
    func owner(of ref: OwnerReference?, namespace: String?) -> Owner? {
        guard let ref, ref.kind == Owner.resource.kind,
              let rs = replicaSets.get(name: ref.name, namespace: namespace), rs.metadata.uid == ref.uid else { return nil }
        return rs
    }

    /// Owners whose selector matches an orphan pod.
    func selectingReplicaSets(_ pod: Pod) -> [Owner] {
        replicaSets.list(namespace: pod.metadata.namespace).filter { rs in
            guard let selector = try? rs.replicaSelector(), !selector.isEmpty else { return false }
            return selector.matches(pod)
        }
    }

    func podAdded(_ pod: Pod) async {
        if pod.metadata.deletionTimestamp != nil { return await podDeleted(pod) }
        if let ref = pod.controllerRef {
            guard let rs = owner(of: ref, namespace: pod.metadata.namespace) else { return }
            let key = Informer.key(for: rs)
            expectations.creationObserved(key)
            await queue.add(key)
            return
        }
        for rs in selectingReplicaSets(pod) { await queue.add(Informer.key(for: rs)) }
    }

    func podUpdated(old: Pod, new: Pod) async {
        guard old.metadata.resourceVersion != new.metadata.resourceVersion else { return }
        if new.metadata.deletionTimestamp != nil {
            // Going away: count it as deleted now, as upstream does, so a replacement starts at once.
            await podDeleted(new)
            if old.metadata.labels != new.metadata.labels { await podDeleted(old) }
            return
        }
        let labelsChanged = old.metadata.labels != new.metadata.labels
        if old.controllerRef != new.controllerRef, let rs = owner(of: old.controllerRef, namespace: old.metadata.namespace) {
            await queue.add(Informer.key(for: rs))
        }
        if let ref = new.controllerRef {
            guard let rs = owner(of: ref, namespace: new.metadata.namespace) else { return }
            let key = Informer.key(for: rs)
            await queue.add(key)
            if rs.minReadySeconds > 0, !old.isReady, new.isReady {
                await queue.addAfter(key, delay: .seconds(Int(rs.minReadySeconds) + 1))
            }
            return
        }
        if labelsChanged || old.controllerRef != nil {
            for rs in selectingReplicaSets(new) { await queue.add(Informer.key(for: rs)) }
        }
    }

    func podDeleted(_ pod: Pod) async {
        guard let rs = owner(of: pod.controllerRef, namespace: pod.metadata.namespace) else { return }
        let key = Informer.key(for: rs)
        expectations.deletionObserved(key, podKey: pod.key)
        await queue.add(key)
    }

    // MARK: Reconcile

    /// Brings one owner's pods and status in line with its spec.
    func syncReplicaSet(_ key: String) async throws {
        guard let rs = replicaSets.get(key) else {
            expectations.remove(key)
            return
        }
        let selector: LabelSelectorExpression
        do {
            selector = try rs.replicaSelector()
        } catch {
            throw ControllerError.invalidObject(key: key, reason: "invalid selector: \(error)")
        }
        let needsSync = expectations.isSatisfied(key)
        let active = pods.list(namespace: rs.metadata.namespace).filter(\.isActive)
        let owned = try await ControllerRefManager(client: client, owner: rs, selector: selector).claim(active)
        var manageError: (any Error)?
        if needsSync, rs.metadata.deletionTimestamp == nil {
            do { try await manageReplicas(owned, of: rs, key: key) } catch { manageError = error }
        }
        let status = calculateStatus(rs, pods: owned, manageError: manageError)
        let updated = try await updateStatus(rs, to: status)
        if let manageError { throw manageError }
        let minReady = updated.minReadySeconds
        if minReady > 0, status.readyReplicas == updated.desiredReplicas, status.availableReplicas != updated.desiredReplicas {
            await queue.addAfter(key, delay: .seconds(Int(minReady)))
        }
    }

    /// Creates or deletes pods so that `owned` reaches `spec.replicas`, recording expectations first.
    func manageReplicas(_ owned: [Pod], of rs: Owner, key: String) async throws {
        let desired = Int(rs.desiredReplicas)
        let diff = owned.count - desired
        if diff < 0 {
            let count = min(-diff, Self.burstReplicas)
            expectations.expectCreations(key, count: count)
            logger.debug("creating pods", metadata: [.init(stringLiteral: Owner.resource.singular): "\(key)", "count": "\(count)"])
            let (created, firstError) = await slowStartBatch(count) { _ in try await createPod(for: rs) }
            // Creations never attempted or failed will not show up in the informer.
            for _ in created..<count { expectations.creationObserved(key) }
            // A terminating namespace refuses new pods; the namespace controller is about to delete this owner.
            if let firstError, !firstError.isNamespaceTerminating {
                throw ControllerError.partialFailure(key: key, failed: count - created, first: firstError)
            }
        } else if diff > 0 {
            let victims = Self.podsToDelete(owned, count: min(diff, Self.burstReplicas))
            expectations.expectDeletions(key, podKeys: victims.map(\.key))
            logger.debug("deleting pods", metadata: [.init(stringLiteral: Owner.resource.singular): "\(key)", "count": "\(victims.count)"])
            let events = events
            let failures = await PodDeletion.delete(victims, client: client, expectations: expectations, key: key) { pod, error in
                events.podDeleted(by: rs, pod: pod, error: error)
            }
            if let first = failures.first { throw ControllerError.partialFailure(key: key, failed: failures.count, first: first) }
        }
    }

    /// A pod of the owner's template, named `<owner>-<5 random chars>` by the server; the owner's Event
    /// says which (`SuccessfulCreate`) or why not (`FailedCreate`, unless the namespace is terminating).
    func createPod(for rs: Owner) async throws {
        let template = rs.podTemplate
        var meta = ObjectMeta(generateName: "\(rs.metadata.name ?? "")-", namespace: rs.metadata.namespace,
                              labels: template?.metadata?.labels, annotations: template?.metadata?.annotations,
                              ownerReferences: [rs.controllerReference])
        meta.finalizers = template?.metadata?.finalizers
        do {
            let created = try await client.create(Pod(metadata: meta, spec: template?.spec))
            events.podCreated(by: rs, pod: created, error: nil)
        } catch {
            events.podCreated(by: rs, pod: nil, error: error)
            throw ControllerError.api(error)
        }
    }
}
