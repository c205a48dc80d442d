import Foundation
import KubeAPI

/// Amounts of resources as the scheduler adds them up: cpu in millicores, memory and ephemeral storage in bytes,
/// everything else (extended resources, hugepages) by name in its base unit (upstream's `framework.Resource`).
struct Resources: Sendable, Hashable {
    var milliCPU: Int64 = 0
    var memory: Int64 = 0
    var ephemeralStorage: Int64 = 0
    var scalar: [String: Int64] = [:]

    init() {}

    /// From a `ResourceList` (`requests`, `overhead`, `allocatable`).
    init(_ list: [String: Quantity]?) {
        for (name, quantity) in list ?? [:] {
            switch name {
            case "cpu": milliCPU = quantity.milliValue
            case "memory": memory = quantity.value
            case "ephemeral-storage": ephemeralStorage = quantity.value
            case "pods": continue
            default: scalar[name] = quantity.value
            }
        }
    }

    var isZero: Bool { milliCPU == 0 && memory == 0 && ephemeralStorage == 0 && scalar.values.allSatisfy { $0 == 0 } }

    mutating func add(_ other: Resources) {
        milliCPU += other.milliCPU
        memory += other.memory
        ephemeralStorage += other.ephemeralStorage
        for (name, value) in other.scalar { scalar[name, default: 0] += value }
    }

    mutating func subtract(_ other: Resources) {
        milliCPU -= other.milliCPU
        memory -= other.memory
        ephemeralStorage -= other.ephemeralStorage
        for (name, value) in other.scalar { scalar[name, default: 0] -= value }
    }

    /// Each amount raised to at least `other`'s.
    mutating func raise(to other: Resources) {
        milliCPU = max(milliCPU, other.milliCPU)
        memory = max(memory, other.memory)
        ephemeralStorage = max(ephemeralStorage, other.ephemeralStorage)
        for (name, value) in other.scalar { scalar[name] = max(scalar[name] ?? 0, value) }
    }
}

/// A pod affinity term with its selectors parsed: which pods it selects (label selector and namespaces) and the
/// topology key whose domain they share.
struct AffinityTerm: Sendable {
    var selector: LabelSelectorExpression
    /// The namespaces named (or the pod's own when none are named and there is no namespace selector).
    var namespaces: Set<String>
    var namespaceSelector: LabelSelectorExpression?
    var topologyKey: String
    var weight: Int64

    /// Upstream's `AffinityTerm.Matches`: the pod is in one of the namespaces (named, or selected by the namespace
    /// selector through its namespace's labels) and its labels match.
    func matches(_ pod: PodInfo, namespaceLabels: (String) -> [String: String]?) -> Bool {
        if !namespaces.contains(pod.namespace) {
            guard let namespaceSelector, let labels = namespaceLabels(pod.namespace), namespaceSelector.matches(labels) else { return false }
        }
        return selector.matches(pod.labels)
    }

    init?(_ term: PodAffinityTerm, of pod: Pod, weight: Int64 = 1) {
        // matchLabelKeys / mismatchLabelKeys add `key in (value)` / `key notin (value)` of the pod's own labels.
        var selector = (try? LabelSelectorExpression(term.labelSelector)) ?? .nothing
        let labels = pod.metadata.labels ?? [:]
        var extra: [LabelSelectorExpression.Requirement] = []
        for key in term.matchLabelKeys ?? [] {
            if let value = labels[key], let requirement = try? LabelSelectorExpression.Requirement(key: key, operator: .in, values: [value]) {
                extra.append(requirement)
            }
        }
        for key in term.mismatchLabelKeys ?? [] {
            if let value = labels[key], let requirement = try? LabelSelectorExpression.Requirement(key: key, operator: .notIn, values: [value]) {
                extra.append(requirement)
            }
        }
        if !extra.isEmpty, !selector.matchesNothing { selector = LabelSelectorExpression(requirements: selector.requirements + extra) }
        self.selector = selector
        let named = Set(term.namespaces ?? [])
        namespaceSelector = term.namespaceSelector.flatMap { try? LabelSelectorExpression($0) }
        namespaces = named.isEmpty && namespaceSelector == nil ? [pod.metadata.namespace ?? "default"] : named
        topologyKey = term.topologyKey
        self.weight = weight
        guard !topologyKey.isEmpty else { return nil }
    }
}

/// What the scheduler keeps of a pod: identity, labels, the requests and ports it takes on its node, and its
/// inter-pod (anti-)affinity terms — not the whole object, so tens of thousands of pods stay cheap to hold.
struct PodInfo: Sendable {
    var uid: String
    var namespace: String
    var name: String
    var nodeName: String
    var labels: [String: String]
    var priority: Int32
    var terminating: Bool
    /// `status.startTime` (preemption spares the longest-running of equal-priority pods).
    var startTime: Date?
    /// Effective requests as upstream's `resource.PodRequests` computes them (containers, init containers
    /// including restartable sidecars, overhead).
    var requests: Resources
    /// The requests with upstream's defaults for containers that name none (100m cpu, 200 MiB memory), for scoring.
    var nonZeroCPU: Int64
    var nonZeroMemory: Int64
    var hostPorts: [HostPort]
    /// Keys (`namespace/name`) of the PersistentVolumeClaims the pod uses (VolumeRestrictions).
    var claims: [String]
    var requiredAffinity: [AffinityTerm]
    var requiredAntiAffinity: [AffinityTerm]
    var preferredAffinity: [AffinityTerm]
    var preferredAntiAffinity: [AffinityTerm]

    var key: String { "\(namespace)/\(name)" }
    var hasAffinity: Bool {
        !requiredAffinity.isEmpty || !requiredAntiAffinity.isEmpty || !preferredAffinity.isEmpty || !preferredAntiAffinity.isEmpty
    }

    static let defaultMilliCPURequest: Int64 = 100
    static let defaultMemoryRequest: Int64 = 200 * 1024 * 1024

    init(_ pod: Pod) {
        uid = pod.metadata.uid ?? ""
        namespace = pod.metadata.namespace ?? "default"
        name = pod.metadata.name ?? ""
        nodeName = pod.spec?.nodeName ?? ""
        labels = pod.metadata.labels ?? [:]
        priority = pod.spec?.priority ?? 0
        terminating = pod.metadata.deletionTimestamp != nil
        startTime = pod.status?.startTime?.date
        let spec = pod.spec
        requests = Self.requests(spec, nonZero: false)
        let nonZero = Self.requests(spec, nonZero: true)
        nonZeroCPU = nonZero.milliCPU
        nonZeroMemory = nonZero.memory
        claims = pod.claimNames.map { "\(pod.metadata.namespace ?? "")/\($0)" }
        hostPorts = spec?.hostPorts ?? []
        let affinity = spec?.affinity
        requiredAffinity = (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).compactMap { AffinityTerm($0, of: pod) }
        requiredAntiAffinity = (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).compactMap { AffinityTerm($0, of: pod) }
        preferredAffinity = (affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).compactMap {
            AffinityTerm($0.podAffinityTerm, of: pod, weight: Int64($0.weight))
        }
        preferredAntiAffinity = (affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).compactMap {
            AffinityTerm($0.podAffinityTerm, of: pod, weight: Int64($0.weight))
        }
    }

    /// Upstream's `resource.PodRequests`: the sum over containers; each init container raises the total to its own
    /// requests plus the restartable (sidecar) init containers started before it, and sidecars add to the sum;
    /// then the overhead. With `nonZero`, a container without a cpu or memory request counts upstream's defaults.
    static func requests(_ spec: PodSpec?, nonZero: Bool) -> Resources {
        func amounts(_ container: Container) -> Resources {
            var requests = container.resources?.requests ?? [:]
            // Limits without requests default the requests (the API server's defaulting, for objects written without it).
            for (name, limit) in container.resources?.limits ?? [:] where requests[name] == nil { requests[name] = limit }
            var resources = Resources(requests)
            if nonZero {
                if requests["cpu"] == nil { resources.milliCPU = defaultMilliCPURequest }
                if requests["memory"] == nil { resources.memory = defaultMemoryRequest }
            }
            return resources
        }
        var total = Resources()
        for container in spec?.containers ?? [] { total.add(amounts(container)) }
        var sidecars = Resources(), initMaximum = Resources()
        for container in spec?.initContainers ?? [] {
            var requests = amounts(container)
            if container.isSidecar {
                total.add(requests)
                sidecars.add(requests)
                requests = sidecars
            } else {
                requests.add(sidecars)
            }
            initMaximum.raise(to: requests)
        }
        total.raise(to: initMaximum)
        if let overhead = spec?.overhead { total.add(Resources(overhead)) }
        return total
    }
}

extension PodInfo {
    /// The same pod placed on `node`.
    func placed(on node: String) -> PodInfo {
        var pod = self
        pod.nodeName = node
        return pod
    }
}
