import CRI
import Foundation
import KubeAPI
import KubeClient

extension PodWorkers {
    /// Computes the pod's status from the runtime's `view` and writes it to the status subresource when it changed:
    /// phase, conditions, container statuses (state, lastState, restartCount, image, containerID), IPs,
    /// start time and QoS class. `terminal`: the pod's containers were stopped for good (it is being deleted), so
    /// the status is its last one, in a terminal phase (``PodStatusBuilder/terminal``); its IPs stay as they were.
    /// `kill`: the kubelet stopped the pod for good (an eviction, its active deadline), so that last status is Failed
    /// with the kill's reason and message, and for an eviction a DisruptionTarget condition (upstream's eviction
    /// status function).
    func writeStatus(_ pod: Pod, view: PodRuntimeView, terminal: Bool = false, kill: PodKill? = nil) async throws {
        do {
            try await patchStatus(pod, view: view, terminal: terminal, kill: kill)
        } catch let error as KubeClientError where error.isConflict {
            // Another writer changed the pod since (the patch applies only to the version it was computed from, so
            // that a condition added meanwhile, a readiness gate's, is not lost): once more from the current version.
            let current = try await client.get(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace)
            remember(current)
            try await patchStatus(current, view: view, terminal: terminal, kill: kill)
        }
    }

    private func patchStatus(_ pod: Pod, view: PodRuntimeView, terminal: Bool, kill: PodKill?) async throws {
        let uid = pod.metadata.uid ?? ""
        let ready = view.ready
        // Exited containers with their termination messages.
        let logDirectory = SandboxConfigBuilder(configuration: configuration).logDirectory(pod)
        let statuses = view.latest.mapValues { TerminationMessage.adding(to: $0, logDirectory: logDirectory) }
        var previous: [String: Runtime_V1_ContainerStatus] = [:]
        for container in view.containers {
            guard let latest = statuses[container.metadata.name], container.metadata.attempt + 1 == latest.metadata.attempt else { continue }
            var request = Runtime_V1_ContainerStatusRequest()
            request.containerID = container.id
            let status = try await connection.runtime.containerStatus(request, options: RuntimeConnection.options()).status
            previous[container.metadata.name] = TerminationMessage.adding(to: status, logDirectory: logDirectory)
        }
        var podIP: String?
        if let ready {
            let ip = try await sandboxIP(ready.id, pod: pod)
            podIP = ip.isEmpty ? nil : ip
        } else if terminal {
            podIP = pod.status?.podIP
        }
        var status = PodStatusBuilder(
            pod: pod, sandboxReady: ready != nil, podIP: podIP, hostIP: nodeIP, runtimeName: runtimeName,
            latest: statuses, previous: previous, waiting: waiting[uid] ?? [:],
            probes: statuses.reduce(into: [:]) { probes, entry in
                // Only conclusions about the container that runs now; a fresh one has none yet.
                let key = "\(uid)/\(entry.key)"
                if probeWorkers[key]?.containerID == entry.value.id, let state = probeState[key] { probes[entry.key] = state }
            },
            terminal: terminal
        ).build()
        if let kill {
            status.phase = "Failed"
            status.reason = kill.reason
            status.message = kill.message
            if kill.disruption {
                status.conditions = (status.conditions ?? []).filter { $0.type != "DisruptionTarget" } + [
                    PodCondition(type: "DisruptionTarget", status: "True", lastTransitionTime: .now(), reason: "TerminationByKubelet",
                                 message: kill.message),
                ]
            }
        }
        status.conditions = (status.conditions ?? []).carryingTransitionTimes(from: pod.status?.conditions ?? [])
        guard status != pod.status else { return }
        // Only onto the version it was computed from: a merge patch replaces the whole conditions list.
        let body = try JSONEncoder().encode(StatusPatch(metadata: .init(resourceVersion: pod.metadata.resourceVersion), status: status))
        let updated = try await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace,
                                             patchType: .merge, body: body, subresource: "status")
        remember(updated)
    }
}

/// A status write with the resource version it applies to.
private struct StatusPatch: Encodable {
    struct Metadata: Encodable {
        let resourceVersion: String?
    }
    let metadata: Metadata
    let status: PodStatus
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
    /// The pod's containers were stopped for good (upstream's `podIsTerminal` and `TerminatePod`): its phase becomes
    /// Succeeded when every app container exited 0 and Failed otherwise, whatever the restart policy (a static pod
    /// keeps its phase, as upstream's does), and an app container without a terminated state is reported terminated
    /// with ContainerStatusUnknown.
    var terminal = false

    /// Upstream's reasons on the Ready, ContainersReady and Initialized conditions of a pod in a terminal phase.
    static let podCompleted = "PodCompleted", podFailed = "PodFailed"

    func build() -> PodStatus {
        let now = Time.now()
        let initContainers = pod.spec?.initContainers ?? [], containers = pod.spec?.containers ?? []
        let initStatuses = initContainers.map { container in
            var status = containerStatus(of: container, initializing: false)
            // A regular init container is ready once it completed (upstream's prober manager); a sidecar as an app
            // container is.
            if !container.isSidecar { status.ready = status.state?.terminated?.exitCode == 0 }
            return status
        }
        let provisional = containers.map { containerStatus(of: $0, initializing: true) }
        var phase = phase(initStatuses: initStatuses, appStatuses: provisional)
        let initialized = Self.initialized(initContainers, statuses: initStatuses, appStatuses: provisional, phase: phase)
        var appStatuses = initialized ? containers.map { containerStatus(of: $0, initializing: false) } : provisional
        if terminal {
            // Upstream's TerminatePod: once the pod has initialized, a container the runtime has no end for failed.
            if initialized {
                for index in appStatuses.indices where appStatuses[index].state?.terminated == nil {
                    appStatuses[index].state = ContainerState(terminated: ContainerStateTerminated(
                        exitCode: 137, reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was terminated"))
                    appStatuses[index].ready = false
                    appStatuses[index].started = false
                }
            }
            if !pod.isStatic && (phase == "Pending" || phase == "Running") { phase = "Failed" }
        }
        // Sidecars count for readiness as app containers do (upstream's GenerateContainersReadyCondition).
        let readiness = zip(initContainers, initStatuses).filter { $0.0.isSidecar }.map(\.1) + appStatuses
        let containersReady = initialized && !appStatuses.isEmpty && readiness.allSatisfy(\.ready)
        var status = PodStatus()
        status.phase = phase
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
        func condition(_ type: String, _ value: Bool, reason: String? = nil, message: String? = nil) -> PodCondition {
            PodCondition(type: type, status: value ? "True" : "False", lastTransitionTime: now, reason: value ? nil : reason,
                         message: value ? nil : message)
        }
        // In a terminal phase no container is ready, for the phase's reason (upstream's GenerateContainersReadyCondition),
        // and a pod that succeeded is initialized because it completed.
        let terminalReason = phase == "Succeeded" ? Self.podCompleted : phase == "Failed" ? Self.podFailed : nil
        // Which containers hold the conditions back, as upstream names them (Go's `[a b]`); none in a terminal phase.
        let incomplete = zip(initContainers, initStatuses).filter { container, status in
            container.isSidecar ? status.started != true : status.state?.terminated?.exitCode != 0
        }.map(\.0.name)
        let unready = readiness.filter { !$0.ready }.map(\.name)
        let unreadyMessage = terminalReason == nil && !unready.isEmpty ? "containers with unready status: [\(unready.joined(separator: " "))]" : nil
        var initializedCondition = condition("Initialized", initialized, reason: "ContainersNotInitialized",
                                             message: incomplete.isEmpty ? nil : "containers with incomplete status: [\(incomplete.joined(separator: " "))]")
        if phase == "Succeeded" { initializedCondition.reason = Self.podCompleted }
        // Conditions others own (a readiness gate's, an eviction's DisruptionTarget) stay as the API server has them
        // (upstream's mergePodStatus).
        let foreign = (pod.status?.conditions ?? []).filter { !Self.kubeletConditions.contains($0.type) }
        var ready = condition("Ready", containersReady && terminalReason == nil, reason: terminalReason ?? "ContainersNotReady", message: unreadyMessage)
        if ready.status == "True", let unready = Self.unreadyGates(pod.spec?.readinessGates ?? [], conditions: foreign) {
            ready = PodCondition(type: "Ready", status: "False", lastTransitionTime: now, reason: "ReadinessGatesNotReady", message: unready)
        }
        status.conditions = [
            condition("PodReadyToStartContainers", sandboxReady),
            initializedCondition,
            ready,
            condition("ContainersReady", containersReady && terminalReason == nil, reason: terminalReason ?? "ContainersNotReady", message: unreadyMessage),
            PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: pod.status?.conditions?.first { $0.type == "PodScheduled" }?.lastTransitionTime ?? now),
        ] + foreign
        return status
    }

    /// The pod conditions the kubelet owns (upstream's `PodConditionsByKubelet`).
    static let kubeletConditions: Set<String> = ["PodScheduled", "Ready", "Initialized", "ContainersReady", "PodReadyToStartContainers"]

    /// Why the pod's readiness gates keep it from being Ready, in upstream's words (`GeneratePodReadyCondition`); nil
    /// when every gate's condition is True.
    static func unreadyGates(_ gates: [PodReadinessGate], conditions: [PodCondition]) -> String? {
        let unready = gates.compactMap { gate -> String? in
            guard let condition = conditions.first(where: { $0.type == gate.conditionType }) else {
                return "corresponding condition of pod readiness gate \"\(gate.conditionType)\" does not exist."
            }
            return condition.status == "True" ? nil : "the status of pod readiness gate \"\(gate.conditionType)\" is not \"True\", but \(condition.status)"
        }
        return unready.isEmpty ? nil : unready.joined(separator: ", ")
    }

    /// The image is what the runtime reports for the newest container of the name (containerd: the image's first
    /// repo tag, so `busybox` shows as `docker.io/library/busybox:latest`; a container being replaced keeps its own
    /// image until the new one exists), the spec's while none was created, as upstream's
    /// `convertToAPIContainerStatuses`; `imageID` is the runtime's `imageRef`.
    private func containerStatus(of container: Container, initializing: Bool) -> ContainerStatus {
        let current = latest[container.name]
        var status = ContainerStatus(name: container.name, ready: false, restartCount: Int32(current?.metadata.attempt ?? 0),
                                     image: current?.image.image ?? container.image ?? "", imageID: current?.imageRef ?? "")
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
            // Not ready before it counts as started (upstream's prober manager).
            status.started = probes[container.name]?.started ?? (container.startupProbe == nil)
            status.ready = status.started == true && (probes[container.name]?.ready ?? (container.readinessProbe == nil))
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

    /// Upstream's `GeneratePodInitializedCondition`: every regular init container completed and every sidecar
    /// started; also once the pod has succeeded, or once an app container has run (sidecars restarting later do not
    /// make the pod uninitialized again).
    static func initialized(_ initContainers: [Container], statuses: [ContainerStatus], appStatuses: [ContainerStatus], phase: String) -> Bool {
        if phase == "Succeeded" { return true }
        if anyStarted(appStatuses) { return true }
        return zip(initContainers, statuses).allSatisfy { container, status in
            container.isSidecar ? status.started == true : status.ready
        }
    }

    /// Whether an app container is running or has terminated (upstream's `HasAnyRegularContainerStarted`).
    private static func anyStarted(_ appStatuses: [ContainerStatus]) -> Bool {
        appStatuses.contains { $0.state?.running != nil || $0.state?.terminated != nil }
    }

    /// Upstream's `getPhase` over the container statuses: Failed when a regular init container failed under
    /// restartPolicy Never; Pending while initialization is pending (regular init containers not completed, sidecars
    /// not started) and no app container has run yet, or while an app container waits for its first start; Running
    /// while one runs; Succeeded/Failed once every app container has terminated under a restart policy that does
    /// not restart it. Sidecars only ever hold the pod in Pending or Running: their exits do not count.
    private func phase(initStatuses: [ContainerStatus], appStatuses: [ContainerStatus]) -> String {
        let policy = pod.spec?.restartPolicy ?? "Always"
        let initContainers = pod.spec?.initContainers ?? []
        var pendingInitialization = 0, failedInitialization = 0
        var unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0
        for (container, status) in zip(initContainers, initStatuses) {
            let state = status.state
            if container.isSidecar {
                if state?.running != nil {
                    if status.started != true { pendingInitialization += 1 }
                    running += 1
                } else if state?.terminated != nil {
                    continue
                } else if state?.waiting != nil {
                    if status.lastState?.terminated == nil {
                        pendingInitialization += 1
                        waiting += 1
                    }
                } else {
                    pendingInitialization += 1
                    unknown += 1
                }
            } else if state?.running != nil {
                pendingInitialization += 1
            } else if let terminated = state?.terminated {
                if terminated.exitCode != 0 { failedInitialization += 1 }
            } else if state?.waiting != nil, let last = status.lastState?.terminated {
                if last.exitCode != 0 { failedInitialization += 1 }
            } else {
                pendingInitialization += 1
            }
        }
        for status in appStatuses {
            if status.state?.running != nil {
                running += 1
            } else if let terminated = status.state?.terminated {
                stopped += 1
                if terminated.exitCode == 0 { succeeded += 1 }
            } else if status.state?.waiting != nil {
                if status.lastState?.terminated != nil { stopped += 1 } else { waiting += 1 }
            } else {
                unknown += 1
            }
        }
        if failedInitialization > 0 && policy == "Never" { return "Failed" }
        if (pendingInitialization > 0 && !Self.anyStarted(appStatuses)) || waiting > 0 { return "Pending" }
        if running > 0 && unknown == 0 { return "Running" }
        if running == 0 && stopped > 0 && unknown == 0 {
            // A terminal pod's containers are not restarted, whatever its policy.
            if terminal && !pod.isStatic { return stopped == succeeded ? "Succeeded" : "Failed" }
            if policy == "Always" { return "Running" }
            if stopped == succeeded { return "Succeeded" }
            return policy == "Never" ? "Failed" : "Running"
        }
        return "Pending"
    }

    static func time(_ nanoseconds: Int64) -> Time? {
        nanoseconds > 0 ? Time(Date(timeIntervalSince1970: Double(nanoseconds) / 1e9)) : nil
    }
}
