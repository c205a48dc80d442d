import Foundation
import Logging
import Metrics
import Synchronization
import KubeAPI
import KubeClient

/// The simulated kubelet's pod lifecycle: Running and Ready once bound, Succeeded after `jobPodDuration` for Job
/// pods, and the final `DELETE` once a deleted pod's grace period is over.
extension NodeSimulator {
    /// Watches pods bound to any node, keeps those on simulated nodes, and works their queue until cancelled.
    func runPods() async {
        // No field selector: the API server would decode every pod event to evaluate it; filtering here is cheaper.
        let source = ListWatch<Pod>(client: client)
        await withDiscardingTaskGroup { group in
            group.addTask {
                await Reflector(source, logger: self.logger).run { delta in await self.apply(delta) }
            }
            group.addTask {
                await self.podQueue.process(workers: self.configuration.parallelism) { key in try await self.sync(key) }
            }
            group.addTask {
                await withTaskCancellationHandler {
                    while (try? await Task.sleep(for: .seconds(3600))) != nil {}
                } onCancel: {
                    Task { await self.podQueue.shutDown() }
                }
            }
        }
    }

    private func apply(_ delta: ReflectorDelta<Pod>) async {
        var changed: [String] = []
        switch delta {
        case .replace(let pods, _):
            let ours = pods.filter { nodeIndex[$0.spec?.nodeName ?? ""] != nil }.map(Self.trimmed)
            let fresh = Dictionary(ours.map { (Self.key($0), $0) }, uniquingKeysWith: { _, last in last })
            let gone = state.withLock { s -> [Pod] in
                let gone = s.pods.filter { fresh[$0.key] == nil }.map(\.value)
                s.pods = fresh
                return gone
            }
            for pod in gone { addresses.release(pod: pod.metadata.uid ?? "") }
            changed = Array(fresh.keys)
        case .event(let event):
            guard let pod = event.object, nodeIndex[pod.spec?.nodeName ?? ""] != nil else { return }
            let key = Self.key(pod)
            if case .deleted = event {
                state.withLock { _ = $0.pods.removeValue(forKey: key) }
                addresses.release(pod: pod.metadata.uid ?? "")
                metrics.podsRunning(state.withLock { $0.pods.count })
                return
            }
            state.withLock { $0.pods[key] = Self.trimmed(pod) }
            changed = [key]
        }
        metrics.podsRunning(state.withLock { $0.pods.count })
        for key in changed { await podQueue.add(key) }
    }

    /// The pod as kept here: without managedFields, which the simulated kubelet never reads.
    static func trimmed(_ pod: Pod) -> Pod {
        var pod = pod
        pod.metadata.managedFields = nil
        return pod
    }

    static func key(_ pod: Pod) -> String { "\(pod.metadata.namespace ?? "default")/\(pod.metadata.name ?? "")" }

    /// Moves one pod on: final delete, completion, or Running/Ready.
    func sync(_ key: String) async throws {
        guard let pod = state.withLock({ $0.pods[key] }), let node = pod.spec?.nodeName, let index = nodeIndex[node] else { return }
        if isPaused(node) { return }
        let name = pod.metadata.name ?? "", namespace = pod.metadata.namespace ?? "default"
        if let deletion = pod.metadata.deletionTimestamp?.date {
            var remaining = Duration.seconds(max(0, deletion.timeIntervalSinceNow))
            if let cap = configuration.maximumTerminationDelay, let requested = pod.metadata.deletionGracePeriodSeconds {
                // Kept at most `cap` after the delete request (deletionTimestamp is request time + grace period).
                let elapsed = Duration.seconds(Double(requested)) - remaining
                remaining = max(.zero, min(remaining, cap - elapsed))
            }
            if remaining > .zero {
                await podQueue.addAfter(key, delay: remaining)
                return
            }
            do {
                try await client.delete(Pod.self, name: name, namespace: namespace,
                                        options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: pod.metadata.uid)))
                metrics.podDeletions.increment()
            } catch {
                guard error.isNotFound || error.isConflict else { throw error }
            }
            return
        }
        let phase = pod.status?.phase
        if phase == "Succeeded" || phase == "Failed" { return }
        let ready = pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false
        if phase == "Running", ready, pod.status?.podIP != nil {
            guard pod.metadata.ownerReferences?.contains(where: { $0.kind == "Job" }) == true else { return }
            let started = pod.status?.startTime?.date ?? Date()
            let remaining = Duration.seconds(Double(configuration.jobPodDuration.components.seconds)
                + Double(configuration.jobPodDuration.components.attoseconds) / 1e18 - Date().timeIntervalSince(started))
            if remaining > .zero {
                await podQueue.addAfter(key, delay: remaining)
                return
            }
            try await patchStatus(pod, Self.completedStatus(pod))
            metrics.podCompletions.increment()
            return
        }
        let address = addresses.address(pod: pod.metadata.uid ?? key, node: index)
        try await patchStatus(pod, Self.runningStatus(pod, podIP: address, hostIP: PodAddresses.nodeIP(node: index)))
        metrics.podStarts.increment()
    }

    private func patchStatus(_ pod: Pod, _ status: JSONValue) async throws {
        do {
            _ = try await client.patch(Pod.self, name: pod.metadata.name ?? "", namespace: pod.metadata.namespace, patchType: .merge,
                                       ["status": status], subresource: "status")
        } catch {
            guard error.isNotFound else { throw error }
        }
    }

    /// What a kubelet reports for a started pod: phase Running, every condition True, IPs, start time and a running,
    /// ready, started status per container (init containers terminated with Completed).
    static func runningStatus(_ pod: Pod, podIP: String, hostIP: String) -> JSONValue {
        let now = JSONValue.string(Time.now().description)
        let started = pod.status?.startTime.map { JSONValue.string($0.description) } ?? now
        func condition(_ type: String) -> JSONValue { ["type": .string(type), "status": "True", "lastProbeTime": .null, "lastTransitionTime": now] }
        let uid = pod.metadata.uid ?? ""
        func containerID(_ name: String) -> JSONValue { .string("sim://\(uid)-\(name)") }
        let containers: [JSONValue] = (pod.spec?.containers ?? []).map { container in
            ["name": .string(container.name), "image": .string(container.image ?? ""), "imageID": .string(container.image ?? ""),
             "containerID": containerID(container.name), "ready": true, "started": true, "restartCount": 0,
             "state": ["running": ["startedAt": started]]]
        }
        let initContainers: [JSONValue] = (pod.spec?.initContainers ?? []).map { container in
            let sidecar = container.isSidecar
            let state: JSONValue = sidecar
                ? ["running": ["startedAt": started]]
                : ["terminated": ["exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": started,
                                  "containerID": containerID(container.name)]]
            return ["name": .string(container.name), "image": .string(container.image ?? ""), "imageID": .string(container.image ?? ""),
                    "containerID": containerID(container.name), "ready": .bool(sidecar), "started": .bool(sidecar), "restartCount": 0,
                    "state": state]
        }
        var status: JSONValue = [
            "phase": "Running", "hostIP": .string(hostIP), "hostIPs": [["ip": .string(hostIP)]],
            "podIP": .string(podIP), "podIPs": [["ip": .string(podIP)]], "startTime": started,
            "conditions": [condition("PodReadyToStartContainers"), condition("Initialized"), condition("Ready"),
                           condition("ContainersReady"), condition("PodScheduled")],
            "containerStatuses": .array(containers),
        ]
        if !initContainers.isEmpty { status["initContainerStatuses"] = .array(initContainers) }
        return status
    }

    /// A finished Job pod: phase Succeeded, containers terminated with exit code 0, Ready False (PodCompleted).
    static func completedStatus(_ pod: Pod) -> JSONValue {
        let now = JSONValue.string(Time.now().description)
        let started = pod.status?.startTime.map { JSONValue.string($0.description) } ?? now
        let uid = pod.metadata.uid ?? ""
        func condition(_ type: String, _ status: String, _ reason: String? = nil) -> JSONValue {
            var condition: JSONValue = ["type": .string(type), "status": .string(status), "lastProbeTime": .null, "lastTransitionTime": now]
            if let reason { condition["reason"] = .string(reason) }
            return condition
        }
        let containers: [JSONValue] = (pod.spec?.containers ?? []).map { container in
            ["name": .string(container.name), "image": .string(container.image ?? ""), "imageID": .string(container.image ?? ""),
             "containerID": .string("sim://\(uid)-\(container.name)"), "ready": false, "started": false, "restartCount": 0,
             "state": ["terminated": ["exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": now,
                                      "containerID": .string("sim://\(uid)-\(container.name)")]]]
        }
        return [
            "phase": "Succeeded",
            "conditions": [condition("PodReadyToStartContainers", "False"), condition("Initialized", "True", "PodCompleted"),
                           condition("Ready", "False", "PodCompleted"), condition("ContainersReady", "False", "PodCompleted"),
                           condition("PodScheduled", "True")],
            "containerStatuses": .array(containers),
        ]
    }
}
