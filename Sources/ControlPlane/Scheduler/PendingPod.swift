import Foundation
import KubeAPI

/// A pod waiting for a node, with what the filters and scores need of its spec worked out once per version of the
/// pod rather than once per node.
struct PendingPod: Sendable {
    /// One `topologySpreadConstraints` entry with its selector (label selector plus `matchLabelKeys`) parsed.
    struct SpreadConstraint: Sendable {
        var maxSkew: Int64
        var topologyKey: String
        var hardConstraint: Bool
        var selector: LabelSelectorExpression
        var minDomains: Int
        /// `nodeAffinityPolicy: Honor` (the default): only nodes matching the pod's node affinity/selector count.
        var honorNodeAffinity: Bool
        /// `nodeTaintsPolicy: Honor`: only nodes whose taints the pod tolerates count (default Ignore).
        var honorNodeTaints: Bool
    }

    var pod: Pod
    var info: PodInfo
    var tolerations: [Toleration]
    /// `nodeSelector` and required node affinity, checked together (upstream's `RequiredNodeAffinity`).
    var spec: PodSpec
    var preferredNodeAffinity: [PreferredSchedulingTerm]
    var spreadConstraints: [SpreadConstraint]
    var images: [String]
    var preemptionNever: Bool
    /// `status.nominatedNodeName`: where an earlier preemption made room for the pod.
    var nominatedNodeName: String?
    var creationTime: Date

    init(_ pod: Pod) {
        self.pod = pod
        info = PodInfo(pod)
        let spec = pod.spec ?? PodSpec(containers: [])
        self.spec = spec
        tolerations = spec.tolerations ?? []
        preferredNodeAffinity = spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
        let labels = pod.metadata.labels ?? [:]
        spreadConstraints = (spec.topologySpreadConstraints ?? []).map { constraint in
            var selector = (try? LabelSelectorExpression(constraint.labelSelector)) ?? .nothing
            let extra = (constraint.matchLabelKeys ?? []).compactMap { key in
                labels[key].flatMap { try? LabelSelectorExpression.Requirement(key: key, operator: .in, values: [$0]) }
            }
            if !extra.isEmpty, !selector.matchesNothing { selector = LabelSelectorExpression(requirements: selector.requirements + extra) }
            return SpreadConstraint(maxSkew: Int64(constraint.maxSkew), topologyKey: constraint.topologyKey,
                                    hardConstraint: constraint.whenUnsatisfiable != "ScheduleAnyway", selector: selector,
                                    minDomains: Int(constraint.minDomains ?? 1),
                                    honorNodeAffinity: (constraint.nodeAffinityPolicy ?? "Honor") == "Honor",
                                    honorNodeTaints: constraint.nodeTaintsPolicy == "Honor")
        }
        images = ((spec.initContainers ?? []) + spec.containers).compactMap(\.image).map(NodeInfo.normalizedImageName)
        preemptionNever = spec.preemptionPolicy == "Never"
        nominatedNodeName = pod.status?.nominatedNodeName.flatMap { $0.isEmpty ? nil : $0 }
        creationTime = pod.metadata.creationTimestamp?.date ?? Date()
    }

    var key: String { info.key }

    /// Whether the node satisfies `nodeSelector` and the required node affinity (all operators, `matchFields`).
    func matchesNodeAffinity(_ node: NodeInfo) -> Bool {
        for (key, value) in spec.nodeSelector ?? [:] where node.labels[key] != value { return false }
        guard let required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution else { return true }
        return required.nodeSelectorTerms.contains { $0.matches(nodeName: node.name, labels: node.labels) }
    }

    /// The first NoSchedule/NoExecute taint of the node the pod does not tolerate.
    func untoleratedTaint(_ node: NodeInfo) -> Taint? {
        tolerations.firstUntolerated(node.taints) { $0.effect == "NoSchedule" || $0.effect == "NoExecute" }
    }
}
