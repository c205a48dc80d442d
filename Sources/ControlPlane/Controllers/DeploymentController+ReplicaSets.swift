import Foundation
import KubeAPI
import KubeClient
import Logging

extension DeploymentController {
    /// The new ReplicaSet (template equal to the Deployment's, oldest first on ties) and the old ones, after
    /// bringing the revision annotations up to date (upstream's `getAllReplicaSetsAndSyncRevision`). With
    /// `create`, a missing new ReplicaSet is created.
    func replicaSetsAndSyncRevision(_ d: inout Deployment, _ rsList: [ReplicaSet],
                                    create: Bool) async throws -> (new: ReplicaSet?, old: [ReplicaSet]) {
        let (existing, old) = Self.splitReplicaSets(d, rsList)
        let newRevision = (old.map(\.revision).max() ?? 0) + 1
        if let existing {
            var copy = existing
            var changed = setNewReplicaSetAnnotations(d, &copy, newRevision: newRevision, exists: true)
            if copy.spec?.minReadySeconds != d.spec?.minReadySeconds {
                copy.spec?.minReadySeconds = d.spec?.minReadySeconds
                changed = true
            }
            let current = changed ? try await update(copy) : existing
            var conditionAdded = false
            if d.hasProgressDeadline, d.status?.conditions?.first(where: { $0.type == "Progressing" }) == nil {
                setCondition(&d, DeploymentCondition(type: "Progressing", status: "True", reason: "FoundNewReplicaSet",
                                                     message: "Found new replica set \"\(current.metadata.name ?? "")\""))
                conditionAdded = true
            }
            try await setDeploymentRevision(&d, String(current.revision))
            if conditionAdded { try await writeStatus(&d, d.status ?? DeploymentStatus()) }
            return (current, old)
        }
        guard create else { return (nil, old) }
        let created = try await createNewReplicaSet(&d, old: old, revision: newRevision)
        return (created, old)
    }

    /// The ReplicaSet whose template equals the Deployment's, ignoring the hash label (the oldest, should there
    /// be several), and the others, oldest first (upstream's `FindNewReplicaSet` / `FindOldReplicaSets`).
    static func splitReplicaSets(_ d: Deployment, _ rsList: [ReplicaSet]) -> (new: ReplicaSet?, old: [ReplicaSet]) {
        let sorted = rsList.sorted(by: olderFirst)
        let template = PodTemplateHash.stripped(d.spec?.template)
        let new = sorted.first { PodTemplateHash.stripped($0.spec?.template) == template }
        return (new, sorted.filter { $0.metadata.uid != new?.metadata.uid })
    }

    /// Creates `<deployment>-<hash>` with the template, the hash label and the next revision; a name taken by a
    /// different template bumps `status.collisionCount` so the next sync hashes differently. The Deployment's Events
    /// say so as upstream's do: `ScalingReplicaSet` when it starts with replicas, `ReplicaSetCreateError` (and
    /// Progressing False with a progress deadline) when the create fails.
    private func createNewReplicaSet(_ d: inout Deployment, old: [ReplicaSet], revision: Int) async throws -> ReplicaSet {
        guard var template = d.spec?.template else {
            throw ControllerError.invalidObject(key: d.metadata.name ?? "", reason: "no pod template")
        }
        let hash = PodTemplateHash.compute(template, collisionCount: d.status?.collisionCount)
        var templateMeta = template.metadata ?? ObjectMeta()
        templateMeta.labels = (templateMeta.labels ?? [:]).merging([PodTemplateHash.label: hash]) { $1 }
        template.metadata = templateMeta
        var selector = d.spec?.selector ?? LabelSelector()
        selector.matchLabels = (selector.matchLabels ?? [:]).merging([PodTemplateHash.label: hash]) { $1 }
        let replicas = newReplicaSetReplicas(d, all: old, new: nil)
        var rs = ReplicaSet(
            metadata: ObjectMeta(name: "\(d.metadata.name ?? "")-\(hash)", namespace: d.metadata.namespace,
                                 labels: template.metadata?.labels, ownerReferences: [d.controllerReference]),
            spec: ReplicaSetSpec(replicas: Int32(replicas), minReadySeconds: d.spec?.minReadySeconds,
                                 selector: selector, template: template))
        _ = setNewReplicaSetAnnotations(d, &rs, newRevision: revision, exists: false)
        _ = setReplicasAnnotations(&rs, desired: d.specReplicas, max: d.specReplicas + d.maxSurge)
        let created: ReplicaSet
        do {
            created = try await client.create(rs)
        } catch let error where error.isAlreadyExists {
            let clash = try await client.get(ReplicaSet.self, name: rs.metadata.name ?? "", namespace: rs.metadata.namespace)
            if clash.metadata.controllerRef?.uid == d.metadata.uid,
               PodTemplateHash.stripped(clash.spec?.template) == PodTemplateHash.stripped(d.spec?.template) {
                return clash
            }
            var status = d.status ?? DeploymentStatus()
            status.collisionCount = (status.collisionCount ?? 0) + 1
            try await writeStatus(&d, status)
            throw ControllerError.retryLater(key: d.metadata.name ?? "", reason: "hash collision on \(rs.metadata.name ?? ""); collisionCount is now \(status.collisionCount ?? 0)")
        } catch {
            let message = "Failed to create new replica set \"\(rs.metadata.name ?? "")\": \(error)"
            if d.hasProgressDeadline {
                var status = d.status ?? DeploymentStatus()
                setCondition(&status, DeploymentCondition(type: "Progressing", status: "False", reason: "ReplicaSetCreateError", message: message))
                // The create failure is what the sync reports; a status write that fails too adds nothing to it.
                try? await writeStatus(&d, status)
            }
            events.record(d, "Warning", reason: "ReplicaSetCreateError", message: message)
            throw ControllerError.api(error)
        }
        logger.info("created replica set", metadata: ["deployment": "\(d.metadata.name ?? "")", "replicaset": "\(created.metadata.name ?? "")",
                                                       "replicas": "\(replicas)", "revision": "\(revision)"])
        if replicas > 0 {
            events.record(d, reason: "ScalingReplicaSet", message: "Scaled up replica set \(created.metadata.name ?? "") to \(replicas)")
        }
        if d.hasProgressDeadline {
            setCondition(&d, DeploymentCondition(type: "Progressing", status: "True", reason: "NewReplicaSetCreated",
                                                 message: "Created new replica set \"\(created.metadata.name ?? "")\""))
        }
        try await setDeploymentRevision(&d, String(revision))
        try await writeStatus(&d, d.status ?? DeploymentStatus())
        return created
    }

    /// Copies the Deployment's annotations to the new ReplicaSet and raises its revision to `newRevision`, keeping
    /// the revisions it had in `revision-history` (upstream's `SetNewReplicaSetAnnotations`). Returns whether
    /// anything changed.
    func setNewReplicaSetAnnotations(_ d: Deployment, _ rs: inout ReplicaSet, newRevision: Int, exists: Bool) -> Bool {
        var annotations = rs.metadata.annotations ?? [:]
        let before = annotations
        for (key, value) in d.metadata.annotations ?? [:] where !DeploymentAnnotations.notCopied.contains(key) {
            annotations[key] = value
        }
        let oldRevision = annotations[DeploymentAnnotations.revision]
        if (Int(oldRevision ?? "") ?? 0) < newRevision {
            annotations[DeploymentAnnotations.revision] = String(newRevision)
            if let oldRevision, !oldRevision.isEmpty {
                let history = annotations[DeploymentAnnotations.revisionHistory].map { $0 + "," + oldRevision } ?? oldRevision
                annotations[DeploymentAnnotations.revisionHistory] = history
            }
        }
        if !exists {
            annotations[DeploymentAnnotations.desiredReplicas] = String(d.specReplicas)
            annotations[DeploymentAnnotations.maxReplicas] = String(d.specReplicas + d.maxSurge)
        }
        rs.metadata.annotations = annotations
        return annotations != before
    }

    /// Records the Deployment size a ReplicaSet was last scaled for; returns whether the annotations changed.
    func setReplicasAnnotations(_ rs: inout ReplicaSet, desired: Int, max: Int) -> Bool {
        var annotations = rs.metadata.annotations ?? [:]
        let before = annotations
        annotations[DeploymentAnnotations.desiredReplicas] = String(desired)
        annotations[DeploymentAnnotations.maxReplicas] = String(max)
        rs.metadata.annotations = annotations
        return annotations != before
    }

    /// Sets the Deployment's `deployment.kubernetes.io/revision` to its new ReplicaSet's (a merge patch of the
    /// annotation only, so it never fights with users over the spec).
    func setDeploymentRevision(_ d: inout Deployment, _ revision: String) async throws {
        guard d.metadata.annotations?[DeploymentAnnotations.revision] != revision else { return }
        let patch: JSONValue = ["metadata": ["annotations": .object([DeploymentAnnotations.revision: .string(revision)]),
                                             "resourceVersion": .string(d.metadata.resourceVersion ?? "")]]
        do {
            d = try await client.patch(Deployment.self, name: d.metadata.name ?? "", namespace: d.metadata.namespace,
                                       patchType: .merge, patch)
        } catch {
            throw ControllerError.api(error)
        }
    }

    /// Sets `spec.replicas` (and the replicas annotations) of a ReplicaSet; returns the stored ReplicaSet and
    /// whether its size changed, which the Deployment's `ScalingReplicaSet` Event records in upstream's words.
    @discardableResult
    func scaleReplicaSet(_ rs: ReplicaSet, to replicas: Int, for d: Deployment) async throws -> (ReplicaSet, scaled: Bool) {
        var copy = rs
        let sizeChanged = rs.specReplicas != replicas
        let annotationsChanged = setReplicasAnnotations(&copy, desired: d.specReplicas, max: d.specReplicas + d.maxSurge)
        guard sizeChanged || annotationsChanged else { return (rs, false) }
        copy.spec?.replicas = Int32(replicas)
        let stored = try await update(copy)
        if sizeChanged {
            logger.info("scaled replica set", metadata: ["deployment": "\(d.metadata.name ?? "")", "replicaset": "\(rs.metadata.name ?? "")",
                                                          "from": "\(rs.specReplicas)", "to": "\(replicas)"])
            events.record(d, reason: "ScalingReplicaSet", message: "Scaled \(replicas > rs.specReplicas ? "up" : "down") replica set "
                              + "\(rs.metadata.name ?? "") to \(replicas) from \(rs.specReplicas)")
        }
        return (stored, sizeChanged)
    }

    /// Deletes the oldest scaled-down ReplicaSets beyond `revisionHistoryLimit` (upstream's `cleanupDeployment`).
    func cleanupOldReplicaSets(_ d: Deployment, _ old: [ReplicaSet]) async throws {
        guard let limit = d.spec?.revisionHistoryLimit else { return }
        let alive = old.filter { $0.metadata.deletionTimestamp == nil }
        let excess = alive.count - Int(limit)
        guard excess > 0 else { return }
        for rs in alive.sorted(by: { $0.revision < $1.revision }).prefix(excess) {
            guard rs.statusReplicas == 0, rs.specReplicas == 0,
                  (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0) else { continue }
            do {
                try await client.delete(ReplicaSet.self, name: rs.metadata.name ?? "", namespace: rs.metadata.namespace,
                                        options: DeleteOptions(preconditions: .init(uid: rs.metadata.uid)))
            } catch let error where error.isNotFound {
                continue
            } catch {
                throw ControllerError.api(error)
            }
        }
    }

    /// The size a new ReplicaSet should have now (upstream's `NewRSNewReplicas`): for a rolling update as many as
    /// `maxSurge` allows over the pods that exist — counting pods still being removed, so the surge holds at every
    /// moment — and at most `spec.replicas`; for Recreate `spec.replicas`.
    func newReplicaSetReplicas(_ d: Deployment, all: [ReplicaSet], new: ReplicaSet?) -> Int {
        let current = new?.specReplicas ?? 0
        guard d.isRollingUpdate else { return d.specReplicas }
        let podCount = (all + (new.map { [$0] } ?? [])).reduce(0) { $0 + max($1.specReplicas, $1.statusReplicas) }
        let maxTotal = d.specReplicas + d.maxSurge
        guard podCount < maxTotal else { return current }
        return current + min(maxTotal - podCount, max(0, d.specReplicas - current))
    }
}

