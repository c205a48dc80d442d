import KubeAPI
import KubeClient

extension DeploymentController {
    /// Whether `spec.replicas` changed since the active ReplicaSets were last sized (their
    /// `desired-replicas` annotation differs), upstream's `isScalingEvent`.
    func isScalingEvent(_ d: Deployment, _ rsList: [ReplicaSet]) -> Bool {
        let (newRS, old) = Self.splitReplicaSets(d, rsList)
        let desired = String(d.specReplicas)
        return (old + (newRS.map { [$0] } ?? [])).contains { rs in
            rs.specReplicas > 0 && rs.metadata.annotations?[DeploymentAnnotations.desiredReplicas] != desired
        }
    }

    /// Resizes without rolling out (a paused Deployment, or a scale in the middle of a rollout), cleans up history
    /// when paused, and updates the status (upstream's `sync`).
    func syncScale(_ d: inout Deployment, _ rsList: [ReplicaSet]) async throws {
        let (newRS, old) = try await replicaSetsAndSyncRevision(&d, rsList, create: false)
        try await scale(d, new: newRS, old: old)
        if d.spec?.paused == true { try await cleanupOldReplicaSets(d, old) }
        let fresh = refreshed(new: newRS, old: old)
        try await writeStatusIfChanged(&d, calculateStatus(d, new: fresh.new, old: fresh.old))
    }

    /// Sizes the ReplicaSets for `spec.replicas`: the only active one takes it all; a saturated new one lets the
    /// old go to zero; otherwise the change is shared in proportion to their sizes, larger first.
    private func scale(_ d: Deployment, new: ReplicaSet?, old: [ReplicaSet]) async throws {
        let all = old + (new.map { [$0] } ?? [])
        let active = all.filter { $0.specReplicas > 0 }
        if active.count <= 1 {
            let target = active.first ?? new ?? old.max(by: Self.olderFirst)
            if let target, target.specReplicas != d.specReplicas {
                try await scaleReplicaSet(target, to: d.specReplicas, for: d)
            }
            return
        }
        if let new, new.specReplicas == d.specReplicas, new.availableReplicas == d.specReplicas {
            for rs in old where rs.specReplicas > 0 { try await scaleReplicaSet(rs, to: 0, for: d) }
            return
        }
        guard d.isRollingUpdate else { return }
        let current = active.reduce(0) { $0 + $1.specReplicas }
        let allowed = d.specReplicas > 0 ? d.specReplicas + d.maxSurge : 0
        let toAdd = allowed - current
        guard toAdd != 0 else { return }
        let ordered = active.sorted { a, b in
            a.specReplicas != b.specReplicas ? (toAdd > 0) == (a.specReplicas > b.specReplicas) : !Self.olderFirst(a, b)
        }
        var sizes = ordered.map { rs in rs.specReplicas + rs.specReplicas * toAdd / max(current, 1) }
        let added = sizes.reduce(0, +) - current
        sizes[0] = max(0, sizes[0] + toAdd - added)
        for (rs, size) in zip(ordered, sizes) { try await scaleReplicaSet(rs, to: max(0, size), for: d) }
    }

    /// The ReplicaSets as the cache holds them now (after this sync's own writes, if already seen).
    func refreshed(new: ReplicaSet?, old: [ReplicaSet]) -> (new: ReplicaSet?, old: [ReplicaSet]) {
        func latest(_ rs: ReplicaSet) -> ReplicaSet {
            guard let cached = replicaSets.get(name: rs.metadata.name ?? "", namespace: rs.metadata.namespace),
                  cached.metadata.uid == rs.metadata.uid else { return rs }
            return cached
        }
        return (new.map(latest), old.map(latest))
    }
}
