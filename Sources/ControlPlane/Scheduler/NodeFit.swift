import KubeAPI

/// The scheduler's filters for one pod on one node, each with upstream's reason text for the
/// "0/3 nodes are available: …" message: node readiness and unschedulable, taints, nodeSelector and
/// required node affinity, resources (cpu, memory, pods) and host ports.
struct NodeFit {
    let pod: Pod
    /// The pods already bound to the node (not terminated), including ones this scheduler just assumed.
    let podsOnNode: [Pod]

    /// nil when the pod fits, else the reason it does not.
    func reason(_ node: Node) -> String? {
        let tolerations = pod.spec?.tolerations ?? []
        // A node that is not Ready carries (or is about to carry) the node lifecycle controller's not-ready or
        // unreachable NoSchedule taint; only pods tolerating it may land there.
        let ready = node.status?.conditions?.first { $0.type == "Ready" }?.status
        if ready != "True" {
            let key = ready == "Unknown" ? Taint.unreachableKey : Taint.notReadyKey
            if !tolerations.tolerate(Taint(key: key, effect: "NoSchedule")) { return "node(s) were not ready" }
        }
        if node.spec?.unschedulable == true, !tolerations.tolerate(Taint(key: Taint.unschedulableKey, effect: "NoSchedule")) {
            return "node(s) were unschedulable"
        }
        if let taint = tolerations.firstUntolerated(node.spec?.taints ?? [], where: { $0.effect == "NoSchedule" || $0.effect == "NoExecute" }) {
            return "node(s) had untolerated taint {\(taint.key): \(taint.value ?? "")}"
        }
        if let spec = pod.spec, !spec.requiredNodeAffinityMatches(node) {
            return "node(s) didn't match Pod's node affinity/selector"
        }
        let allocatable = node.status?.allocatable ?? [:]
        let used = podsOnNode.map { Self.requests($0) }.reduce(into: [String: Int64]()) { total, requests in
            for (resource, value) in requests { total[resource, default: 0] += value }
        }
        if let pods = allocatable["pods"]?.value, Int64(podsOnNode.count) + 1 > pods { return "Too many pods" }
        for (resource, wanted) in Self.requests(pod) where wanted > 0 {
            guard let capacity = allocatable[resource] else { continue }
            let limit = resource == "cpu" ? capacity.milliValue : capacity.value
            if used[resource, default: 0] + wanted > limit { return "Insufficient \(resource)" }
        }
        let takenPorts = Set(podsOnNode.flatMap(Self.hostPorts))
        if Self.hostPorts(pod).contains(where: takenPorts.contains) {
            return "node(s) didn't have free ports for the requested pod ports"
        }
        return nil
    }

    /// How much of the node stays free after placing the pod (0…100, upstream's LeastAllocated score over
    /// cpu and memory); higher is better. As upstream, a container that requests no cpu or memory counts as
    /// 100m / 200 MiB here (only for scoring), so pods without requests still spread over the nodes.
    func score(_ node: Node) -> Int64 {
        let allocatable = node.status?.allocatable ?? [:]
        var total: Int64 = 0, count: Int64 = 0
        for resource in ["cpu", "memory"] {
            guard let capacity = allocatable[resource] else { continue }
            let limit = resource == "cpu" ? capacity.milliValue : capacity.value
            guard limit > 0 else { continue }
            let requested = (podsOnNode + [pod]).map { Self.requests($0, nonZero: true)[resource] ?? 0 }.reduce(0, +)
            total += max(0, (limit - requested) * 100 / limit)
            count += 1
        }
        return count == 0 ? 0 : total / count
    }

    /// Upstream's defaults for a container without a cpu / memory request when scoring
    /// (`DefaultMilliCPURequest`, `DefaultMemoryRequest` in kube-scheduler's util).
    static let defaultMilliCPURequest: Int64 = 100
    static let defaultMemoryRequest: Int64 = 200 << 20

    /// A pod's effective requests (cpu in millicores, memory in bytes): the larger of the sum over its
    /// containers and the largest init container, plus overhead, as upstream computes them. With `nonZero`
    /// an unset cpu or memory request counts as upstream's scoring default (an explicit 0 stays 0).
    static func requests(_ pod: Pod, nonZero: Bool = false) -> [String: Int64] {
        func amounts(_ container: Container) -> [String: Int64] {
            let requests = (container.resources?.requests ?? [:]).merging(container.resources?.limits ?? [:]) { request, _ in request }
            return ["cpu": requests["cpu"]?.milliValue ?? (nonZero ? defaultMilliCPURequest : 0),
                    "memory": requests["memory"]?.value ?? (nonZero ? defaultMemoryRequest : 0)]
        }
        var total = (pod.spec?.containers ?? []).map(amounts).reduce(into: [String: Int64]()) { sum, amounts in
            for (key, value) in amounts { sum[key, default: 0] += value }
        }
        for initContainer in pod.spec?.initContainers ?? [] {
            for (key, value) in amounts(initContainer) { total[key] = max(total[key] ?? 0, value) }
        }
        for (key, value) in pod.spec?.overhead ?? [:] { total[key, default: 0] += key == "cpu" ? value.milliValue : value.value }
        return total
    }

    static func hostPorts(_ pod: Pod) -> [String] {
        (pod.spec?.containers ?? []).flatMap { $0.ports ?? [] }.compactMap { port in
            guard let hostPort = port.hostPort, hostPort > 0 else { return nil }
            return "\(port.protocol ?? "TCP")/\(port.hostIP ?? "0.0.0.0")/\(hostPort)"
        }
    }
}
