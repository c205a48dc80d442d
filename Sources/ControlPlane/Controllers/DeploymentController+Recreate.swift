import KubeAPI
import KubeClient

extension DeploymentController {
    /// One step of a Recreate rollout (upstream's `rolloutRecreate`): scale every old ReplicaSet to zero, wait
    /// until none of their pods is left, then create or scale up the new ReplicaSet.
    func rolloutRecreate(_ d: inout Deployment, _ rsList: [ReplicaSet]) async throws {
        var (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
        var scaledDown = false
        for rs in old where rs.specReplicas > 0 {
            if try await scaleReplicaSet(rs, to: 0, for: d).scaled { scaledDown = true }
        }
        if scaledDown || oldPodsRunning(old) {
            return try await syncRolloutStatus(&d, new: newRS, old: old)
        }
        if newRS == nil {
            (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: true)
        }
        if let rs = newRS, rs.specReplicas != d.specReplicas {
            newRS = try await scaleReplicaSet(rs, to: d.specReplicas, for: d).0
        }
        if isComplete(d, calculateStatus(d, new: newRS, old: old)) { try await cleanupOldReplicaSets(d, old) }
        try await syncRolloutStatus(&d, new: newRS, old: old)
    }

    /// Whether any pod of the old ReplicaSets still exists and has not finished.
    func oldPodsRunning(_ old: [ReplicaSet]) -> Bool {
        if old.contains(where: { $0.statusReplicas > 0 }) { return true }
        let uids = Set(old.compactMap(\.metadata.uid))
        let namespace = old.first?.metadata.namespace
        return pods.list(namespace: namespace).contains { pod in
            guard let ref = pod.controllerRef, uids.contains(ref.uid) else { return false }
            return pod.status?.phase != "Succeeded" && pod.status?.phase != "Failed"
        }
    }
}
