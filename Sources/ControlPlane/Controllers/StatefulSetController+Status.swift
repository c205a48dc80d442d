import Foundation
import KubeAPI
import KubeClient
import Logging

/// The StatefulSet status `kubectl get sts` and `kubectl rollout status statefulset` read.
extension StatefulSetController {
    /// Upstream's `computeReplicaStatus` and `completeRollingUpdate`: pods counted by readiness and revision;
    /// once every pod runs the update revision and is ready, it becomes the current revision.
    func computeStatus(_ sts: StatefulSet, pods: [Pod], history: StatefulSetHistory, now: Date = Date()) -> StatefulSetStatus {
        let minReady = sts.spec?.minReadySeconds ?? 0
        let currentName = history.current.metadata.name ?? ""
        let updateName = history.update.metadata.name ?? ""
        var status = StatefulSetStatus(observedGeneration: sts.metadata.generation, replicas: 0, readyReplicas: 0, currentReplicas: 0,
                                       updatedReplicas: 0, currentRevision: currentName, updateRevision: updateName,
                                       collisionCount: history.collisionCount ?? 0, conditions: sts.status?.conditions, availableReplicas: 0)
        for pod in pods {
            guard !(pod.status?.phase ?? "").isEmpty else { continue }
            status.replicas += 1
            let running = pod.status?.phase == "Running" && pod.metadata.deletionTimestamp == nil
            if running, pod.isReady {
                status.readyReplicas = (status.readyReplicas ?? 0) + 1
                if pod.isAvailable(minReadySeconds: minReady, now: now) { status.availableReplicas = (status.availableReplicas ?? 0) + 1 }
            }
            guard pod.metadata.deletionTimestamp == nil else { continue }
            let revision = pod.metadata.labels?[Self.revisionLabel]
            if revision == currentName { status.currentReplicas = (status.currentReplicas ?? 0) + 1 }
            if revision == updateName { status.updatedReplicas = (status.updatedReplicas ?? 0) + 1 }
        }
        if sts.spec?.updateStrategy?.type != "OnDelete", status.updatedReplicas == status.replicas, status.readyReplicas == status.replicas {
            status.currentReplicas = status.updatedReplicas
            status.currentRevision = updateName
        }
        return status
    }

    /// Writes `status` if it differs from the stored one.
    func writeStatus(_ sts: StatefulSet, _ status: StatefulSetStatus) async throws {
        guard sts.status != status else { return }
        var updated = sts
        updated.status = status
        do {
            _ = try await client.updateStatus(updated)
        } catch where error.isNotFound {
        } catch {
            throw ControllerError.api(error)
        }
    }
}
