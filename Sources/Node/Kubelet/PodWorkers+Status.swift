import CRI
import Foundation
import KubeAPI
import KubeClient

extension PodWorkers {
    /// Computes the pod's status from the runtime's `view` and writes it to the status subresource when it changed:
    /// phase, conditions, container statuses (state, lastState, restartCount, image, containerID), IPs,
    /// start time and QoS class.
    func writeStatus(_ pod: Pod, view: PodRuntimeView) async throws {
        let uid = pod.metadata.uid ?? ""
        let ready = view.ready
        let statuses = view.latest
        var previous: [String: Runtime_V1_ContainerStatus] = [:]
        for container in view.containers {
            guard let latest = statuses[container.metadata.name], container.metadata.attempt + 1 == latest.metadata.attempt else { continue }
            var request = Runtime_V1_ContainerStatusRequest()
            request.containerID = container.id
            previous[container.metadata.name] = try await connection.runtime.containerStatus(request, options: RuntimeConnection.options()).status
        }
        var podIP: String?
        if let ready {
            let ip = try await sandboxIP(ready.id, pod: pod)
            podIP = ip.isEmpty ? nil : ip
        }
        var status = PodStatusBuilder(
            pod: pod, sandboxReady: ready != nil, podIP: podIP, hostIP: nodeIP, runtimeName: runtimeName,
            latest: statuses, previous: previous, waiting: waiting[uid] ?? [:],
            probes: statuses.reduce(into: [:]) { probes, entry in
                // Only conclusions about the container that runs now; a fresh one has none yet.
                let key = "\(uid)/\(entry.key)"
                if probeWorkers[key]?.containerID == entry.value.id, let state = probeState[key] { probes[entry.key] = state }
            }
        ).build()
        status.conditions = (status.conditions ?? []).carryingTransitionTimes(from: pod.status?.conditions ?? [])
        guard status != pod.status else { return }
        let body = try JSONEncoder().encode(["status": status])
        let updated = try await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                             patchType: .merge, body: body, subresource: "status")
        remember(updated)
    }
}

/// Pod status from the runtime's view of the pod, following the kubelet's `generateAPIPodStatus` and
/// `getPhase`.
struct PodStatusBuilder {
    let pod: Pod
    let sandboxReady: Bool
    let podIP: String?
    let hostIP: String
    let runtimeName: String
    let latest: [String: Runtime_V1_ContainerStatus]
    let previous: [String: Runtime_V1_ContainerStatus]
    let waiting: [String: (reason: String, message: String)]
    /// Probe conclusions by container name; a container without probes is ready and started once running.
    let probes: [String: ProbeState]

    func build() -> PodStatus {
        let now = Time.now()
        let initContainers = pod.spec?.initContainers ?? [], containers = pod.spec?.containers ?? []
        let initStatuses = initContainers.map { containerStatus(of: $0, initializing: false) }
        let initialized = initContainers.allSatisfy { latest[$0.name].map { $0.state == .containerExited && $0.exitCode == 0 } ?? false }
        let appStatuses = containers.map { containerStatus(of: $0, initializing: !initialized) }
        let containersReady = initialized && !appStatuses.isEmpty && appStatuses.allSatisfy(\.ready)
        var status = PodStatus()
        status.phase = phase(initialized: initialized)
        status.hostIP = hostIP
        status.hostIPs = [HostIP(ip: hostIP)]
        if let podIP {
            status.podIP = podIP
            status.podIPs = [PodIP(ip: podIP)]
        }
        status.startTime = pod.status?.startTime ?? now
        status.qosClass = QOSClass(pod).rawValue
        status.initContainerStatuses = initStatuses.isEmpty ? nil : initStatuses
        status.containerStatuses = appStatuses
        // Never ready and without `started` (upstream's prober leaves them alone); no part of the phase or readiness.
        let ephemeralStatuses = (pod.spec?.ephemeralContainers ?? []).map { ephemeral in
            var status = containerStatus(of: ephemeral.common, initializing: !initialized)
            status.ready = false
            status.started = nil
            return status
        }
        status.ephemeralContainerStatuses = ephemeralStatuses.isEmpty ? nil : ephemeralStatuses
        func condition(_ type: String, _ value: Bool, reason: String? = nil) -> PodCondition {
            PodCondition(type: type, status: value ? "True" : "False", lastTransitionTime: now, reason: value ? nil : reason)
        }
        status.conditions = [
            condition("PodReadyToStartContainers", sandboxReady),
            condition("Initialized", initialized, reason: "ContainersNotInitialized"),
            condition("Ready", containersReady, reason: "ContainersNotReady"),
            condition("ContainersReady", containersReady, reason: "ContainersNotReady"),
            PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: pod.status?.conditions?.first { $0.type == "PodScheduled" }?.lastTransitionTime ?? now),
        ]
        return status
    }

    private func containerStatus(of container: Container, initializing: Bool) -> ContainerStatus {
        let current = latest[container.name]
        var status = ContainerStatus(name: container.name, ready: false, restartCount: Int32(current?.metadata.attempt ?? 0),
                                     image: container.image ?? "", imageID: current?.imageRef ?? "")
        status.containerID = current.map { "\(runtimeName)://\($0.id)" }
        if let reason = waiting[container.name] {
            status.state = ContainerState(waiting: ContainerStateWaiting(reason: reason.reason, message: reason.message))
            status.lastState = current.flatMap(terminated).map { ContainerState(terminated: $0) } ?? ContainerState()
            status.started = false
            return status
        }
        guard let current else {
            status.state = ContainerState(waiting: ContainerStateWaiting(reason: initializing ? "PodInitializing" : "ContainerCreating"))
            status.lastState = ContainerState()
            status.started = false
            return status
        }
        switch current.state {
        case .containerRunning:
            status.state = ContainerState(running: ContainerStateRunning(startedAt: Self.time(current.startedAt)))
            status.ready = probes[container.name]?.ready ?? (container.readinessProbe == nil)
            status.started = probes[container.name]?.started ?? (container.startupProbe == nil)
        case .containerExited:
            status.state = terminated(current).map { ContainerState(terminated: $0) }
            status.started = false
        default:
            status.state = ContainerState(waiting: ContainerStateWaiting(reason: "ContainerCreating"))
            status.started = false
        }
        status.lastState = previous[container.name].flatMap(terminated).map { ContainerState(terminated: $0) } ?? ContainerState()
        return status
    }

    private func terminated(_ status: Runtime_V1_ContainerStatus) -> ContainerStateTerminated? {
        guard status.state == .containerExited else { return nil }
        return ContainerStateTerminated(exitCode: status.exitCode, reason: status.reason.isEmpty ? nil : status.reason,
                                        message: status.message.isEmpty ? nil : status.message,
                                        startedAt: Self.time(status.startedAt), finishedAt: Self.time(status.finishedAt),
                                        containerID: "\(runtimeName)://\(status.id)")
    }

    /// Pending until every container has started once; Running while any runs or will be restarted;
    /// Succeeded/Failed once all have ended for good under the restart policy.
    private func phase(initialized: Bool) -> String {
        let policy = pod.spec?.restartPolicy ?? "Always"
        if !initialized {
            let failedInit = (pod.spec?.initContainers ?? []).contains { container in
                latest[container.name].map { $0.state == .containerExited && $0.exitCode != 0 } ?? false
            }
            return failedInit && policy == "Never" ? "Failed" : "Pending"
        }
        var running = 0, succeeded = 0, failed = 0, unstarted = 0
        for container in pod.spec?.containers ?? [] {
            guard let status = latest[container.name] else { unstarted += 1; continue }
            switch status.state {
            case .containerRunning: running += 1
            case .containerExited: if status.exitCode == 0 { succeeded += 1 } else { failed += 1 }
            default: unstarted += 1
            }
        }
        if unstarted > 0 { return running + succeeded + failed > 0 && running > 0 ? "Running" : "Pending" }
        if running > 0 { return "Running" }
        switch policy {
        case "Always": return "Running"
        case "OnFailure": return failed > 0 ? "Running" : "Succeeded"
        default: return failed > 0 ? "Failed" : "Succeeded"
        }
    }

    static func time(_ nanoseconds: Int64) -> Time? {
        nanoseconds > 0 ? Time(Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)) : nil
    }
}
