import KubeAPI

/// The kubelet's admission of a pod newly bound to its node (upstream's `canAdmitPod` over its admit handlers, in
/// their order): first the eviction manager's — under memory pressure no BestEffort pod unless it tolerates the
/// `memory-pressure` taint, under disk or PID pressure no pod; critical pods always — then the predicates the
/// scheduler also checks: the pod's `kubernetes.io/os` label and `spec.os`, requests against what the other active
/// pods left of allocatable, required node affinity, host ports, and NoExecute taints (not for static pods). A
/// pod bound straight to the node (`spec.nodeName`, no scheduler) or one the scheduler placed on stale facts is
/// refused here instead of overcommitting the node; the first failure is the rejection.
struct PodAdmission: Sendable {
    /// Why a pod is refused: upstream's reason (`OutOfcpu`, `NodeAffinity`, `Evicted` …) and message.
    struct Rejection: Error, Sendable, Hashable {
        var reason: String
        var message: String
    }

    /// The node as the kubelet last saw it: labels, taints and allocatable.
    var node: Node
    /// The pressure conditions the eviction manager holds now (MemoryPressure, DiskPressure, PIDPressure).
    var pressures: [String]
    /// The sysctls pods may set.
    var sysctls = SysctlAllowlist.safeOnly

    static let reasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector"
    static let reasonNodePorts = "node(s) didn't have free ports for the requested pod ports"
    static let reasonTaints = "node(s) had taints that the pod didn't tolerate"

    /// Nil when the pod may run next to `others` (the pods admitted before it that are still active).
    func check(_ pod: Pod, others: [Pod]) -> Rejection? {
        if let rejection = pressureRejection(pod) { return rejection }
        if let message = sysctls.forbidden(pod) { return Rejection(reason: "SysctlForbidden", message: message) }
        let labels = node.metadata.labels ?? [:]
        if let os = pod.metadata.labels?["kubernetes.io/os"], os != labels["kubernetes.io/os"] ?? "linux" {
            return Rejection(reason: "PodOSSelectorNodeLabelDoesNotMatch",
                             message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label")
        }
        if let os = pod.spec?.os, os.name != "linux" {
            return Rejection(reason: "PodOSNotSupported", message: "Failed to admit pod as the OS field doesn't match node OS")
        }
        if let shortfall = insufficientResource(pod, others: others) { return shortfall }
        if let spec = pod.spec, !spec.requiredNodeAffinityMatches(node) { return predicate("NodeAffinity", Self.reasonNodeAffinity) }
        let wanted = pod.spec?.hostPorts ?? []
        if !wanted.isEmpty {
            let used = others.flatMap { $0.spec?.hostPorts ?? [] }
            if wanted.contains(where: { port in used.contains { port.conflicts(with: $0) } }) { return predicate("NodePorts", Self.reasonNodePorts) }
        }
        if !pod.isStatic, (pod.spec?.tolerations ?? []).firstUntolerated(node.spec?.taints ?? [], where: { $0.effect == "NoExecute" }) != nil {
            return predicate("TaintToleration", Self.reasonTaints)
        }
        return nil
    }

    /// The eviction manager's admission (its `Admit`).
    private func pressureRejection(_ pod: Pod) -> Rejection? {
        guard !pressures.isEmpty, !pod.isCritical else { return nil }
        if pressures == ["MemoryPressure"] {
            if QOSClass(pod) != .bestEffort { return nil }
            if (pod.spec?.tolerations ?? []).tolerate(Taint(key: Taint.memoryPressureKey, effect: "NoSchedule")) { return nil }
        }
        return Rejection(reason: EvictionManager.reason, message: "The node had condition: [\(pressures.joined(separator: " "))]. ")
    }

    private func predicate(_ name: String, _ reason: String) -> Rejection {
        Rejection(reason: name, message: "Predicate \(name) failed: \(reason)")
    }

    /// NodeResourcesFit's `fitsRequest` as the kubelet runs it: the pod count, then cpu (millicores), memory and
    /// ephemeral storage (bytes), then the other resources by name; extended resources the node does not have are
    /// not checked (they may be cluster-level). The first shortfall is the rejection, `OutOf<resource>`.
    private func insufficientResource(_ pod: Pod, others: [Pod]) -> Rejection? {
        let allocatable = node.status?.allocatable ?? [:]
        func shortfall(_ resource: String, requested: Int64, used: Int64, capacity: Int64) -> Rejection {
            Rejection(reason: "OutOf\(resource)",
                      message: "Node didn't have enough resource: \(resource), requested: \(requested), used: \(used), capacity: \(capacity)")
        }
        let allowedPods = allocatable["pods"]?.value ?? 0
        if others.count + 1 > allowedPods {
            return shortfall("pods", requested: 1, used: Int64(others.count), capacity: allowedPods)
        }
        let requests = QuotaUsage.podRequests(pod.spec).filter { $0.value.sign > 0 }
        guard !requests.isEmpty else { return nil }
        var used: [String: Quantity] = [:]
        for other in others {
            for (name, amount) in QuotaUsage.podRequests(other.spec) { used[name, default: .zero] += amount }
        }
        func amount(_ quantity: Quantity?, of resource: String) -> Int64 {
            resource == "cpu" ? quantity?.milliValue ?? 0 : quantity?.value ?? 0
        }
        let named = ["cpu", "memory", "ephemeral-storage"]
        let scalar = requests.keys.filter { !named.contains($0) && (allocatable[$0] != nil || !QuotaUsage.isExtendedResource($0)) }.sorted()
        for resource in named + scalar {
            let requested = amount(requests[resource], of: resource)
            guard requested > 0 else { continue }
            let capacity = amount(allocatable[resource], of: resource), taken = amount(used[resource], of: resource)
            if requested > capacity - taken { return shortfall(resource, requested: requested, used: taken, capacity: capacity) }
        }
        return nil
    }
}

extension Pod {
    /// A pod from the kubelet's manifest directory (its API object is a mirror).
    var isStatic: Bool { (metadata.annotations?[StaticPodSource.sourceAnnotation]).map { $0 != "api" } ?? false }

    /// The API server's copy of a static pod.
    var isMirror: Bool { metadata.annotations?[StaticPodSource.mirrorAnnotation] != nil }

    /// Upstream's `IsCriticalPod`: static and mirror pods, and pods of at least `system-cluster-critical`'s priority;
    /// admitted under pressure and never evicted.
    var isCritical: Bool { isStatic || isMirror || (spec?.priority ?? 0) >= PriorityClass.systemCriticalPriority }
}
