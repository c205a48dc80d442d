import KubeAPI

/// The annotations and replica arithmetic the Deployment controller and `kubectl rollout` share with upstream
/// (`deployment/util`).
enum DeploymentAnnotations {
    static let revision = "deployment.kubernetes.io/revision"
    static let revisionHistory = "deployment.kubernetes.io/revision-history"
    static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    static let maxReplicas = "deployment.kubernetes.io/max-replicas"
    /// Annotations a Deployment does not pass on to its ReplicaSets.
    static let notCopied: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revision, revisionHistory, desiredReplicas, maxReplicas,
        "deprecated.deployment.rollback.to",
    ]
}

extension ReplicaSet {
    /// The `deployment.kubernetes.io/revision` number (0 if absent or malformed).
    var revision: Int { Int(metadata.annotations?[DeploymentAnnotations.revision] ?? "") ?? 0 }

    /// `spec.replicas` with the API default of 1.
    var specReplicas: Int { Int(spec?.replicas ?? 1) }

    var statusReplicas: Int { Int(status?.replicas ?? 0) }
    var availableReplicas: Int { Int(status?.availableReplicas ?? 0) }
    var readyReplicas: Int { Int(status?.readyReplicas ?? 0) }
}

extension Deployment {
    /// `spec.replicas` with the API default of 1.
    var specReplicas: Int { Int(spec?.replicas ?? 1) }

    var isRollingUpdate: Bool { spec?.strategy?.type != "Recreate" }

    /// How many pods above `spec.replicas` a rolling update may run (rounded up), as upstream's `MaxSurge`.
    var maxSurge: Int {
        guard isRollingUpdate else { return 0 }
        return resolvedFenceposts.surge
    }

    /// How many of `spec.replicas` may be unavailable during a rolling update (rounded down, at least 1 when
    /// the surge is 0), as upstream's `MaxUnavailable`.
    var maxUnavailable: Int {
        guard isRollingUpdate, specReplicas > 0 else { return 0 }
        return min(resolvedFenceposts.unavailable, specReplicas)
    }

    /// Upstream's `ResolveFenceposts`: surge rounds up, unavailable rounds down, both 0 becomes 1 unavailable.
    private var resolvedFenceposts: (surge: Int, unavailable: Int) {
        let rolling = spec?.strategy?.rollingUpdate
        let surge = (rolling?.maxSurge ?? .string("25%")).scaledValue(total: specReplicas, roundUp: true) ?? 0
        let unavailable = (rolling?.maxUnavailable ?? .string("25%")).scaledValue(total: specReplicas, roundUp: false) ?? 0
        if surge == 0, unavailable == 0 { return (0, 1) }
        return (surge, unavailable)
    }

    /// Whether `progressDeadlineSeconds` is set to something other than "never" (MaxInt32).
    var hasProgressDeadline: Bool {
        guard let seconds = spec?.progressDeadlineSeconds else { return false }
        return seconds != Int32.max
    }
}
