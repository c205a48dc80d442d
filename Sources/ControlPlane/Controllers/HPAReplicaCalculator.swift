import Foundation
import KubeAPI

/// One pod's reading of a resource from the metrics API (upstream's `metricsclient.PodMetric`): the usage summed over
/// its containers in milli-units, and when and over which window it was measured.
struct PodMetric: Sendable, Equatable {
    var timestamp: Date
    var window: TimeInterval
    var value: Int64
}

/// Why the autoscaler could not compute a replica count from a metric, in upstream's words.
struct HPAMetricError: Error, Sendable, Equatable, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// The horizontal pod autoscaler's replica arithmetic for resource metrics, as upstream's `ReplicaCalculator`:
/// the pods are grouped into ready, unready (pending, or CPU not yet settled after a start or a readiness change),
/// missing metrics and ignored (deleted, failed); the usage ratio of the ready pods decides, within a tolerance; then
/// missing pods count as at their request (scaling down) or idle (scaling up), unready pods as idle when scaling
/// up, and a direction the extra pods would reverse keeps the current count.
struct HPAReplicaCalculator: Sendable {
    /// `--horizontal-pod-autoscaler-tolerance`: ratios within this of 1 change nothing.
    var tolerance = 0.1
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`: after a pod starts, its CPU counts only once a
    /// whole metrics window followed its last readiness change.
    var cpuInitializationPeriod: TimeInterval = 300
    /// `--horizontal-pod-autoscaler-initial-readiness-delay`: a pod not ready that long after its start, and never
    /// ready since, is unready.
    var initialReadinessDelay: TimeInterval = 30

    /// A `Utilization` target's outcome: the replica count, the ready pods' usage in percent of their requests, and
    /// their average raw usage (milli-units).
    struct UtilizationProposal: Sendable, Equatable {
        var replicas: Int32
        var utilization: Int32
        var rawAverage: Int64
    }

    /// An `AverageValue` target's outcome: the replica count and the pods' average usage (milli-units).
    struct AverageValueProposal: Sendable, Equatable {
        var replicas: Int32
        var average: Int64
    }

    /// Upstream's `getPodMetrics` / `getContainerMetrics`: each pod's usage of `resource`, summed over its
    /// containers (or the one named `container`); a pod without containers, or with one lacking the resource, has
    /// no reading.
    static func podMetrics(_ items: [PodMetrics], resource: String, container: String?) -> [String: PodMetric] {
        var result: [String: PodMetric] = [:]
        for item in items {
            guard let name = item.metadata.name else { continue }
            let timestamp = item.timestamp?.date ?? Date(timeIntervalSince1970: 0)
            let window = item.window.flatMap { try? GoDuration.parse($0) }?.seconds ?? 0
            if let container {
                guard let usage = item.containers.first(where: { $0.name == container })?.usage[resource] else { continue }
                result[name] = PodMetric(timestamp: timestamp, window: window, value: usage.milliValue)
                continue
            }
            guard !item.containers.isEmpty else { continue }
            var sum: Int64 = 0
            var complete = true
            for entry in item.containers {
                guard let usage = entry.usage[resource] else { complete = false; break }
                sum += usage.milliValue
            }
            if complete { result[name] = PodMetric(timestamp: timestamp, window: window, value: sum) }
        }
        return result
    }

    /// Upstream's `GetResourceReplicas`: the replica count that brings the pods' average usage of `resource` to
    /// `targetUtilization` percent of their requests.
    func resourceReplicas(currentReplicas: Int32, targetUtilization: Int32, resource: String, container: String?,
                          pods: [Pod], metrics: [String: PodMetric], now: Date) throws(HPAMetricError) -> UtilizationProposal {
        guard !pods.isEmpty else { throw HPAMetricError("no pods returned by selector while calculating replica count") }
        var metrics = metrics
        let groups = group(pods, metrics: metrics, resource: resource, now: now)
        for name in groups.ignored.union(groups.unready) { metrics[name] = nil }
        guard !metrics.isEmpty else { throw HPAMetricError("did not receive metrics for targeted pods (pods might be unready)") }
        let requests = try Self.requests(pods, container: container, resource: resource)
        let first = try Self.utilizationRatio(metrics, requests: requests, target: targetUtilization)
        let proposal = { (replicas: Int32) in UtilizationProposal(replicas: replicas, utilization: first.utilization, rawAverage: first.rawAverage) }

        let scaleUpWithUnready = !groups.unready.isEmpty && first.ratio > 1
        if !scaleUpWithUnready, groups.missing.isEmpty {
            if abs(1 - first.ratio) <= tolerance { return proposal(currentReplicas) }
            return proposal(Int32((first.ratio * Double(groups.ready)).rounded(.up)))
        }
        if first.ratio < 1 {
            // Scaling down, a pod without metrics counts as using its whole request (or the target, above 100 %).
            let fallback = Int64(max(100, targetUtilization))
            for name in groups.missing { metrics[name] = PodMetric(timestamp: now, window: 0, value: (requests[name] ?? 0) * fallback / 100) }
        } else if first.ratio > 1 {
            for name in groups.missing { metrics[name] = PodMetric(timestamp: now, window: 0, value: 0) }
        }
        if scaleUpWithUnready {
            for name in groups.unready { metrics[name] = PodMetric(timestamp: now, window: 0, value: 0) }
        }
        let second = try Self.utilizationRatio(metrics, requests: requests, target: targetUtilization)
        return proposal(settled(currentReplicas: currentReplicas, firstRatio: first.ratio, secondRatio: second.ratio, counted: metrics.count))
    }

    /// Upstream's `GetRawResourceReplicas` (`calcPlainMetricReplicas`): the replica count that brings the pods'
    /// average usage of `resource` to `targetAverage` milli-units.
    func rawResourceReplicas(currentReplicas: Int32, targetAverage: Int64, resource: String, pods: [Pod],
                             metrics: [String: PodMetric], now: Date) throws(HPAMetricError) -> AverageValueProposal {
        guard !pods.isEmpty else { throw HPAMetricError("no pods returned by selector while calculating replica count") }
        var metrics = metrics
        let groups = group(pods, metrics: metrics, resource: resource, now: now)
        for name in groups.ignored.union(groups.unready) { metrics[name] = nil }
        guard !metrics.isEmpty else { throw HPAMetricError("did not receive metrics for targeted pods (pods might be unready)") }
        let first = Self.averageRatio(metrics, target: targetAverage)

        let scaleUpWithUnready = !groups.unready.isEmpty && first.ratio > 1
        if !scaleUpWithUnready, groups.missing.isEmpty {
            if abs(1 - first.ratio) <= tolerance { return AverageValueProposal(replicas: currentReplicas, average: first.average) }
            return AverageValueProposal(replicas: Int32((first.ratio * Double(groups.ready)).rounded(.up)), average: first.average)
        }
        if first.ratio < 1 {
            for name in groups.missing { metrics[name] = PodMetric(timestamp: now, window: 0, value: targetAverage) }
        } else {
            for name in groups.missing { metrics[name] = PodMetric(timestamp: now, window: 0, value: 0) }
        }
        if scaleUpWithUnready {
            for name in groups.unready { metrics[name] = PodMetric(timestamp: now, window: 0, value: 0) }
        }
        let second = Self.averageRatio(metrics, target: targetAverage)
        let replicas = settled(currentReplicas: currentReplicas, firstRatio: first.ratio, secondRatio: second.ratio, counted: metrics.count)
        return AverageValueProposal(replicas: replicas, average: first.average)
    }

    /// The count after the missing and unready pods were filled in: the current one when the change is within the
    /// tolerance or the fill-in reversed the direction, else the new ratio over every pod counted.
    private func settled(currentReplicas: Int32, firstRatio: Double, secondRatio: Double, counted: Int) -> Int32 {
        if abs(1 - secondRatio) <= tolerance || (firstRatio < 1 && secondRatio > 1) || (firstRatio > 1 && secondRatio < 1) {
            return currentReplicas
        }
        let replicas = Int32((secondRatio * Double(counted)).rounded(.up))
        if (secondRatio < 1 && replicas > currentReplicas) || (secondRatio > 1 && replicas < currentReplicas) { return currentReplicas }
        return replicas
    }

    /// The pods by how their readings count (upstream's `groupPods`).
    struct PodGroups: Sendable, Equatable {
        var ready = 0
        var unready: Set<String> = []
        var missing: Set<String> = []
        var ignored: Set<String> = []
    }

    func group(_ pods: [Pod], metrics: [String: PodMetric], resource: String, now: Date) -> PodGroups {
        var groups = PodGroups()
        for pod in pods {
            let name = pod.metadata.name ?? ""
            let phase = pod.status?.phase
            if pod.metadata.deletionTimestamp != nil || phase == "Failed" { groups.ignored.insert(name); continue }
            if phase == "Pending" { groups.unready.insert(name); continue }
            guard let metric = metrics[name] else { groups.missing.insert(name); continue }
            if resource == "cpu" {
                let ready = pod.status?.conditions?.first { $0.type == "Ready" }
                let unready: Bool
                if let ready, let started = pod.status?.startTime?.date {
                    let transition = ready.lastTransitionTime?.date ?? Date(timeIntervalSince1970: 0)
                    if started.addingTimeInterval(cpuInitializationPeriod) > now {
                        // Within the initialization period: only a ready pod measured for a whole window since it turned ready.
                        unready = ready.status == "False" || metric.timestamp < transition.addingTimeInterval(metric.window)
                    } else {
                        // Later: only a pod that has never been ready.
                        unready = ready.status == "False" && started.addingTimeInterval(initialReadinessDelay) > transition
                    }
                } else {
                    unready = true
                }
                if unready { groups.unready.insert(name); continue }
            }
            groups.ready += 1
        }
        return groups
    }

    /// Upstream's `calculatePodRequests`: each pod's request of `resource` (milli-units) over its app and sidecar
    /// containers, or the one named `container`; a container without the request fails the metric.
    static func requests(_ pods: [Pod], container: String?, resource: String) throws(HPAMetricError) -> [String: Int64] {
        var requests: [String: Int64] = [:]
        for pod in pods {
            let containers = (pod.spec?.containers ?? []) + (pod.spec?.initContainers ?? []).filter(\.isSidecar)
            var sum: Int64 = 0
            for entry in containers where container == nil || container == entry.name {
                guard let request = entry.resources?.requests?[resource] else {
                    throw HPAMetricError("missing request for \(resource) in container \(entry.name) of Pod \(pod.metadata.name ?? "")")
                }
                sum += request.milliValue
            }
            requests[pod.metadata.name ?? ""] = sum
        }
        return requests
    }

    /// Upstream's `GetResourceUtilizationRatio`: usage over requests of the pods with both, the utilization in whole
    /// percent, the ratio to the target, and the average raw usage.
    static func utilizationRatio(_ metrics: [String: PodMetric], requests: [String: Int64],
                                 target: Int32) throws(HPAMetricError) -> (ratio: Double, utilization: Int32, rawAverage: Int64) {
        var usage: Int64 = 0, requested: Int64 = 0, entries: Int64 = 0
        for (name, metric) in metrics {
            guard let request = requests[name] else { continue }
            usage += metric.value
            requested += request
            entries += 1
        }
        guard requested != 0 else { throw HPAMetricError("no metrics returned matched known pods") }
        let utilization = Int32(usage * 100 / requested)
        return (Double(utilization) / Double(target), utilization, usage / entries)
    }

    /// Upstream's `GetMetricUsageRatio`: the average usage and its ratio to the target.
    static func averageRatio(_ metrics: [String: PodMetric], target: Int64) -> (ratio: Double, average: Int64) {
        let average = metrics.values.reduce(0) { $0 + $1.value } / Int64(max(1, metrics.count))
        return (Double(average) / Double(target), average)
    }
}
