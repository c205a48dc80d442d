import KubeAPI

/// What the scheduler knows about one node: the parts of the Node it filters and scores on, and the pods placed
/// there (bound, or assumed by this scheduler while the binding is in flight) with their sums (upstream's
/// `framework.NodeInfo`).
struct NodeInfo: Sendable {
    var name: String
    /// Whether the Node object exists (a pod can be bound to a node the cache has not seen yet).
    var exists = false
    var labels: [String: String] = [:]
    var allocatable = Resources()
    var allowedPods: Int64 = 0
    /// The node's taints, plus the not-ready / unreachable NoSchedule taint the node lifecycle controller puts on a
    /// node whose Ready condition is not True (so a pod lands there only if it tolerates it, even before the
    /// controller has written the taint).
    var taints: [Taint] = []
    var unschedulable = false
    /// Image name → size, from `status.images`.
    var images: [String: Int64] = [:]

    var pods: [String: PodInfo] = [:]
    var requested = Resources()
    var nonZeroCPU: Int64 = 0
    var nonZeroMemory: Int64 = 0
    var usedPorts: [HostPort] = []
    /// Pods here with any inter-pod affinity term / with a required anti-affinity term.
    var podsWithAffinity = 0
    var podsWithRequiredAntiAffinity = 0

    init(name: String) { self.name = name }

    /// Takes the scheduling-relevant parts of `node`; returns whether any of them changed (a reason to retry
    /// unschedulable pods).
    @discardableResult
    mutating func setNode(_ node: Node) -> Bool {
        let before = (exists, labels, allocatable, allowedPods, taints, unschedulable)
        exists = true
        labels = node.metadata.labels ?? [:]
        allocatable = Resources(node.status?.allocatable)
        allowedPods = node.status?.allocatable?["pods"]?.value ?? 0
        unschedulable = node.spec?.unschedulable ?? false
        var taints = node.spec?.taints ?? []
        let ready = node.status?.conditions?.first { $0.type == "Ready" }?.status
        if ready != "True" {
            let key = ready == "False" ? Taint.notReadyKey : Taint.unreachableKey
            if !taints.contains(where: { $0.key == key && $0.effect == "NoSchedule" }) {
                taints.append(Taint(key: key, effect: "NoSchedule"))
            }
        }
        self.taints = taints
        var images: [String: Int64] = [:]
        for image in node.status?.images ?? [] {
            for name in image.names ?? [] { images[Self.normalizedImageName(name)] = image.sizeBytes ?? 0 }
        }
        self.images = images
        return before.0 != exists || before.1 != labels || before.2 != allocatable || before.3 != allowedPods
            || before.4 != taints || before.5 != unschedulable
    }

    /// `name:latest` for an image named without tag or digest, as upstream's ImageLocality normalizes.
    static func normalizedImageName(_ name: String) -> String {
        let lastComponent = name.split(separator: "/").last ?? ""
        if name.contains("@") || lastComponent.contains(":") { return name }
        return name + ":latest"
    }

    mutating func add(_ pod: PodInfo) {
        if let old = pods[pod.uid] { remove(old) }
        pods[pod.uid] = pod
        requested.add(pod.requests)
        nonZeroCPU += pod.nonZeroCPU
        nonZeroMemory += pod.nonZeroMemory
        usedPorts += pod.hostPorts
        if pod.hasAffinity { podsWithAffinity += 1 }
        if !pod.requiredAntiAffinity.isEmpty { podsWithRequiredAntiAffinity += 1 }
    }

    mutating func remove(_ pod: PodInfo) {
        guard let old = pods.removeValue(forKey: pod.uid) else { return }
        requested.subtract(old.requests)
        nonZeroCPU -= old.nonZeroCPU
        nonZeroMemory -= old.nonZeroMemory
        for port in old.hostPorts {
            if let index = usedPorts.firstIndex(of: port) { usedPorts.remove(at: index) }
        }
        if old.hasAffinity { podsWithAffinity -= 1 }
        if !old.requiredAntiAffinity.isEmpty { podsWithRequiredAntiAffinity -= 1 }
    }
}
