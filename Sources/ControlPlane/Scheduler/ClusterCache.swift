import KubeAPI

/// The scheduler's view of the cluster (upstream's scheduler cache and snapshot in one, since scheduling runs on
/// one actor): nodes in a stable order with the pods on each, pods this scheduler assumed on a node before the
/// API server confirmed the binding, namespace labels for affinity namespace selectors, and the selectors of
/// Services and ReplicaSets for the default topology spreading.
struct ClusterCache: Sendable {
    /// Nodes in the order the scheduler walks them; `index` maps a name to its position. Pods bound to a node the
    /// cache has not seen yet wait in `orphans`.
    private(set) var nodes: [NodeInfo] = []
    private var index: [String: Int] = [:]
    private var orphans: [String: NodeInfo] = [:]
    /// Node name of every placed pod, by UID.
    private var placement: [String: String] = [:]
    /// UIDs of pods assumed by this scheduler and not yet seen bound through the watch.
    private(set) var assumed: Set<String> = []
    private(set) var namespaceLabels: [String: [String: String]] = [:]
    var workloads = WorkloadSelectors()
    /// Claims, volumes and classes for the VolumeBinding filter.
    var volumes = VolumeCache()
    /// UIDs of the placed pods using each claim (`namespace/name`), for VolumeRestrictions' ReadWriteOncePod check.
    private(set) var claimUsers: [String: Set<String>] = [:]
    /// Placed pods with any affinity term, and with a required anti-affinity term, cluster-wide (fast paths when 0).
    private(set) var podsWithAffinity = 0
    private(set) var podsWithRequiredAntiAffinity = 0
    /// How many nodes have each image (ImageLocality spreads the score by it).
    private(set) var imageNodeCount: [String: Int] = [:]

    /// Pods waiting for a node a preemption freed (`status.nominatedNodeName`), by node then UID: filters count them
    /// there for pods of lower or equal priority.
    private(set) var nominated: [String: [String: PodInfo]] = [:]
    private var nominatedNode: [String: String] = [:]
    /// PodDisruptionBudgets by namespace/name, for choosing preemption victims.
    var budgets: [String: DisruptionBudget] = [:]

    var nodeCount: Int { nodes.count }
    var placedPodCount: Int { placement.count }

    func node(named name: String) -> NodeInfo? { index[name].map { nodes[$0] } }

    // MARK: Nodes

    /// Adds or updates a node; returns whether something the filters look at changed.
    @discardableResult
    mutating func setNode(_ node: Node) -> Bool {
        guard let name = node.metadata.name else { return false }
        if let position = index[name] {
            countImages(of: nodes[position], by: -1)
            let changed = nodes[position].setNode(node)
            countImages(of: nodes[position], by: 1)
            return changed
        }
        var info = orphans.removeValue(forKey: name) ?? NodeInfo(name: name)
        info.setNode(node)
        index[name] = nodes.count
        nodes.append(info)
        countImages(of: info, by: 1)
        return true
    }

    /// Removes a node; its pods stay accounted for under the name in case it comes back.
    mutating func removeNode(named name: String) {
        guard let position = index.removeValue(forKey: name) else { return }
        var info = nodes[position]
        countImages(of: info, by: -1)
        let last = nodes.count - 1
        if position != last {
            nodes[position] = nodes[last]
            index[nodes[position].name] = position
        }
        nodes.removeLast()
        if !info.pods.isEmpty {
            info.exists = false
            orphans[name] = info
        }
    }

    private mutating func countImages(of info: NodeInfo, by delta: Int) {
        for image in info.images.keys { imageNodeCount[image, default: 0] += delta }
    }

    // MARK: Pods

    /// Records `pod` on its node (`pod.nodeName`), replacing an earlier version of it wherever that was.
    mutating func place(_ pod: PodInfo) {
        remove(uid: pod.uid)
        placement[pod.uid] = pod.nodeName
        update(node: pod.nodeName) { $0.add(pod) }
        for claim in pod.claims { claimUsers[claim, default: []].insert(pod.uid) }
        if pod.hasAffinity { podsWithAffinity += 1 }
        if !pod.requiredAntiAffinity.isEmpty { podsWithRequiredAntiAffinity += 1 }
    }

    /// Places a pod this scheduler is binding, before the API server has confirmed it.
    mutating func assume(_ pod: PodInfo) {
        place(pod)
        assumed.insert(pod.uid)
    }

    /// The binding was confirmed through the watch.
    mutating func confirm(uid: String) { assumed.remove(uid) }

    /// Removes a placed (or assumed) pod; returns it if it was placed.
    @discardableResult
    mutating func remove(uid: String) -> PodInfo? {
        assumed.remove(uid)
        guard let nodeName = placement.removeValue(forKey: uid) else { return nil }
        var removed: PodInfo?
        update(node: nodeName) { info in
            removed = info.pods[uid]
            if let pod = removed { info.remove(pod) }
        }
        if let removed {
            for claim in removed.claims {
                claimUsers[claim]?.remove(uid)
                if claimUsers[claim]?.isEmpty == true { claimUsers[claim] = nil }
            }
            if removed.hasAffinity { podsWithAffinity -= 1 }
            if !removed.requiredAntiAffinity.isEmpty { podsWithRequiredAntiAffinity -= 1 }
        }
        return removed
    }

    func isPlaced(uid: String) -> Bool { placement[uid] != nil }

    // MARK: Nominated pods

    /// Records `pod` as nominated to `node` (nil: no longer nominated anywhere).
    mutating func nominate(_ pod: PodInfo, on node: String?) {
        clearNomination(uid: pod.uid)
        guard let node, !node.isEmpty else { return }
        nominatedNode[pod.uid] = node
        nominated[node, default: [:]][pod.uid] = pod
    }

    func nominatedNode(of uid: String) -> String? { nominatedNode[uid] }

    mutating func clearNomination(uid: String) {
        guard let old = nominatedNode.removeValue(forKey: uid) else { return }
        nominated[old]?[uid] = nil
        if nominated[old]?.isEmpty == true { nominated[old] = nil }
    }

    private mutating func update(node name: String, _ body: (inout NodeInfo) -> Void) {
        if let position = index[name] {
            body(&nodes[position])
        } else {
            var info = orphans[name] ?? NodeInfo(name: name)
            body(&info)
            orphans[name] = info.pods.isEmpty ? nil : info
        }
    }

    // MARK: Namespaces

    mutating func setNamespace(_ name: String, labels: [String: String]?) { namespaceLabels[name] = labels ?? [:] }
    mutating func removeNamespace(_ name: String) { namespaceLabels[name] = nil }
}
