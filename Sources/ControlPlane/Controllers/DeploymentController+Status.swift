import Foundation
import KubeAPI
import KubeClient

extension DeploymentController {
    /// The status the ReplicaSets imply (upstream's `calculateStatus`), with the `Available` condition; the
    /// `Progressing` condition is carried over and updated by `syncRolloutStatus`.
    func calculateStatus(_ d: Deployment, new: ReplicaSet?, old: [ReplicaSet]) -> DeploymentStatus {
        let all = old + (new.map { [$0] } ?? [])
        let available = all.reduce(0) { $0 + $1.availableReplicas }
        let total = all.reduce(0) { $0 + $1.specReplicas }
        var status = DeploymentStatus()
        status.observedGeneration = d.metadata.generation
        status.replicas = Int32(all.reduce(0) { $0 + $1.statusReplicas })
        status.updatedReplicas = Int32(new?.statusReplicas ?? 0)
        status.readyReplicas = Int32(all.reduce(0) { $0 + $1.readyReplicas })
        status.availableReplicas = Int32(available)
        status.unavailableReplicas = Int32(max(0, total - available))
        status.collisionCount = d.status?.collisionCount
        status.conditions = d.status?.conditions
        let minimum = available >= d.specReplicas - d.maxUnavailable
        setCondition(&status, DeploymentCondition(
            type: "Available", status: minimum ? "True" : "False",
            reason: minimum ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            message: minimum ? "Deployment has minimum availability." : "Deployment does not have minimum availability."))
        return status
    }

    /// Whether every replica is updated and available and the status describes the current generation
    /// (upstream's `DeploymentComplete`).
    func isComplete(_ d: Deployment, _ status: DeploymentStatus) -> Bool {
        let replicas = Int32(d.specReplicas)
        return status.updatedReplicas == replicas && status.replicas == replicas && status.availableReplicas == replicas
            && (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
    }

    /// Updates the status with the `Progressing` condition: NewReplicaSetAvailable when complete,
    /// ReplicaSetUpdated while counts advance, ProgressDeadlineExceeded after `progressDeadlineSeconds` without
    /// progress; and schedules a re-check at the deadline (upstream's `syncRolloutStatus`).
    func syncRolloutStatus(_ d: inout Deployment, new: ReplicaSet?, old: [ReplicaSet]) async throws {
        let fresh = refreshed(new: new, old: old)
        var status = calculateStatus(d, new: fresh.new, old: fresh.old)
        if !d.hasProgressDeadline { status.conditions?.removeAll { $0.type == "Progressing" } }
        let current = status.conditions?.first { $0.type == "Progressing" }
        let alreadyComplete = status.replicas == status.updatedReplicas && current?.reason == "NewReplicaSetAvailable"
        let rsName = fresh.new?.metadata.name ?? ""
        if d.hasProgressDeadline, !alreadyComplete {
            if isComplete(d, status) {
                setCondition(&status, DeploymentCondition(type: "Progressing", status: "True", reason: "NewReplicaSetAvailable",
                                                          message: "ReplicaSet \"\(rsName)\" has successfully progressed."))
            } else if isProgressing(d, status) {
                var condition = DeploymentCondition(type: "Progressing", status: "True", reason: "ReplicaSetUpdated",
                                                    message: "ReplicaSet \"\(rsName)\" is progressing.")
                if let current, current.status == "True" { condition.lastTransitionTime = current.lastTransitionTime }
                status.conditions?.removeAll { $0.type == "Progressing" }
                setCondition(&status, condition)
            } else if hasTimedOut(d, status) {
                setCondition(&status, DeploymentCondition(type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded",
                                                          message: "ReplicaSet \"\(rsName)\" has timed out progressing."))
            }
        }
        try await writeStatusIfChanged(&d, status)
        await requeueIfStuck(d, status)
    }

    /// Whether counts moved forward since the recorded status (upstream's `DeploymentProgressing`).
    private func isProgressing(_ d: Deployment, _ status: DeploymentStatus) -> Bool {
        let previous = d.status ?? DeploymentStatus()
        let oldBefore = (previous.replicas ?? 0) - (previous.updatedReplicas ?? 0)
        let oldNow = (status.replicas ?? 0) - (status.updatedReplicas ?? 0)
        return (status.updatedReplicas ?? 0) > (previous.updatedReplicas ?? 0) || oldNow < oldBefore
            || (status.readyReplicas ?? 0) > (previous.readyReplicas ?? 0)
            || (status.availableReplicas ?? 0) > (previous.availableReplicas ?? 0)
    }

    /// Whether the last progress is older than `progressDeadlineSeconds` (upstream's `DeploymentTimedOut`).
    private func hasTimedOut(_ d: Deployment, _ status: DeploymentStatus) -> Bool {
        guard let condition = status.conditions?.first(where: { $0.type == "Progressing" }) else { return false }
        if condition.reason == "NewReplicaSetAvailable" { return false }
        if condition.reason == "ProgressDeadlineExceeded" { return true }
        guard let from = condition.lastUpdateTime, let seconds = d.spec?.progressDeadlineSeconds else { return false }
        return from.date.addingTimeInterval(TimeInterval(seconds)) < Date()
    }

    /// Queues the Deployment for when its progress deadline passes, if it is still rolling out.
    private func requeueIfStuck(_ d: Deployment, _ status: DeploymentStatus) async {
        guard d.hasProgressDeadline, !isComplete(d, status),
              let condition = status.conditions?.first(where: { $0.type == "Progressing" }),
              condition.reason != "ProgressDeadlineExceeded", condition.reason != "NewReplicaSetAvailable",
              let from = condition.lastUpdateTime, let seconds = d.spec?.progressDeadlineSeconds else { return }
        let remaining = from.date.addingTimeInterval(TimeInterval(seconds) + 1).timeIntervalSinceNow
        await queue.addAfter(Informer.key(for: d), delay: .seconds(max(1, remaining)))
    }

    /// Status of a Deployment being deleted: counts only, nothing scaled.
    func syncStatusOnly(_ d: inout Deployment, _ rsList: [ReplicaSet]) async throws {
        let (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
        try await writeStatusIfChanged(&d, calculateStatus(d, new: newRS, old: old))
    }

    /// Sets `Progressing` to Unknown with DeploymentPaused / DeploymentResumed when `spec.paused` flips, so
    /// a pause never counts against the progress deadline (upstream's `checkPausedConditions`).
    func checkPausedConditions(_ d: inout Deployment) async throws {
        guard d.hasProgressDeadline else { return }
        let reason = d.status?.conditions?.first { $0.type == "Progressing" }?.reason
        let paused = d.spec?.paused == true
        var status = d.status ?? DeploymentStatus()
        if paused, reason != "DeploymentPaused" {
            setCondition(&status, DeploymentCondition(type: "Progressing", status: "Unknown", reason: "DeploymentPaused",
                                                      message: "Deployment is paused"))
        } else if !paused, reason == "DeploymentPaused" {
            setCondition(&status, DeploymentCondition(type: "Progressing", status: "Unknown", reason: "DeploymentResumed",
                                                      message: "Deployment is resumed"))
        } else {
            return
        }
        try await writeStatus(&d, status)
    }

    /// Sets a condition on `d.status`.
    func setCondition(_ d: inout Deployment, _ condition: DeploymentCondition) {
        var status = d.status ?? DeploymentStatus()
        setCondition(&status, condition)
        d.status = status
    }

    /// Upstream's `SetDeploymentCondition`: an unchanged status and reason leaves the condition alone; a changed
    /// reason with the same status keeps the transition time.
    func setCondition(_ status: inout DeploymentStatus, _ condition: DeploymentCondition) {
        var condition = condition
        let now = Time.now()
        if condition.lastUpdateTime == nil { condition.lastUpdateTime = now }
        if condition.lastTransitionTime == nil { condition.lastTransitionTime = now }
        var conditions = status.conditions ?? []
        if let current = conditions.first(where: { $0.type == condition.type }) {
            if current.status == condition.status, current.reason == condition.reason { return }
            if current.status == condition.status { condition.lastTransitionTime = current.lastTransitionTime }
        }
        conditions.removeAll { $0.type == condition.type }
        conditions.append(condition)
        status.conditions = conditions
    }

    /// Writes `status` if it differs from the Deployment's.
    func writeStatusIfChanged(_ d: inout Deployment, _ status: DeploymentStatus) async throws {
        guard d.status != status else { return }
        try await writeStatus(&d, status)
    }

    /// Writes `status` through the status subresource and keeps the stored Deployment in `d`.
    func writeStatus(_ d: inout Deployment, _ status: DeploymentStatus) async throws {
        var copy = d
        copy.status = status
        do {
            d = try await client.updateStatus(copy)
        } catch {
            throw ControllerError.api(error)
        }
    }
}
