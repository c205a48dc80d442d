import KubeAPI

/// A kind whose selector groups pods for the system default spreading: Services, ReplicationControllers,
/// ReplicaSets, StatefulSets.
protocol PodGrouping: KubeObject {
    /// The pods it groups; nil when it groups none by selector (a Service without one).
    var podSelector: LabelSelectorExpression? { get }
}

extension Service: PodGrouping {
    var podSelector: LabelSelectorExpression? { spec?.selector.map(LabelSelectorExpression.init(matchLabels:)) }
}

extension ReplicationController: PodGrouping {
    var podSelector: LabelSelectorExpression? { spec?.selector.map(LabelSelectorExpression.init(matchLabels:)) }
}

extension ReplicaSet: PodGrouping {
    var podSelector: LabelSelectorExpression? { spec?.selector.flatMap { try? LabelSelectorExpression($0) } ?? .nothing }
}

extension StatefulSet: PodGrouping {
    var podSelector: LabelSelectorExpression? { spec?.selector.flatMap { try? LabelSelectorExpression($0) } ?? .nothing }
}

/// The selectors that PodTopologySpread's system defaults spread a pod's group by (upstream's `DefaultSelector`):
/// the Services in the pod's namespace that select it, and the ReplicationController, ReplicaSet or StatefulSet that
/// controls it. Only the
/// selectors are kept, by kind, namespace and name.
struct WorkloadSelectors: Sendable {
    private var selectors: [String: [String: [String: LabelSelectorExpression]]] = [:]

    /// Records (or with `deleted`, forgets) an object's selector.
    mutating func record<K: PodGrouping>(_ object: K, deleted: Bool = false) {
        guard let namespace = object.metadata.namespace, let name = object.metadata.name else { return }
        selectors[K.resource.kind, default: [:]][namespace, default: [:]][name] = deleted ? nil : object.podSelector
    }

    /// Forgets every selector of a kind (before a relist records them again).
    mutating func removeAll<K: PodGrouping>(_ kind: K.Type) { selectors[K.resource.kind] = nil }

    private func selector(kind: String, namespace: String, name: String) -> LabelSelectorExpression? {
        selectors[kind]?[namespace]?[name]
    }

    /// Upstream's `DefaultSelector`: the labels of every selecting Service merged, plus the requirements of the
    /// controlling ReplicationController's, ReplicaSet's or StatefulSet's selector. Empty when nothing groups the pod.
    func defaultSelector(for pod: PendingPod) -> LabelSelectorExpression {
        let namespace = pod.info.namespace, labels = pod.info.labels
        var requirements: [LabelSelectorExpression.Requirement] = []
        var seen = Set<LabelSelectorExpression.Requirement>()
        func add(_ selector: LabelSelectorExpression) {
            for requirement in selector.requirements where seen.insert(requirement).inserted { requirements.append(requirement) }
        }
        // The selecting Services' labels, merged (they all match the pod, so they cannot conflict).
        for selector in (selectors[Service.resource.kind]?[namespace] ?? [:]).values where selector.matches(labels) { add(selector) }
        let controllers = [ReplicationController.resource, ReplicaSet.resource, StatefulSet.resource]
        if let owner = pod.pod.metadata.ownerReferences?.first(where: { $0.controller == true }),
           controllers.contains(where: { $0.groupVersion == owner.apiVersion && $0.kind == owner.kind }),
           let controller = selector(kind: owner.kind, namespace: namespace, name: owner.name), !controller.matchesNothing {
            add(controller)
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
