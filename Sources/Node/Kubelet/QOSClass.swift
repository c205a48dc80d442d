import KubeAPI

/// A pod's quality-of-service class, as the kubelet computes it from requests and limits, and what follows
/// from it: the cgroup parent under `/kubepods` and each container's `oom_score_adj`.
enum QOSClass: String, Sendable {
    case guaranteed = "Guaranteed", burstable = "Burstable", bestEffort = "BestEffort"

    init(_ pod: Pod) {
        let containers = (pod.spec?.containers ?? []) + (pod.spec?.initContainers ?? [])
        var requests = false, limitsEqualRequests = true, everyLimited = true
        for container in containers {
            let resources = container.resources
            let limits = resources?.limits ?? [:], explicitRequests = resources?.requests ?? [:]
            // An unset request defaults to the limit.
            let effective = explicitRequests.merging(limits) { request, _ in request }
            if effective.keys.contains(where: { $0 == "cpu" || $0 == "memory" }) { requests = true }
            for resource in ["cpu", "memory"] {
                guard let limit = limits[resource] else { everyLimited = false; continue }
                if let request = effective[resource], request.milliValue != limit.milliValue { limitsEqualRequests = false }
            }
        }
        if !requests { self = .bestEffort } else if everyLimited && limitsEqualRequests { self = .guaranteed } else { self = .burstable }
    }

    /// The pod's cgroup (cgroupfs) below `cgroupRoot` (`--cgroup-root`, `/` by default): `/kubepods/pod<uid>` for
    /// Guaranteed, `/kubepods/<class>/pod<uid>` else.
    func cgroupParent(podUID: String, cgroupRoot: String = "/") -> String {
        let kubepods = PodCgroups.kubepods(cgroupRoot: cgroupRoot)
        return switch self {
        case .guaranteed: "\(kubepods)/pod\(podUID)"
        case .burstable: "\(kubepods)/burstable/pod\(podUID)"
        case .bestEffort: "\(kubepods)/besteffort/pod\(podUID)"
        }
    }

    /// upstream's policy: Guaranteed -997, BestEffort 1000, Burstable 1000 - 1000 × memory request / capacity
    /// clamped to [2, 999] (the runtime may raise negative values it cannot set).
    func oomScoreAdjust(memoryRequest: Int64, memoryCapacity: Int64) -> Int64 {
        switch self {
        case .guaranteed: return -997
        case .bestEffort: return 1000
        case .burstable:
            guard memoryCapacity > 0 else { return 999 }
            let score = 1000 - (1000 * memoryRequest) / memoryCapacity
            return min(max(score, 2), 999)
        }
    }
}
