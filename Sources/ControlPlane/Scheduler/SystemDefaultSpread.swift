import KubeAPI

/// The selectors that PodTopologySpread's system defaults spread a pod's group by (upstream's `DefaultSelector`):
/// the Services in the pod's namespace that select it, and the ReplicaSet or StatefulSet that controls it. Only the
/// selectors are kept, by namespace and name.
struct WorkloadSelectors: Sendable {
    private(set) var services: [String: [String: [String: String]]] = [:]
    private(set) var replicaSets: [String: [String: LabelSelectorExpression]] = [:]
    private(set) var statefulSets: [String: [String: LabelSelectorExpression]] = [:]

    /// Records (or with `deleted`, forgets) a Service's selector.
    mutating func setService(_ service: Service, deleted: Bool = false) {
        guard let namespace = service.metadata.namespace, let name = service.metadata.name else { return }
        // A Service without a selector selects nothing (its endpoints are managed by hand).
        services[namespace, default: [:]][name] = deleted ? nil : service.spec?.selector
    }

    /// Records (or with `deleted`, forgets) a ReplicaSet's selector.
    mutating func setReplicaSet(_ set: ReplicaSet, deleted: Bool = false) {
        guard let namespace = set.metadata.namespace, let name = set.metadata.name else { return }
        let selector = set.spec?.selector.flatMap { try? LabelSelectorExpression($0) } ?? .nothing
        replicaSets[namespace, default: [:]][name] = deleted ? nil : selector
    }

    /// Records (or with `deleted`, forgets) a StatefulSet's selector.
    mutating func setStatefulSet(_ set: StatefulSet, deleted: Bool = false) {
        guard let namespace = set.metadata.namespace, let name = set.metadata.name else { return }
        let selector = set.spec?.selector.flatMap { try? LabelSelectorExpression($0) } ?? .nothing
        statefulSets[namespace, default: [:]][name] = deleted ? nil : selector
    }

    mutating func removeAllServices() { services = [:] }
    mutating func removeAllReplicaSets() { replicaSets = [:] }
    mutating func removeAllStatefulSets() { statefulSets = [:] }

    /// Upstream's `DefaultSelector`: the labels of every selecting Service merged, plus the requirements of the
    /// controlling ReplicaSet's or StatefulSet's selector. Empty when nothing groups the pod.
    func defaultSelector(for pod: PendingPod) -> LabelSelectorExpression {
        let namespace = pod.info.namespace, labels = pod.info.labels
        var merged: [String: String] = [:]
        for selector in (services[namespace] ?? [:]).values where selector.allSatisfy({ labels[$0.key] == $0.value }) {
            merged.merge(selector) { _, new in new }
        }
        var requirements = LabelSelectorExpression(matchLabels: merged).requirements
        if let owner = pod.pod.metadata.ownerReferences?.first(where: { $0.controller == true }),
           owner.apiVersion == "apps/v1",
           let controller = owner.kind == "ReplicaSet" ? replicaSets[namespace]?[owner.name]
               : owner.kind == "StatefulSet" ? statefulSets[namespace]?[owner.name] : nil,
           !controller.matchesNothing {
            requirements += controller.requirements
        }
        return LabelSelectorExpression(requirements: requirements)
    }

    /// Upstream's system default constraints (`defaultingType: System`) for a pod without constraints of its own:
    /// at most 3 more pods of its group per node and 5 per zone, both `ScheduleAnyway`. None when nothing groups it.
    func defaultSpreadConstraints(for pod: PendingPod) -> [PendingPod.SpreadConstraint] {
        let selector = defaultSelector(for: pod)
        guard !selector.isEmpty else { return [] }
        return [(3, "kubernetes.io/hostname"), (5, "topology.kubernetes.io/zone")].map { maxSkew, key in
            PendingPod.SpreadConstraint(maxSkew: maxSkew, topologyKey: key, hardConstraint: false, selector: selector,
                                        minDomains: 1, honorNodeAffinity: true, honorNodeTaints: false)
        }
    }
}
