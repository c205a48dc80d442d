import KubeAPI

/// Why one node does not fit a pod: upstream's filter status reasons, and whether preemption could help
/// (`Unschedulable`) or not (`UnschedulableAndUnresolvable`).
struct FilterFailure: Sendable, Hashable {
    var reasons: [String]
    var unresolvable: Bool

    static func unresolvable(_ reason: String) -> FilterFailure { FilterFailure(reasons: [reason], unresolvable: true) }
    static func resolvable(_ reason: String) -> FilterFailure { FilterFailure(reasons: [reason], unresolvable: false) }
}

/// One scheduling cycle for one pod over a `ClusterCache`, with kube-scheduler's default profile: the filters
/// NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, VolumeRestrictions
/// (ReadWriteOncePod only), VolumeBinding, VolumeZone,
/// PodTopologySpread and InterPodAffinity in that order (the first failing one decides a node's reason), and the scores of
/// `SchedulingAlgorithm+Score.swift`. Like upstream it stops filtering once it has found
/// `numFeasibleNodesToFind` nodes, starting where the previous cycle stopped, so large clusters are not
/// walked in full for every pod.
struct SchedulingAlgorithm {
    let pod: PendingPod
    let cache: ClusterCache
    /// PodTopologySpread's pre-filter state: for each hard constraint, matching pods per topology value.
    private(set) var spread: TopologySpreadState?
    /// InterPodAffinity's pre-filter state.
    private(set) var affinity: InterPodAffinityState?
    /// VolumeBinding's pre-filter state (nil for pods without claims).
    private(set) var volumes: VolumeBindingState?

    static let reasonUnschedulable = "node(s) were unschedulable"
    static let reasonNodeName = "node(s) didn't match the requested node name"
    static let reasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector"
    static let reasonNodePorts = "node(s) didn't have free ports for the requested pod ports"
    static let reasonTooManyPods = "Too many pods"
    static let reasonSpreadConstraints = "node(s) didn't match pod topology spread constraints"
    static let reasonSpreadMissingLabel = "node(s) didn't match pod topology spread constraints (missing required label)"
    static let reasonAffinityRules = "node(s) didn't match pod affinity rules"
    static let reasonAntiAffinityRules = "node(s) didn't match pod anti-affinity rules"
    static let reasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules"

    init(pod: PendingPod, cache: ClusterCache) {
        self.pod = pod
        self.cache = cache
        let hard = pod.spreadConstraints.filter(\.hardConstraint)
        spread = hard.isEmpty ? nil : TopologySpreadState(constraints: hard, pod: pod, cache: cache)
        let needsAffinity = !pod.info.requiredAffinity.isEmpty || !pod.info.requiredAntiAffinity.isEmpty
            || cache.podsWithRequiredAntiAffinity > 0
        affinity = needsAffinity ? InterPodAffinityState(pod: pod, cache: cache) : nil
        volumes = VolumeBindingState(pod: pod, cache: cache)
    }

    /// Upstream's `numFeasibleNodesToFind` with the default `percentageOfNodesToScore` (adaptive: 50% minus one
    /// point per 125 nodes, at least 5%, at least 100 nodes).
    static func numFeasibleNodesToFind(_ nodes: Int) -> Int {
        let minimum = 100
        if nodes < minimum { return nodes }
        let percentage = max(5, 50 - nodes / 125)
        return max(minimum, nodes * percentage / 100)
    }

    /// Filters nodes from `start` (wrapping) until enough feasible ones are found. Returns the feasible nodes'
    /// positions, how many nodes were looked at, and — only when none fits — every node's failure.
    func findFeasibleNodes(start: Int) -> (feasible: [Int], processed: Int, failures: [(position: Int, failure: FilterFailure)]) {
        let count = cache.nodeCount
        guard count > 0 else { return ([], 0, []) }
        let wanted = Self.numFeasibleNodesToFind(count)
        var feasible: [Int] = []
        feasible.reserveCapacity(wanted)
        var failures: [(position: Int, failure: FilterFailure)] = []
        var processed = 0
        while processed < count, feasible.count < wanted {
            let position = (start + processed) % count
            processed += 1
            if let failure = filter(cache.nodes[position]) {
                failures.append((position, failure))
            } else {
                feasible.append(position)
            }
        }
        return (feasible, processed, feasible.isEmpty ? failures : [])
    }

    /// Runs the filters in upstream's order; nil when the node fits.
    func filter(_ node: NodeInfo, ignoring removed: Set<String> = []) -> FilterFailure? {
        let info = pod.info
        // NodeUnschedulable
        if node.unschedulable, !pod.tolerations.tolerate(Taint(key: Taint.unschedulableKey, effect: "NoSchedule")) {
            return .unresolvable(Self.reasonUnschedulable)
        }
        // NodeName
        if let wanted = pod.spec.nodeName, !wanted.isEmpty, wanted != node.name { return .unresolvable(Self.reasonNodeName) }
        // TaintToleration
        if let taint = pod.untoleratedTaint(node) {
            return .unresolvable("node(s) had untolerated taint {\(taint.key): \(taint.value ?? "")}")
        }
        // NodeAffinity
        if !pod.matchesNodeAffinity(node) { return .unresolvable(Self.reasonNodeAffinity) }
        // NodePorts
        if !info.hostPorts.isEmpty {
            let used = (removed.isEmpty ? node.usedPorts : node.pods.values.filter { !removed.contains($0.uid) }.flatMap(\.hostPorts))
                + nominatedPods(on: node).flatMap(\.hostPorts)
            if info.hostPorts.contains(where: { wanted in used.contains { wanted.conflicts(with: $0) } }) {
                return .resolvable(Self.reasonNodePorts)
            }
        }
        // NodeResourcesFit
        if let reasons = insufficientResources(node, ignoring: removed) { return FilterFailure(reasons: reasons, unresolvable: false) }
        // VolumeRestrictions (ReadWriteOncePod), VolumeBinding
        if let volumes {
            if let failure = volumes.readWriteOncePodConflict(ignoring: removed) { return failure }
            if case .failure(let failure) = volumes.plan(for: node) { return failure }
            // VolumeZone
            if let failure = volumes.volumeZoneConflict(node) { return failure }
        }
        // PodTopologySpread
        if let spread, let failure = spread.filter(node, pod: pod) { return failure }
        // InterPodAffinity
        if let affinity, let failure = affinity.filter(node) { return failure }
        return nil
    }

    /// Other pods nominated to `node` whose priority is at least this pod's.
    func nominatedPods(on node: NodeInfo) -> [PodInfo] {
        guard let here = cache.nominated[node.name] else { return [] }
        return here.values.filter { $0.uid != pod.info.uid && $0.priority >= pod.info.priority }
    }

    /// NodeResourcesFit's `fitsRequest`: pod count, then every resource the pod requests; all shortfalls are reasons.
    private func insufficientResources(_ node: NodeInfo, ignoring removed: Set<String>) -> [String]? {
        var podCount = Int64(node.pods.count)
        var requested = node.requested
        if !removed.isEmpty {
            for uid in removed {
                guard let pod = node.pods[uid] else { continue }
                podCount -= 1
                requested.subtract(pod.requests)
            }
        }
        // Pods nominated here by a preemption, of at least this pod's priority, hold their place (upstream's
        // RunFilterPluginsWithNominatedPods).
        for other in nominatedPods(on: node) {
            podCount += 1
            requested.add(other.requests)
        }
        var reasons: [String] = []
        if podCount + 1 > node.allowedPods { reasons.append(Self.reasonTooManyPods) }
        let wanted = pod.info.requests
        if wanted.isZero { return reasons.isEmpty ? nil : reasons }
        let allocatable = node.allocatable
        if wanted.milliCPU > 0, wanted.milliCPU > allocatable.milliCPU - requested.milliCPU { reasons.append("Insufficient cpu") }
        if wanted.memory > 0, wanted.memory > allocatable.memory - requested.memory { reasons.append("Insufficient memory") }
        if wanted.ephemeralStorage > 0, wanted.ephemeralStorage > allocatable.ephemeralStorage - requested.ephemeralStorage {
            reasons.append("Insufficient ephemeral-storage")
        }
        for (name, amount) in wanted.scalar.sorted(by: { $0.key < $1.key }) where amount > 0 {
            if amount > (allocatable.scalar[name] ?? 0) - (requested.scalar[name] ?? 0) { reasons.append("Insufficient \(name)") }
        }
        return reasons.isEmpty ? nil : reasons
    }
}

/// PodTopologySpread's pre-filter state for the hard (`DoNotSchedule`) constraints: how many matching pods each
/// topology domain holds, over the nodes that count (node inclusion policies, all topology keys present).
struct TopologySpreadState {
    var constraints: [PendingPod.SpreadConstraint]
    /// Per constraint: topology value → matching pods.
    var counts: [[String: Int64]]

    init(constraints: [PendingPod.SpreadConstraint], pod: PendingPod, cache: ClusterCache) {
        self.constraints = constraints
        counts = Array(repeating: [:], count: constraints.count)
        for node in cache.nodes {
            guard Self.counts(node, constraints: constraints, pod: pod) else { continue }
            for (i, constraint) in constraints.enumerated() {
                let value = node.labels[constraint.topologyKey]!
                counts[i][value, default: 0] += Self.matching(node, constraint.selector, namespace: pod.info.namespace)
            }
        }
    }

    /// Whether a node takes part in the spread: it passes the inclusion policies (upstream evaluates those of the
    /// first constraint for all of them) and, unless the constraints are the system defaults, has every
    /// constraint's topology key.
    static func counts(_ node: NodeInfo, constraints: [PendingPod.SpreadConstraint], pod: PendingPod,
                       requireAllTopologies: Bool = true) -> Bool {
        guard let first = constraints.first else { return false }
        if first.honorNodeAffinity, !pod.matchesNodeAffinity(node) { return false }
        if first.honorNodeTaints, pod.untoleratedTaint(node) != nil { return false }
        return !requireAllTopologies || constraints.allSatisfy { node.labels[$0.topologyKey] != nil }
    }

    /// Pods on the node in `namespace`, not terminating, whose labels match.
    static func matching(_ node: NodeInfo, _ selector: LabelSelectorExpression, namespace: String) -> Int64 {
        var count: Int64 = 0
        for pod in node.pods.values where !pod.terminating && pod.namespace == namespace && selector.matches(pod.labels) { count += 1 }
        return count
    }

    func filter(_ node: NodeInfo, pod: PendingPod) -> FilterFailure? {
        for (i, constraint) in constraints.enumerated() {
            guard let value = node.labels[constraint.topologyKey] else {
                return .unresolvable(SchedulingAlgorithm.reasonSpreadMissingLabel)
            }
            let selfMatch: Int64 = constraint.selector.matches(pod.info.labels) ? 1 : 0
            let domains = counts[i]
            // Fewer eligible domains than minDomains: the global minimum counts as 0.
            let minimum = domains.count < constraint.minDomains ? 0 : (domains.values.min() ?? 0)
            let skew = (domains[value] ?? 0) + selfMatch - minimum
            if skew > constraint.maxSkew { return .resolvable(SchedulingAlgorithm.reasonSpreadConstraints) }
        }
        return nil
    }
}

/// InterPodAffinity's pre-filter state: counts per topology pair of existing pods matching the incoming pod's
/// required affinity terms (all of them) and anti-affinity terms (each), and of existing pods whose required
/// anti-affinity terms match the incoming pod.
struct InterPodAffinityState {
    struct Pair: Hashable { var key: String; var value: String }
    let pod: PendingPod
    var affinityCounts: [Pair: Int64] = [:]
    var antiAffinityCounts: [Pair: Int64] = [:]
    var existingAntiAffinityCounts: [Pair: Int64] = [:]

    init(pod: PendingPod, cache: ClusterCache) {
        self.pod = pod
        let info = pod.info
        let namespaces = cache.namespaceLabels
        let lookup: (String) -> [String: String]? = { namespaces[$0] }
        let incomingTerms = !info.requiredAffinity.isEmpty || !info.requiredAntiAffinity.isEmpty
        for node in cache.nodes {
            guard incomingTerms || node.podsWithRequiredAntiAffinity > 0 else { continue }
            for existing in node.pods.values {
                for term in existing.requiredAntiAffinity where term.matches(info, namespaceLabels: lookup) {
                    if let value = node.labels[term.topologyKey] { existingAntiAffinityCounts[Pair(key: term.topologyKey, value: value), default: 0] += 1 }
                }
                guard incomingTerms else { continue }
                if !info.requiredAffinity.isEmpty, info.requiredAffinity.allSatisfy({ $0.matches(existing, namespaceLabels: lookup) }) {
                    for term in info.requiredAffinity {
                        if let value = node.labels[term.topologyKey] { affinityCounts[Pair(key: term.topologyKey, value: value), default: 0] += 1 }
                    }
                }
                for term in info.requiredAntiAffinity where term.matches(existing, namespaceLabels: lookup) {
                    if let value = node.labels[term.topologyKey] { antiAffinityCounts[Pair(key: term.topologyKey, value: value), default: 0] += 1 }
                }
            }
        }
        // A pod with affinity to pods like itself may be the first of them: with no match anywhere it may go
        // wherever the topology keys exist, if it matches its own terms.
        selfAffinityAllowed = affinityCounts.isEmpty
            && info.requiredAffinity.allSatisfy { $0.matches(info, namespaceLabels: lookup) }
    }

    private var selfAffinityAllowed = false

    func filter(_ node: NodeInfo) -> FilterFailure? {
        let info = pod.info
        // Required affinity: every term's topology key on the node, and matching pods in each term's domain.
        var podsExist = true
        for term in info.requiredAffinity {
            guard let value = node.labels[term.topologyKey] else { return .unresolvable(SchedulingAlgorithm.reasonAffinityRules) }
            if (affinityCounts[Pair(key: term.topologyKey, value: value)] ?? 0) <= 0 { podsExist = false }
        }
        if !podsExist, !selfAffinityAllowed { return .unresolvable(SchedulingAlgorithm.reasonAffinityRules) }
        for term in info.requiredAntiAffinity {
            if let value = node.labels[term.topologyKey], (antiAffinityCounts[Pair(key: term.topologyKey, value: value)] ?? 0) > 0 {
                return .resolvable(SchedulingAlgorithm.reasonAntiAffinityRules)
            }
        }
        if !existingAntiAffinityCounts.isEmpty {
            for (key, value) in node.labels where (existingAntiAffinityCounts[Pair(key: key, value: value)] ?? 0) > 0 {
                return .resolvable(SchedulingAlgorithm.reasonExistingAntiAffinity)
            }
        }
        return nil
    }
}
