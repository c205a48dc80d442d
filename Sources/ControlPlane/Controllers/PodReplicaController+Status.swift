import Foundation
import KubeAPI
import KubeClient

extension PodReplicaController {
    /// The status the owned pods imply: counts, the observed generation, and `ReplicaFailure` while creating or
    /// deleting pods fails.
    func calculateStatus(_ rs: Owner, pods: [Pod], manageError: (any Error)?) -> ReplicaSetStatus {
        var status = rs.replicaSetStatus
        let templateLabels = rs.podTemplate?.metadata?.labels ?? [:]
        let minReady = rs.minReadySeconds
        let now = Date()
        status.replicas = Int32(pods.count)
        status.fullyLabeledReplicas = Int32(pods.count { pod in
            let labels = pod.metadata.labels ?? [:]
            return templateLabels.allSatisfy { labels[$0.key] == $0.value }
        })
        status.readyReplicas = Int32(pods.count(where: \.isReady))
        status.availableReplicas = Int32(pods.count { $0.isAvailable(minReadySeconds: minReady, now: now) })
        status.observedGeneration = rs.metadata.generation
        var conditions = (status.conditions ?? []).filter { $0.type != "ReplicaFailure" }
        if let manageError {
            let creating = pods.count < Int(rs.desiredReplicas)
            let previous = status.conditions?.first { $0.type == "ReplicaFailure" }
            conditions.append(ReplicaSetCondition(type: "ReplicaFailure", status: "True",
                                                  lastTransitionTime: previous?.lastTransitionTime ?? Time.now(),
                                                  reason: creating ? "FailedCreate" : "FailedDelete",
                                                  message: "\(manageError)"))
        }
        status.conditions = conditions.isEmpty ? nil : conditions
        return status
    }

    /// Writes `status` unless the owner already has it; on a conflict re-reads once and tries again, as
    /// upstream's `updateReplicaSetStatus`.
    func updateStatus(_ rs: Owner, to status: ReplicaSetStatus) async throws -> Owner {
        var current = rs
        for attempt in 0..<2 {
            if current.replicaSetStatus == status { return current }
            current.replicaSetStatus = status
            do {
                return try await client.updateStatus(current)
            } catch let error where error.isConflict && attempt == 0 {
                current = try await client.get(Owner.self, name: rs.metadata.name ?? "", namespace: rs.metadata.namespace)
                guard current.metadata.uid == rs.metadata.uid else { return current }
            } catch {
                throw ControllerError.api(error)
            }
        }
        return current
    }
}
