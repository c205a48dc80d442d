import Foundation

/// One sample of a node's or container's resource use, as metrics-server keeps it: cumulative CPU time since
/// `startTime`, the memory working set, and when the kubelet measured them.
public struct MetricsPoint: Sendable, Equatable {
    /// When the container started (its cumulative CPU was zero then); nil for a node.
    public var startTime: Date?
    /// When the kubelet measured the point (the sample's timestamp).
    public var timestamp: Date
    /// CPU time used since `startTime`, in core-nanoseconds.
    public var cumulativeCPU: UInt64
    /// The memory working set in bytes.
    public var memoryBytes: UInt64

    public init(startTime: Date? = nil, timestamp: Date, cumulativeCPU: UInt64, memoryBytes: UInt64) {
        self.startTime = startTime
        self.timestamp = timestamp
        self.cumulativeCPU = cumulativeCPU
        self.memoryBytes = memoryBytes
    }
}

/// A pod by namespace and name.
public struct PodReference: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (a: PodReference, b: PodReference) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
    public var description: String { "\(namespace)/\(name)" }
}

/// What one scrape found: each node's point and each pod's container points, with the node each pod was reported by.
public struct MetricsBatch: Sendable, Equatable {
    /// Container points by container name.
    public struct Pod: Sendable, Equatable {
        /// The node whose kubelet reported the pod.
        public var node: String
        public var containers: [String: MetricsPoint]

        public init(node: String, containers: [String: MetricsPoint]) {
            self.node = node
            self.containers = containers
        }
    }

    public var nodes: [String: MetricsPoint]
    public var pods: [PodReference: Pod]

    public init(nodes: [String: MetricsPoint] = [:], pods: [PodReference: Pod] = [:]) {
        self.nodes = nodes
        self.pods = pods
    }
}

/// Resource use over a window: the CPU rate between two points and the later point's working set.
public struct Usage: Sendable, Equatable {
    /// CPU in nanocores (core-nanoseconds per second).
    public var cpuNanoCores: UInt64
    public var memoryBytes: UInt64
    /// The later point's timestamp.
    public var timestamp: Date
    /// Between the two points.
    public var window: Duration

    public init(cpuNanoCores: UInt64, memoryBytes: UInt64, timestamp: Date, window: Duration) {
        self.cpuNanoCores = cpuNanoCores
        self.memoryBytes = memoryBytes
        self.timestamp = timestamp
        self.window = window
    }

    /// The use between `previous` and `last` (metrics-server's `resourceUsage`): fails when the start time or the
    /// cumulative CPU went backwards, which a restart between the points would show.
    public init(last: MetricsPoint, previous: MetricsPoint) throws(ResourceMetricsError) {
        if let lastStart = last.startTime, let previousStart = previous.startTime, lastStart < previousStart {
            throw ResourceMetricsError(.inconsistentPoints, "unexpected decrease in startTime of node/container")
        }
        guard last.cumulativeCPU >= previous.cumulativeCPU else {
            throw ResourceMetricsError(.inconsistentPoints, "unexpected decrease in cumulative CPU usage value")
        }
        let seconds = last.timestamp.timeIntervalSince(previous.timestamp)
        guard seconds > 0 else { throw ResourceMetricsError(.inconsistentPoints, "points are not in time order") }
        self.init(cpuNanoCores: UInt64(Double(last.cumulativeCPU - previous.cumulativeCPU) / seconds), memoryBytes: last.memoryBytes,
                  timestamp: last.timestamp, window: .nanoseconds(Int64((seconds * 1e9).rounded())))
    }
}

/// Errors of the resource metrics pipeline: a kubelet that cannot be scraped, a response that cannot be read, or
/// two points that give no rate.
public struct ResourceMetricsError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable {
        /// The kubelet did not answer within the scrape timeout.
        case timeout
        /// The kubelet answered with an error status or could not be reached.
        case request
        /// Two points that cannot give a rate (time or counters going backwards).
        case inconsistentPoints
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}
