import Foundation

/// What an object uses of the resources a `ResourceQuota` can name, and the resource-list arithmetic quota
/// enforcement needs: upstream's quota evaluators (k8s.io/kubernetes/pkg/quota/v1/evaluator/core and the generic
/// object-count evaluator) and helpers (k8s.io/apiserver/pkg/quota/v1), shared by the ResourceQuota admission plugin
/// and the resource quota controller so both count alike.
///
/// ```swift
/// let used = QuotaUsage.usage(of: pod)        // ["pods": 1, "count/pods": 1, "requests.cpu": 100m, …]
/// QuotaUsage.objectCountName(Deployment.resource)  // "count/deployments.apps"
/// ```
public enum QuotaUsage {
    /// Upstream's names for compute resources in a quota.
    public static let podComputeResources: Set<String> = [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    ]
    /// The resources for which every container of a quota-constrained pod must name a request or limit (upstream's
    /// backward-compatible `validationSet`).
    static let requiredPerContainer: Set<String> = ["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]
    /// Quota scopes upstream defines.
    public static let scopes = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity",
                                "VolumeAttributesClass"]

    /// `count/<plural>` for the core group, `count/<plural>.<group>` otherwise: the object-count name of a kind.
    public static func objectCountName(_ resource: ResourceInfo) -> String {
        resource.group.isEmpty ? "count/\(resource.plural)" : "count/\(resource.plural).\(resource.group)"
    }

    /// The quota names a kind's objects are counted under before `count/…` existed (`pods`, `services`, …).
    static let legacyCountNames: [String: String] = [
        "pods": "pods", "services": "services", "configmaps": "configmaps", "secrets": "secrets",
        "persistentvolumeclaims": "persistentvolumeclaims", "resourcequotas": "resourcequotas",
        "replicationcontrollers": "replicationcontrollers",
    ]

    // MARK: Which names a kind's evaluator counts

    /// Upstream's `MatchingResources`: of `names`, those objects of `resource` use.
    public static func matchingResources(_ names: some Sequence<String>, for resource: ResourceInfo) -> [String] {
        names.filter { counts($0, for: resource) }
    }

    static func counts(_ name: String, for resource: ResourceInfo) -> Bool {
        if name == objectCountName(resource) { return true }
        guard resource.group.isEmpty else { return false }
        if let legacy = legacyCountNames[resource.plural], legacy == name { return true }
        switch resource.plural {
        case "pods":
            return podComputeResources.contains(name) || name.hasPrefix("hugepages-") || name.hasPrefix("requests.hugepages-")
                || (name.hasPrefix("requests.") && name.contains("/") && !name.hasPrefix("requests.kubernetes.io/"))
        case "services":
            return name == "services.nodeports" || name == "services.loadbalancers"
        case "persistentvolumeclaims":
            return name == "requests.storage" || name.hasSuffix(".storageclass.storage.k8s.io/requests.storage")
                || name.hasSuffix(".storageclass.storage.k8s.io/persistentvolumeclaims")
        default:
            return false
        }
    }

    // MARK: Usage

    /// Upstream's `Usage` of one object: its object count under `count/…` (and the legacy name), plus for pods the
    /// compute resources while the pod is not terminal, for services their node ports and load balancers, and for
    /// claims their storage (`claimStorage`, also per storage class).
    public static func usage(of object: any KubeObject, now: Date = Date()) -> [String: Quantity] {
        let resource = type(of: object).resource
        var result: [String: Quantity] = [objectCountName(resource): Quantity(1)]
        switch object {
        case let pod as Pod:
            // "pods" and the compute resources follow the pod's life; count/pods every stored pod.
            guard countsComputeResources(pod, now: now) else { return result }
            add(&result, podComputeUsage(requests: podRequests(pod.spec), limits: podLimits(pod.spec)))
        case let service as Service:
            result["services"] = Quantity(1)
            let spec = service.spec
            let ports = Int64(spec?.ports?.count ?? 0)
            switch spec?.type {
            case "NodePort":
                result["services.nodeports"] = Quantity(ports)
            case "LoadBalancer":
                if spec?.allocateLoadBalancerNodePorts == false {
                    result["services.nodeports"] = Quantity(Int64(spec?.ports?.filter { ($0.nodePort ?? 0) != 0 }.count ?? 0))
                } else {
                    result["services.nodeports"] = Quantity(ports)
                }
                result["services.loadbalancers"] = Quantity(1)
            default:
                break
            }
        case let claim as PersistentVolumeClaim:
            result["persistentvolumeclaims"] = Quantity(1)
            let className = claim.spec?.storageClassName ?? claim.metadata.annotations?["volume.beta.kubernetes.io/storage-class"] ?? ""
            if !className.isEmpty { result["\(className).storageclass.storage.k8s.io/persistentvolumeclaims"] = Quantity(1) }
            if let storage = claimStorage(claim) {
                result["requests.storage"] = storage
                if !className.isEmpty { result["\(className).storageclass.storage.k8s.io/requests.storage"] = storage }
            }
        default:
            if resource.group.isEmpty, let legacy = legacyCountNames[resource.plural] { result[legacy] = Quantity(1) }
        }
        return result
    }

    /// Upstream's `getStorageUsage` with RecoverVolumeExpansionFailure (on by default in 1.32): the storage request,
    /// or what the volume has been allocated when that is more (a user who shrank the request back after a failed
    /// expansion keeps being charged the larger size), rounded up to whole bytes; nil for a claim requesting none.
    public static func claimStorage(_ claim: PersistentVolumeClaim) -> Quantity? {
        guard let request = claim.spec?.resources?.requests?["storage"] else { return nil }
        let requested = roundedUpToWholeUnits(request)
        if let allocated = claim.status?.allocatedResources?["storage"], requested < allocated { return roundedUpToWholeUnits(allocated) }
        return requested
    }

    /// `Quantity.RoundUp(0)`: a fractional amount (`1500m`) rounded away from zero to whole units (`2`).
    public static func roundedUpToWholeUnits(_ quantity: Quantity) -> Quantity {
        let remainder = quantity.nanoValue % Quantity.nanosPerUnit
        guard remainder != 0 else { return quantity }
        let step = quantity.nanoValue > 0 ? Quantity.nanosPerUnit : -Quantity.nanosPerUnit
        return Quantity(nanoValue: quantity.nanoValue - remainder + step, format: quantity.format)
    }

    /// Upstream's `QuotaV1Pod`: a pod that finished, or that has been terminating past its grace period (a lost
    /// node), no longer uses its compute resources.
    public static func countsComputeResources(_ pod: Pod, now: Date = Date()) -> Bool {
        if let phase = pod.status?.phase, phase == "Succeeded" || phase == "Failed" { return false }
        if let deletion = pod.metadata.deletionTimestamp, let grace = pod.metadata.deletionGracePeriodSeconds,
           now > deletion.date.addingTimeInterval(TimeInterval(grace)) {
            return false
        }
        return true
    }

    /// Upstream's `podComputeUsageHelper`: `pods`, and each request and limit under its quota names.
    static func podComputeUsage(requests: [String: Quantity], limits: [String: Quantity]) -> [String: Quantity] {
        var result: [String: Quantity] = ["pods": Quantity(1)]
        for name in ["cpu", "memory", "ephemeral-storage"] {
            if let request = requests[name] {
                result[name] = request
                result["requests.\(name)"] = request
            }
            if let limit = limits[name] { result["limits.\(name)"] = limit }
        }
        for (name, request) in requests {
            if name.hasPrefix("hugepages-") {
                result[name] = request
                result["requests.\(name)"] = request
            } else if isExtendedResource(name) {
                result["requests.\(name)"] = request
            }
        }
        return result
    }

    /// Upstream's `IsExtendedResourceName`: a fully qualified name outside `kubernetes.io/` that is not itself a
    /// `requests.` name.
    public static func isExtendedResource(_ name: String) -> Bool {
        guard let slash = name.firstIndex(of: "/") else { return false }
        let domain = name[..<slash]
        if domain == "kubernetes.io" || domain.hasSuffix(".kubernetes.io") { return false }
        return !name.hasPrefix("requests.")
    }

    /// Upstream's `resource.PodRequests`: the sum over containers; each init container raises the total to its own
    /// requests plus the restartable (sidecar) init containers started before it, and sidecars add to the sum; then
    /// the overhead unless `overhead` is false (LimitRanger leaves it out).
    public static func podRequests(_ spec: PodSpec?, overhead: Bool = true) -> [String: Quantity] {
        aggregate(spec, overhead: overhead) { $0.resources?.requests ?? [:] }
    }

    /// Upstream's `resource.PodLimits`, the same aggregation over limits; the overhead is added only to resources
    /// some container limits.
    public static func podLimits(_ spec: PodSpec?, overhead: Bool = true) -> [String: Quantity] {
        aggregate(spec, overhead: overhead, onlyExistingOverhead: true) { $0.resources?.limits ?? [:] }
    }

    private static func aggregate(_ spec: PodSpec?, overhead: Bool, onlyExistingOverhead: Bool = false,
                                  _ amounts: (Container) -> [String: Quantity]) -> [String: Quantity] {
        var total: [String: Quantity] = [:]
        for container in spec?.containers ?? [] { add(&total, amounts(container)) }
        var sidecars: [String: Quantity] = [:], initMaximum: [String: Quantity] = [:]
        for container in spec?.initContainers ?? [] {
            var own = amounts(container)
            if container.isSidecar {
                add(&total, own)
                add(&sidecars, own)
                own = sidecars
            } else {
                add(&own, sidecars)
            }
            raise(&initMaximum, to: own)
        }
        raise(&total, to: initMaximum)
        if overhead, let podOverhead = spec?.overhead {
            for (name, amount) in podOverhead where !onlyExistingOverhead || total[name] != nil {
                total[name, default: .zero] += amount
            }
        }
        return total
    }

    // MARK: Scopes

    /// The scope requirements of a quota: each of `spec.scopes` as `Exists`, then `spec.scopeSelector`.
    public static func scopeRequirements(of quota: ResourceQuota) -> [ScopedResourceSelectorRequirement] {
        (quota.spec?.scopes ?? []).map { ScopedResourceSelectorRequirement(scopeName: $0, operator: "Exists") }
            + (quota.spec?.scopeSelector?.matchExpressions ?? [])
    }

    /// Upstream's `Matches`: the quota enforces some resource objects of this kind use (by `status.hard`), and the
    /// object is in every scope of the quota (only pods are in any scope).
    public static func quota(_ quota: ResourceQuota, matches object: any KubeObject) -> Bool {
        let hard = quota.status?.hard ?? [:]
        guard !matchingResources(hard.keys, for: type(of: object).resource).isEmpty else { return false }
        return inScopes(of: quota, object)
    }

    /// Whether the object is in every scope of the quota (only pods are in any scope).
    public static func inScopes(of quota: ResourceQuota, _ object: any KubeObject) -> Bool {
        scopeRequirements(of: quota).allSatisfy { requirement in
            guard let pod = object as? Pod else { return false }
            return podMatches(requirement, pod)
        }
    }

    /// Upstream's `podMatchesScopeFunc`.
    static func podMatches(_ requirement: ScopedResourceSelectorRequirement, _ pod: Pod) -> Bool {
        let terminating = (pod.spec?.activeDeadlineSeconds ?? -1) >= 0
        let bestEffort = isBestEffort(pod.spec)
        switch requirement.scopeName {
        case "Terminating": return terminating
        case "NotTerminating": return !terminating
        case "BestEffort": return bestEffort
        case "NotBestEffort": return !bestEffort
        case "PriorityClass":
            let className = pod.spec?.priorityClassName ?? ""
            switch requirement.operator {
            case "Exists": return !className.isEmpty
            case "DoesNotExist": return className.isEmpty
            case "In": return !className.isEmpty && (requirement.values ?? []).contains(className)
            case "NotIn": return className.isEmpty || !(requirement.values ?? []).contains(className)
            default: return false
            }
        case "CrossNamespacePodAffinity":
            let affinity = pod.spec?.affinity
            let terms = (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
                + (affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(\.podAffinityTerm)
                + (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [])
                + (affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(\.podAffinityTerm)
            return terms.contains { !($0.namespaces ?? []).isEmpty || $0.namespaceSelector != nil }
        default:
            return false
        }
    }

    /// A pod is BestEffort when no container requests or limits cpu or memory (upstream's QoS for quota).
    static func isBestEffort(_ spec: PodSpec?) -> Bool {
        let containers = (spec?.containers ?? []) + (spec?.initContainers ?? [])
        return !containers.contains { container in
            let resources = container.resources
            return ["cpu", "memory"].contains { resources?.requests?[$0] != nil || resources?.limits?[$0] != nil }
        }
    }

    /// Upstream's pod `Constraints`: when a quota enforces cpu or memory, every container must name them; the message
    /// lists, per missing resource, the containers that do not (`must specify limits.cpu for: c; requests.cpu for: c`).
    public static func podConstraintViolation(_ pod: Pod, enforced: some Sequence<String>) -> String? {
        let required = Set(enforced).intersection(requiredPerContainer)
        guard !required.isEmpty else { return nil }
        var missing: [String: Set<String>] = [:]
        for container in (pod.spec?.containers ?? []) + (pod.spec?.initContainers ?? []) {
            let named = Set(podComputeUsage(requests: container.resources?.requests ?? [:], limits: container.resources?.limits ?? [:]).keys)
            for resource in required.subtracting(named) { missing[resource, default: []].insert(container.name) }
        }
        guard !missing.isEmpty else { return nil }
        return "must specify " + missing.keys.sorted().map { "\($0) for: \(missing[$0]!.sorted().joined(separator: ","))" }.joined(separator: "; ")
    }

    // MARK: Resource lists

    /// Adds `other` into `list` name by name.
    public static func add(_ list: inout [String: Quantity], _ other: [String: Quantity]) {
        for (name, amount) in other { list[name, default: .zero] += amount }
    }

    /// Raises each amount of `list` to `other`'s where that is larger (upstream's `maxResourceList`).
    static func raise(_ list: inout [String: Quantity], to other: [String: Quantity]) {
        for (name, amount) in other where list[name].map({ amount > $0 }) ?? true { list[name] = amount }
    }

    /// The entries of `list` whose names are in `names`.
    public static func mask(_ list: [String: Quantity], _ names: some Sequence<String>) -> [String: Quantity] {
        let keep = Set(names)
        return list.filter { keep.contains($0.key) }
    }

    /// Upstream's `LessThanOrEqual`: the names whose amount in `list` exceeds the one in `limits` (none: within).
    public static func exceeded(_ list: [String: Quantity], _ limits: [String: Quantity]) -> [String] {
        limits.compactMap { name, limit in list[name].map { $0 > limit } == true ? name : nil }.sorted()
    }

    /// Upstream's `prettyPrint`: `name=amount` pairs by name, comma separated.
    public static func prettyPrint(_ list: [String: Quantity]) -> String {
        list.keys.sorted().map { "\($0)=\(list[$0]!)" }.joined(separator: ",")
    }
}
