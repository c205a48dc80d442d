import Foundation
import KubeAPI
import Logging
import KubeClient

extension DaemonSetController {
    /// Creates the missing daemon pods and deletes the ones that must go: on nodes that are no longer eligible,
    /// failed or succeeded ones (with backoff), duplicates, and unscheduled pods pinned to nodes that are gone
    /// (upstream's `manage`).
    func manage(_ ds: DaemonSet, nodes: [Node], hash: String, selector: LabelSelectorExpression, key: String) async throws {
        let byNode = try await nodesToDaemonPods(ds, selector: selector)
        var nodesNeedingPods: [String] = []
        var podsToDelete: [Pod] = []
        for node in nodes {
            let (create, delete) = await podsShouldBeOnNode(node, pods: byNode[node.metadata.name ?? ""] ?? [], ds: ds, hash: hash)
            if create { nodesNeedingPods.append(node.metadata.name ?? "") }
            podsToDelete += delete
        }
        let existing = Set(nodes.compactMap(\.metadata.name))
        for (node, pods) in byNode where !existing.contains(node) {
            podsToDelete += pods.filter { ($0.spec?.nodeName ?? "").isEmpty }
        }
        try await syncNodes(ds, deleting: podsToDelete, creatingOn: nodesNeedingPods, hash: hash, key: key)
    }

    /// Whether `node` needs a new daemon pod and which of its pods should go (upstream's `podsShouldBeOnNode`).
    func podsShouldBeOnNode(_ node: Node, pods: [Pod], ds: DaemonSet, hash: String) async -> (create: Bool, delete: [Pod]) {
        let (shouldRun, shouldContinueRunning) = ds.placement(on: node)
        let nodeName = node.metadata.name ?? ""
        if shouldRun && pods.isEmpty { return (true, []) }
        guard shouldContinueRunning else {
            return (false, pods.filter { $0.metadata.deletionTimestamp == nil })
        }
        var delete: [Pod] = []
        var running: [Pod] = []
        for pod in pods where pod.metadata.deletionTimestamp == nil {
            switch pod.status?.phase {
            case "Failed":
                // A kubelet that rejects the pod would otherwise make the controller hot-loop creating and deleting it.
                let backoffKey = "\(ds.metadata.uid ?? "")/\(nodeName)"
                if failedPodsBackoff.isInBackoff(backoffKey) {
                    await queue.addAfter(Informer.key(for: ds), delay: failedPodsBackoff.delay(backoffKey))
                    continue
                }
                failedPodsBackoff.next(backoffKey)
                logger.info("found failed daemon pod, deleting it", metadata: ["pod": "\(pod.key)", "node": "\(nodeName)"])
                delete.append(pod)
            case "Succeeded":
                // Daemon pods are meant to run forever; one that finished is replaced.
                delete.append(pod)
            default:
                running.append(pod)
            }
        }
        running.sort(by: Pod.olderScheduledFirst)
        guard ds.allowsSurge else {
            // Without surge a node keeps only its oldest pod.
            return (false, delete + running.dropFirst())
        }
        // With surge a node may briefly run one old and one new pod: the oldest of each kind stays, the old one
        // only until the new one is available (or while it is still ready itself).
        var oldestNew: Pod?, oldestOld: Pod?
        for pod in running {
            if (pod.metadata.labels ?? [:])[DaemonSet.revisionHashLabel] == hash {
                if oldestNew == nil { oldestNew = pod; continue }
            } else if oldestOld == nil {
                oldestOld = pod
                continue
            }
            delete.append(pod)
        }
        if let oldestNew, let oldestOld {
            if !oldestOld.isReady || oldestNew.isAvailable(minReadySeconds: ds.spec?.minReadySeconds ?? 0) {
                delete.append(oldestOld)
            }
        }
        return (false, delete)
    }

    /// Deletes `podsToDelete` and creates one pod on each of `nodes`, at most `burstReplicas` of each per sync,
    /// with expectations recorded first (upstream's `syncNodes`).
    func syncNodes(_ ds: DaemonSet, deleting podsToDelete: [Pod], creatingOn nodes: [String], hash: String, key: String) async throws {
        let creations = Array(nodes.prefix(Self.burstReplicas))
        let deletions = Array(podsToDelete.prefix(Self.burstReplicas))
        if creations.isEmpty && deletions.isEmpty { return }
        expectations.expect(key, creations: creations.count, deletions: deletions.map(\.key))
        var firstError: (any Error)?
        var failures = 0
        if !creations.isEmpty {
            logger.debug("creating daemon pods", metadata: ["daemonset": "\(key)", "count": "\(creations.count)"])
            let template = ds.podTemplate(hash: hash)
            let (created, error) = await slowStartBatch(creations.count) { index in
                try await createPod(for: ds, template: template, node: creations[index])
            }
            // Creations that failed or were never attempted will not show up in the informer.
            for _ in created..<creations.count { expectations.creationObserved(key) }
            if let error, !error.isNamespaceTerminating {
                firstError = error
                failures += creations.count - created
            }
        }
        if !deletions.isEmpty {
            logger.debug("deleting daemon pods", metadata: ["daemonset": "\(key)", "count": "\(deletions.count)"])
            let events = events
            let errors = await PodDeletion.delete(deletions, client: client, expectations: expectations, key: key) { pod, error in
                events.podDeleted(by: ds, pod: pod, error: error)
            }
            if firstError == nil { firstError = errors.first }
            failures += errors.count
        }
        if let firstError { throw ControllerError.partialFailure(key: key, failed: failures, first: firstError) }
    }

    /// One daemon pod pinned to `node`, named `<ds>-<5 random chars>` by the server.
    func createPod(for ds: DaemonSet, template: PodTemplateSpec, node: String) async throws {
        var spec = template.spec ?? PodSpec()
        spec.affinity = DaemonSet.affinity(spec.affinity, pinnedTo: node)
        var meta = ObjectMeta(generateName: "\(ds.metadata.name ?? "")-", namespace: ds.metadata.namespace,
                              labels: template.metadata?.labels, annotations: template.metadata?.annotations,
                              ownerReferences: [ds.controllerReference])
        meta.finalizers = template.metadata?.finalizers
        do {
            let created = try await client.create(Pod(metadata: meta, spec: spec))
            events.podCreated(by: ds, pod: created, error: nil)
        } catch {
            events.podCreated(by: ds, pod: nil, error: error)
            throw ControllerError.api(error)
        }
    }
}
