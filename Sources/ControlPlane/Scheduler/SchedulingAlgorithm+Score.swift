import Foundation
import KubeAPI

/// Scoring with the default profile's plugins and weights: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
/// InterPodAffinity 2, NodeResourcesFit (LeastAllocated) 1, NodeResourcesBalancedAllocation 1, ImageLocality 1.
/// Each plugin scores 0…100 after its own normalization; a node's total is the weighted sum.
extension SchedulingAlgorithm {
    static let maxNodeScore: Int64 = 100

    /// Total scores of the feasible nodes, in the order given.
    func score(_ feasible: [Int]) -> [Int64] {
        let nodes = feasible.map { cache.nodes[$0] }
        var total = [Int64](repeating: 0, count: nodes.count)
        func add(_ scores: [Int64], weight: Int64) {
            for i in scores.indices { total[i] += scores[i] * weight }
        }
        add(taintTolerationScores(nodes), weight: 3)
        if !pod.preferredNodeAffinity.isEmpty { add(nodeAffinityScores(nodes), weight: 2) }
        // A pod without constraints of its own is spread by the system defaults (`defaultingType: System`).
        let systemDefaulted = pod.spreadConstraints.isEmpty
        let soft = systemDefaulted ? cache.workloads.defaultSpreadConstraints(for: pod) : pod.spreadConstraints.filter { !$0.hardConstraint }
        if !soft.isEmpty { add(topologySpreadScores(nodes, constraints: soft, requireAllTopologies: !systemDefaulted), weight: 2) }
        if !pod.info.preferredAffinity.isEmpty || !pod.info.preferredAntiAffinity.isEmpty || cache.podsWithAffinity > 0 {
            add(interPodAffinityScores(nodes), weight: 2)
        }
        add(nodes.map(leastAllocatedScore), weight: 1)
        add(nodes.map(balancedAllocationScore), weight: 1)
        if !pod.images.isEmpty, !cache.imageNodeCount.isEmpty { add(nodes.map(imageLocalityScore), weight: 1) }
        return total
    }

    /// Upstream's `DefaultNormalizeScore`: scale to 0…100 by the maximum; `reverse` turns high counts into low scores.
    static func normalize(_ scores: [Int64], reverse: Bool) -> [Int64] {
        let maximum = scores.max() ?? 0
        if maximum == 0 { return scores.map { _ in reverse ? maxNodeScore : 0 } }
        return scores.map { score in
            let scaled = maxNodeScore * score / maximum
            return reverse ? maxNodeScore - scaled : scaled
        }
    }

    /// TaintToleration: intolerable PreferNoSchedule taints, fewer is better.
    func taintTolerationScores(_ nodes: [NodeInfo]) -> [Int64] {
        let tolerations = pod.tolerations.filter { ($0.effect ?? "").isEmpty || $0.effect == "PreferNoSchedule" }
        let counts = nodes.map { node in
            Int64(node.taints.filter { $0.effect == "PreferNoSchedule" && !tolerations.tolerate($0) }.count)
        }
        return Self.normalize(counts, reverse: true)
    }

    /// NodeAffinity: the summed weights of the preferred terms a node matches.
    func nodeAffinityScores(_ nodes: [NodeInfo]) -> [Int64] {
        let sums = nodes.map { node in
            pod.preferredNodeAffinity.reduce(Int64(0)) { sum, term in
                let expressions = term.preference.matchExpressions ?? [], fields = term.preference.matchFields ?? []
                guard term.weight != 0, !expressions.isEmpty || !fields.isEmpty else { return sum }
                let matches = expressions.allSatisfy { $0.matches(node.labels[$0.key]) }
                    && fields.allSatisfy { $0.key == "metadata.name" && $0.matches(node.name) }
                return matches ? sum + Int64(term.weight) : sum
            }
        }
        return Self.normalize(sums, reverse: false)
    }

    /// NodeResourcesFit with the LeastAllocated strategy: free share of cpu and memory after placing the pod.
    func leastAllocatedScore(_ node: NodeInfo) -> Int64 {
        func score(_ requested: Int64, _ capacity: Int64) -> Int64 {
            guard capacity > 0, requested <= capacity else { return 0 }
            return (capacity - requested) * Self.maxNodeScore / capacity
        }
        let cpu = score(node.nonZeroCPU + pod.info.nonZeroCPU, node.allocatable.milliCPU)
        let memory = score(node.nonZeroMemory + pod.info.nonZeroMemory, node.allocatable.memory)
        return (cpu + memory) / 2
    }

    /// NodeResourcesBalancedAllocation: how evenly cpu and memory would be used (1 − the standard deviation of the
    /// two fractions).
    func balancedAllocationScore(_ node: NodeInfo) -> Int64 {
        func fraction(_ requested: Int64, _ capacity: Int64) -> Double {
            guard capacity > 0 else { return 1 }
            return min(1, Double(requested) / Double(capacity))
        }
        let cpu = fraction(node.nonZeroCPU + pod.info.nonZeroCPU, node.allocatable.milliCPU)
        let memory = fraction(node.nonZeroMemory + pod.info.nonZeroMemory, node.allocatable.memory)
        let deviation = abs((cpu - memory) / 2)
        return Int64((1 - deviation) * Double(Self.maxNodeScore))
    }

    /// ImageLocality: the sizes of the pod's images already on the node, each scaled by the share of nodes that
    /// have it, clamped between 23 MiB and 1000 MiB per container.
    func imageLocalityScore(_ node: NodeInfo) -> Int64 {
        let mb: Int64 = 1024 * 1024
        let minimum = 23 * mb, maximum = 1000 * mb * Int64(pod.images.count)
        let total = max(1, cache.nodeCount)
        var sum: Int64 = 0
        for image in pod.images {
            guard let size = node.images[image] else { continue }
            sum += Int64(Double(size) * Double(cache.imageNodeCount[image] ?? 0) / Double(total))
        }
        sum = min(max(sum, minimum), maximum)
        return Self.maxNodeScore * (sum - minimum) / (maximum - minimum)
    }

    /// PodTopologySpread for the `ScheduleAnyway` constraints: fewer matching pods in a node's domains is better.
    /// With the pod's own constraints (`requireAllTopologies`) nodes lacking a topology key score 0; with the system
    /// defaults a node is scored by the constraints whose key it has (zones are optional).
    func topologySpreadScores(_ nodes: [NodeInfo], constraints soft: [PendingPod.SpreadConstraint], requireAllTopologies: Bool) -> [Int64] {
        let ignored = nodes.map { node in requireAllTopologies && !soft.allSatisfy { node.labels[$0.topologyKey] != nil } }
        // Domains among the scored nodes, for each constraint's weight (log of the domain count + 2).
        var weights: [Double] = []
        var counts: [[String: Int64]] = []
        for constraint in soft {
            var domains = Set<String>()
            for (i, node) in nodes.enumerated() where !ignored[i] {
                if let value = node.labels[constraint.topologyKey] { domains.insert(value) }
            }
            weights.append(log(Double(domains.count + 2)))
            var perDomain: [String: Int64] = [:]
            if constraint.topologyKey != "kubernetes.io/hostname" {
                for node in cache.nodes where TopologySpreadState.counts(node, constraints: soft, pod: pod, requireAllTopologies: requireAllTopologies) {
                    guard let value = node.labels[constraint.topologyKey], domains.contains(value) else { continue }
                    perDomain[value, default: 0] += TopologySpreadState.matching(node, constraint.selector, namespace: pod.info.namespace)
                }
            }
            counts.append(perDomain)
        }
        var raw = [Int64](repeating: 0, count: nodes.count)
        for (n, node) in nodes.enumerated() where !ignored[n] {
            var score = 0.0
            for (i, constraint) in soft.enumerated() {
                guard let value = node.labels[constraint.topologyKey] else { continue }
                let count = constraint.topologyKey == "kubernetes.io/hostname"
                    ? TopologySpreadState.matching(node, constraint.selector, namespace: pod.info.namespace)
                    : counts[i][value] ?? 0
                score += Double(count) * weights[i] + Double(constraint.maxSkew - 1)
            }
            raw[n] = Int64(score.rounded())
        }
        var minimum = Int64.max, maximum: Int64 = 0
        for (n, score) in raw.enumerated() where !ignored[n] {
            minimum = min(minimum, score)
            maximum = max(maximum, score)
        }
        return raw.enumerated().map { n, score in
            if ignored[n] { return 0 }
            if maximum == 0 { return Self.maxNodeScore }
            return Self.maxNodeScore * (maximum + minimum - score) / maximum
        }
    }

    /// InterPodAffinity: the incoming pod's preferred (anti-)affinity towards existing pods, and existing pods'
    /// preferred (anti-)affinity and required affinity (weight 1) towards it, summed per topology domain and
    /// scaled between the lowest and highest node.
    func interPodAffinityScores(_ nodes: [NodeInfo]) -> [Int64] {
        typealias Pair = InterPodAffinityState.Pair
        let info = pod.info
        let namespaces = cache.namespaceLabels
        let lookup: (String) -> [String: String]? = { namespaces[$0] }
        let incoming = !info.preferredAffinity.isEmpty || !info.preferredAntiAffinity.isEmpty
        var scores: [Pair: Int64] = [:]
        for node in cache.nodes where incoming || node.podsWithAffinity > 0 {
            for existing in node.pods.values where incoming || existing.hasAffinity {
                func add(_ term: AffinityTerm, _ weight: Int64) {
                    if let value = node.labels[term.topologyKey] { scores[Pair(key: term.topologyKey, value: value), default: 0] += weight }
                }
                for term in info.preferredAffinity where term.matches(existing, namespaceLabels: lookup) { add(term, term.weight) }
                for term in info.preferredAntiAffinity where term.matches(existing, namespaceLabels: lookup) { add(term, -term.weight) }
                for term in existing.requiredAffinity where term.matches(info, namespaceLabels: lookup) { add(term, 1) }
                for term in existing.preferredAffinity where term.matches(info, namespaceLabels: lookup) { add(term, term.weight) }
                for term in existing.preferredAntiAffinity where term.matches(info, namespaceLabels: lookup) { add(term, -term.weight) }
            }
        }
        let raw = nodes.map { node in
            scores.reduce(Int64(0)) { sum, entry in node.labels[entry.key.key] == entry.key.value ? sum + entry.value : sum }
        }
        guard let minimum = raw.min(), let maximum = raw.max(), maximum > minimum else { return raw.map { _ in 0 } }
        return raw.map { Int64(Double(Self.maxNodeScore) * Double($0 - minimum) / Double(maximum - minimum)) }
    }
}
