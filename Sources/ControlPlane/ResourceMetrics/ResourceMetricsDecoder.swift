import Foundation

/// Reads a kubelet's `/metrics/resource` (Prometheus text) into a `MetricsBatch`, as metrics-server's decoder does:
/// `node_cpu_usage_seconds_total` and `node_memory_working_set_bytes` make the node's point,
/// `container_cpu_usage_seconds_total`, `container_memory_working_set_bytes` and `container_start_time_seconds`
/// (labelled `container`, `pod`, `namespace`) the containers'. Sample timestamps are milliseconds; a sample without
/// one is taken at `defaultTime`. A node point missing its time, CPU or memory is dropped, and so is a pod any of
/// whose containers lacks CPU or memory (metrics-server's completeness checks).
///
/// ```swift
/// let batch = ResourceMetricsDecoder.decode(text, node: "node-1", defaultTime: Date())
/// batch.nodes["node-1"]?.memoryBytes
/// ```
public enum ResourceMetricsDecoder {
    public static func decode(_ text: String, node nodeName: String, defaultTime: Date) -> MetricsBatch {
        var node = MetricsPoint(timestamp: Date(timeIntervalSince1970: 0), cumulativeCPU: 0, memoryBytes: 0)
        var nodeSeen = false
        var containers: [PodReference: [String: PartialPoint]] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let sample = Sample(line), let family = Family(rawValue: sample.name) else { continue }
            let time = sample.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? defaultTime
            switch family {
            case .nodeCPU:
                node.cumulativeCPU = nanos(sample.value)
                node.timestamp = time
                nodeSeen = true
            case .nodeMemory:
                node.memoryBytes = UInt64(clamping: sample.value)
                node.timestamp = time
                nodeSeen = true
            case .containerCPU, .containerMemory, .containerStart:
                guard let container = sample.labels["container"], let pod = sample.labels["pod"], let namespace = sample.labels["namespace"] else { continue }
                let reference = PodReference(namespace: namespace, name: pod)
                var point = containers[reference, default: [:]][container, default: PartialPoint()]
                switch family {
                case .containerCPU:
                    point.cumulativeCPU = nanos(sample.value)
                    point.timestamp = time
                case .containerMemory:
                    point.memoryBytes = UInt64(clamping: sample.value)
                    point.timestamp = time
                default:
                    point.startTime = Date(timeIntervalSince1970: sample.value)
                }
                containers[reference, default: [:]][container] = point
            }
        }
        var batch = MetricsBatch()
        if nodeSeen, node.timestamp.timeIntervalSince1970 > 0, node.cumulativeCPU > 0, node.memoryBytes > 0 {
            batch.nodes[nodeName] = node
        }
        for (reference, points) in containers {
            var complete: [String: MetricsPoint] = [:]
            for (name, point) in points {
                guard let timestamp = point.timestamp, point.cumulativeCPU > 0, point.memoryBytes > 0 else {
                    complete = [:]
                    break
                }
                complete[name] = MetricsPoint(startTime: point.startTime, timestamp: timestamp, cumulativeCPU: point.cumulativeCPU,
                                              memoryBytes: point.memoryBytes)
            }
            if !complete.isEmpty { batch.pods[reference] = MetricsBatch.Pod(node: nodeName, containers: complete) }
        }
        return batch
    }

    private enum Family: String {
        case nodeCPU = "node_cpu_usage_seconds_total"
        case nodeMemory = "node_memory_working_set_bytes"
        case containerCPU = "container_cpu_usage_seconds_total"
        case containerMemory = "container_memory_working_set_bytes"
        case containerStart = "container_start_time_seconds"
    }

    private struct PartialPoint {
        var startTime: Date?
        var timestamp: Date?
        var cumulativeCPU: UInt64 = 0
        var memoryBytes: UInt64 = 0
    }

    /// Seconds to nanoseconds, as metrics-server's `uint64(value * 1e9)`.
    private static func nanos(_ seconds: Double) -> UInt64 { UInt64(clamping: seconds * 1e9) }
}

private extension UInt64 {
    /// A non-negative finite value, truncated; anything else is 0.
    init(clamping value: Double) {
        self = value.isFinite && value > 0 ? (value >= 1.8e19 ? .max : UInt64(value)) : 0
    }
}

/// One sample line of the Prometheus text format: `name{label="value",…} value [timestamp]`.
struct Sample {
    var name: String
    var labels: [String: String]
    var value: Double
    var timestampMilliseconds: Int64?

    init?(_ line: Substring) {
        let text = line.drop { $0 == " " || $0 == "\t" }
        guard let first = text.first, first != "#" else { return nil }
        var index = text.startIndex
        while index < text.endIndex, text[index] != "{", text[index] != " ", text[index] != "\t" { index = text.index(after: index) }
        name = String(text[text.startIndex..<index])
        labels = [:]
        if index < text.endIndex, text[index] == "{" {
            index = text.index(after: index)
            // label="value" pairs, values with \\, \" and \n escapes.
            while index < text.endIndex, text[index] != "}" {
                while index < text.endIndex, text[index] == "," || text[index] == " " { index = text.index(after: index) }
                if index < text.endIndex, text[index] == "}" { break }
                guard let equals = text[index...].firstIndex(of: "=") else { return nil }
                let label = String(text[index..<equals]).trimmingCharacters(in: .whitespaces)
                index = text.index(after: equals)
                guard index < text.endIndex, text[index] == "\"" else { return nil }
                index = text.index(after: index)
                var value = ""
                while index < text.endIndex, text[index] != "\"" {
                    if text[index] == "\\" {
                        index = text.index(after: index)
                        guard index < text.endIndex else { return nil }
                        switch text[index] {
                        case "n": value.append("\n")
                        default: value.append(text[index])
                        }
                    } else {
                        value.append(text[index])
                    }
                    index = text.index(after: index)
                }
                guard index < text.endIndex else { return nil }
                index = text.index(after: index)
                labels[label] = value
            }
            guard index < text.endIndex else { return nil }
            index = text.index(after: index)
        }
        let fields = text[index...].split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !name.isEmpty, let valueText = fields.first, let value = Double(valueText) else { return nil }
        self.value = value
        timestampMilliseconds = fields.count > 1 ? Int64(fields[1]) : nil
    }
}
