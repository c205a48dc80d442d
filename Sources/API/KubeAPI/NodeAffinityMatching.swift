import Foundation

/// Matching of node selectors against nodes, as upstream's `component-helpers/scheduling/corev1/nodeaffinity`
/// does it for the scheduler and the DaemonSet controller alike.
extension NodeSelectorRequirement {
    /// Whether a label (or field) value satisfies the requirement; `nil` is an absent label. An unknown operator
    /// or a malformed `Gt`/`Lt` number matches nothing.
    public func matches(_ value: String?) -> Bool {
        let values = self.values ?? []
        switch self.operator {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return !(value.map(values.contains) ?? false)
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard values.count == 1, let bound = Int64(values[0]), let number = value.flatMap({ Int64($0) }) else { return false }
            return self.operator == "Gt" ? number > bound : number < bound
        default: return false
        }
    }
}

extension NodeSelectorTerm {
    /// Whether every expression matches the node's labels and every field requirement its fields; only
    /// `metadata.name` is a field. An empty term matches no node.
    public func matches(_ node: Node) -> Bool {
        matches(nodeName: node.metadata.name ?? "", labels: node.metadata.labels ?? [:])
    }

    /// The same for a node known by its name and labels (the scheduler's cache keeps no Node objects).
    public func matches(nodeName: String, labels: [String: String]) -> Bool {
        let expressions = matchExpressions ?? [], fields = matchFields ?? []
        guard !expressions.isEmpty || !fields.isEmpty else { return false }
        return expressions.allSatisfy { $0.matches(labels[$0.key]) }
            && fields.allSatisfy { $0.key == "metadata.name" && $0.matches(nodeName) }
    }
}

extension NodeSelector {
    /// Whether some term matches the node (the terms are ORed).
    public func matches(_ node: Node) -> Bool { nodeSelectorTerms.contains { $0.matches(node) } }
}

extension PodSpec {
    /// Whether the node satisfies the pod's `nodeSelector` and its required node affinity (upstream's
    /// `GetRequiredNodeAffinity(pod).Match(node)`).
    public func requiredNodeAffinityMatches(_ node: Node) -> Bool {
        let labels = node.metadata.labels ?? [:]
        for (key, value) in nodeSelector ?? [:] where labels[key] != value { return false }
        if let required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution {
            return required.matches(node)
        }
        return true
    }
}
