import CoreMetrics
import Foundation
import GRPCCore
import Metrics

/// The kubelet's metrics under upstream's names (`kubelet_` subsystem), through swift-metrics so whichever
/// backend the process bootstrapped (swift-prometheus in `swiftlet agent`) exports them on `/metrics`.
struct KubeletMetrics: Sendable {
    /// Pods with a ready sandbox: `kubelet_running_pods`.
    let runningPods = Gauge(label: "kubelet_running_pods")
    /// Containers by state: `kubelet_running_containers{container_state}`.
    func runningContainers(_ state: String) -> Gauge {
        Gauge(label: "kubelet_running_containers", dimensions: [("container_state", state)])
    }
    /// From the kubelet first seeing a pod to all its containers running: `kubelet_pod_start_duration_seconds`.
    let podStartDuration = Metrics.Timer(label: "kubelet_pod_start_duration_seconds", preferredDisplayUnit: .seconds)
    /// One pod sync: `kubelet_pod_worker_duration_seconds{operation_type}` (create, update, kill).
    func podWorkerDuration(_ operation: String) -> Metrics.Timer {
        Metrics.Timer(label: "kubelet_pod_worker_duration_seconds", dimensions: [("operation_type", operation)], preferredDisplayUnit: .seconds)
    }
    /// `kubelet_started_pods_total`, `kubelet_started_containers_total{container_type}`.
    let startedPods = Counter(label: "kubelet_started_pods_total")
    func startedContainers(_ type: String) -> Counter {
        Counter(label: "kubelet_started_containers_total", dimensions: [("container_type", type)])
    }
    /// `kubelet_started_containers_errors_total{code,container_type}`.
    func startedContainerErrors(_ code: String, _ type: String) -> Counter {
        Counter(label: "kubelet_started_containers_errors_total", dimensions: [("code", code), ("container_type", type)])
    }

    /// `kubelet_node_name{node}` = 1, as upstream exports the node's name.
    static func recordNodeName(_ name: String) {
        Gauge(label: "kubelet_node_name", dimensions: [("node", name)]).record(1)
    }
}

/// Counts and times every CRI call the kubelet makes: `kubelet_runtime_operations_total{operation_type}`,
/// `kubelet_runtime_operations_errors_total{operation_type}` and
/// `kubelet_runtime_operations_duration_seconds{operation_type}` (operation types in upstream's snake case,
/// `list_podsandbox`, `create_container` …).
struct RuntimeOperationMetrics: ClientInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>, context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        let operation = Self.operationType(context.descriptor.method)
        let dimensions = [("operation_type", operation)]
        Counter(label: "kubelet_runtime_operations_total", dimensions: dimensions).increment()
        let start = ContinuousClock.now
        defer {
            Metrics.Timer(label: "kubelet_runtime_operations_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
                .recordInterval(since: start)
        }
        do {
            let response = try await next(request, context)
            if case .failure = response.accepted {
                Counter(label: "kubelet_runtime_operations_errors_total", dimensions: dimensions).increment()
            }
            return response
        } catch {
            Counter(label: "kubelet_runtime_operations_errors_total", dimensions: dimensions).increment()
            throw error
        }
    }

    /// `ListPodSandbox` → `list_podsandbox`, `CreateContainer` → `create_container`, as upstream names them.
    static func operationType(_ method: String) -> String {
        var result = ""
        for character in method.replacingOccurrences(of: "PodSandbox", with: "Podsandbox") {
            if character.isUppercase, !result.isEmpty { result += "_" }
            result += character.lowercased()
        }
        return result
    }
}

extension Metrics.Timer {
    /// Records the time elapsed since `start`.
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
