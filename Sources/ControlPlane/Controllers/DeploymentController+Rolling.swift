import Foundation
import KubeAPI

extension DeploymentController {
    /// One step of a rolling update (upstream's `rolloutRolling`): scale the new ReplicaSet up within
    /// `maxSurge`, else scale old ones down within `maxUnavailable`, and clean up once complete.
    func rolloutRolling(_ d: inout Deployment, _ rsList: [ReplicaSet]) async throws {
        let (foundNew, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: true)
        guard let newRS = foundNew else { return }
        if try await reconcileNewReplicaSet(d, new: newRS, old: old) {
            return try await syncRolloutStatus(&d, new: newRS, old: old)
        }
        if try await reconcileOldReplicaSets(d, new: newRS, old: old) {
            return try await syncRolloutStatus(&d, new: newRS, old: old)
        }
        let status = calculateStatus(d, new: newRS, old: old)
        if isComplete(d, status) { try await cleanupOldReplicaSets(d, old) }
        try await syncRolloutStatus(&d, new: newRS, old: old)
    }

    /// Scales the new ReplicaSet toward `spec.replicas` as far as the surge allows; whether it scaled.
    func reconcileNewReplicaSet(_ d: Deployment, new: ReplicaSet, old: [ReplicaSet]) async throws -> Bool {
        if new.specReplicas == d.specReplicas { return false }
        if new.specReplicas > d.specReplicas {
            return try await scaleReplicaSet(new, to: d.specReplicas, for: d).scaled
        }
        let target = newReplicaSetReplicas(d, all: old, new: new)
        return try await scaleReplicaSet(new, to: target, for: d).scaled
    }

    /// Scales old ReplicaSets down as far as `maxUnavailable` allows: unhealthy replicas first, then the oldest
    /// ReplicaSets (upstream's `reconcileOldReplicaSets`); whether anything scaled.
    func reconcileOldReplicaSets(_ d: Deployment, new: ReplicaSet, old: [ReplicaSet]) async throws -> Bool {
        let oldPods = old.reduce(0) { $0 + $1.specReplicas }
        guard oldPods > 0 else { return false }
        let allPods = oldPods + new.specReplicas
        let minAvailable = d.specReplicas - d.maxUnavailable
        let newUnavailable = new.specReplicas - new.availableReplicas
        let maxScaledDown = allPods - minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return false }
        var active = old.filter { $0.specReplicas > 0 }.sorted(by: Self.olderFirst)
        var cleaned = 0
        for (i, rs) in active.enumerated() {
            guard cleaned < maxScaledDown else { break }
            let unhealthy = rs.specReplicas - min(rs.availableReplicas, rs.specReplicas)
            guard unhealthy > 0 else { continue }
            let count = min(maxScaledDown - cleaned, unhealthy)
            active[i] = try await scaleReplicaSet(rs, to: rs.specReplicas - count, for: d).0
            cleaned += count
        }
        // Available pods: an old ReplicaSet never counts more than its size, so a status not yet updated after a
        // scale-down cannot make pods look available that are already being removed.
        let available = (active + [new]).reduce(0) { $0 + min($1.availableReplicas, $1.specReplicas) }
        var scaledDown = 0
        let total = available - minAvailable
        if total > 0 {
            for rs in active where rs.specReplicas > 0 {
                guard scaledDown < total else { break }
                let count = min(rs.specReplicas, total - scaledDown)
                try await scaleReplicaSet(rs, to: rs.specReplicas - count, for: d)
                scaledDown += count
            }
        }
        return cleaned + scaledDown > 0
    }

    /// Creation order, oldest first (ties by name).
    static func olderFirst(_ a: ReplicaSet, _ b: ReplicaSet) -> Bool {
        let ta = a.metadata.creationTimestamp?.date ?? .distantPast, tb = b.metadata.creationTimestamp?.date ?? .distantPast
        return ta != tb ? ta < tb : (a.metadata.name ?? "") < (b.metadata.name ?? "")
    }
}
