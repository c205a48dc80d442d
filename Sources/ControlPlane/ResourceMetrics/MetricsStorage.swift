import Foundation
import Metrics
import Synchronization

/// The last two points of every node and container, and the usage they give, as metrics-server's storage keeps them:
/// a node or pod is known only once it has two points (CPU is the rate between them), a newer scrape moves the last
/// point to previous, and a container that restarted since its last point (its start time is not before that
/// point) starts over, so its pod is left out until the container has two points again. A container that started
/// within the last resolution, at least 10 s before its point, gets a first point of zero CPU at its start time
/// (metrics-server's fresh-container rule), so a new pod shows up after one scrape.
///
/// ```swift
/// let storage = MetricsStorage(resolution: .seconds(15))
/// storage.store(batch)                          // every scrape
/// storage.nodeUsage(["node-1"])["node-1"]?.cpuNanoCores
/// ```
public final class MetricsStorage: Sendable {
    /// One pod's container usages (by container name) and the earliest timestamp and window among them.
    public struct PodUsage: Sendable, Equatable {
        /// The node whose kubelet reported the pod in the last scrape.
        public var node: String
        public var timestamp: Date
        public var window: Duration
        /// By container name, sorted.
        public var containers: [(name: String, usage: Usage)]

        public static func == (a: PodUsage, b: PodUsage) -> Bool {
            a.node == b.node && a.timestamp == b.timestamp && a.window == b.window
                && a.containers.map(\.name) == b.containers.map(\.name) && a.containers.map(\.usage) == b.containers.map(\.usage)
        }
    }

    /// metrics-server's `freshContainerMinMetricsResolution`.
    static let freshContainerMinimum: TimeInterval = 10

    private struct State {
        var lastNodes: [String: MetricsPoint] = [:]
        var previousNodes: [String: MetricsPoint] = [:]
        var lastPods: [PodReference: MetricsBatch.Pod] = [:]
        var previousPods: [PodReference: [String: MetricsPoint]] = [:]
    }

    private let state = Mutex(State())
    private let resolution: TimeInterval
    private let nodePoints = Gauge(label: "metrics_server_storage_points", dimensions: [("type", "node")])
    private let containerPoints = Gauge(label: "metrics_server_storage_points", dimensions: [("type", "container")])

    /// `resolution`: how often the scraper runs (`--metric-resolution`), for the fresh-container rule.
    public init(resolution: Duration) {
        self.resolution = Double(resolution.components.seconds) + Double(resolution.components.attoseconds) / 1e18
    }

    /// Takes a scrape's points: what it lacks is forgotten.
    public func store(_ batch: MetricsBatch) {
        let counts = state.withLock { state in
            var lastNodes: [String: MetricsPoint] = [:], previousNodes: [String: MetricsPoint] = [:]
            for (name, point) in batch.nodes {
                lastNodes[name] = point
                guard let last = state.lastNodes[name] else { continue }
                if point.timestamp > last.timestamp {
                    previousNodes[name] = last
                } else if let previous = state.previousNodes[name], previous.timestamp < point.timestamp {
                    previousNodes[name] = previous
                }
            }
            var previousPods: [PodReference: [String: MetricsPoint]] = [:]
            var containers = 0
            for (reference, pod) in batch.pods {
                var previousContainers: [String: MetricsPoint] = [:]
                for (name, point) in pod.containers {
                    if let started = point.startTime, started < point.timestamp,
                       point.timestamp.timeIntervalSince(started) < resolution,
                       point.timestamp.timeIntervalSince(started) >= Self.freshContainerMinimum {
                        previousContainers[name] = MetricsPoint(startTime: started, timestamp: started, cumulativeCPU: 0, memoryBytes: point.memoryBytes)
                    } else if let last = state.lastPods[reference]?.containers[name], Self.notRestarted(point, since: last) {
                        if point.timestamp > last.timestamp {
                            previousContainers[name] = last
                        } else if let previous = state.previousPods[reference]?[name], previous.timestamp < point.timestamp {
                            previousContainers[name] = previous
                        }
                    }
                }
                if !previousContainers.isEmpty { previousPods[reference] = previousContainers }
                containers += previousContainers.count
            }
            state = State(lastNodes: lastNodes, previousNodes: previousNodes, lastPods: batch.pods, previousPods: previousPods)
            return (previousNodes.count, containers)
        }
        nodePoints.record(counts.0)
        containerPoints.record(counts.1)
    }

    /// metrics-server's restart check: the container started before the stored point was taken (a point without a
    /// start time cannot show a restart).
    private static func notRestarted(_ point: MetricsPoint, since last: MetricsPoint) -> Bool {
        guard let started = point.startTime else { return true }
        return started < last.timestamp
    }

    /// The usage of each named node that has two points.
    public func nodeUsage(_ names: [String]) -> [String: Usage] {
        state.withLock { state in
            var result: [String: Usage] = [:]
            for name in names {
                guard let last = state.lastNodes[name], let previous = state.previousNodes[name],
                      let usage = try? Usage(last: last, previous: previous) else { continue }
                result[name] = usage
            }
            return result
        }
    }

    /// The usage of each pod whose containers all have two points; a container whose points give no rate is left
    /// out of its pod, as metrics-server skips it.
    public func podUsage(_ references: [PodReference]) -> [PodReference: PodUsage] {
        state.withLock { state in
            var result: [PodReference: PodUsage] = [:]
            pods: for reference in references {
                guard let last = state.lastPods[reference], let previous = state.previousPods[reference] else { continue }
                var containers: [(name: String, usage: Usage)] = []
                var earliest: Usage?
                for (name, point) in last.containers {
                    guard let before = previous[name] else { continue pods }
                    guard let usage = try? Usage(last: point, previous: before) else { continue }
                    containers.append((name, usage))
                    if earliest == nil || usage.timestamp < earliest!.timestamp { earliest = usage }
                }
                containers.sort { $0.name < $1.name }
                result[reference] = PodUsage(node: last.node, timestamp: earliest?.timestamp ?? Date(timeIntervalSince1970: 0),
                                             window: earliest?.window ?? .zero, containers: containers)
            }
            return result
        }
    }
}
