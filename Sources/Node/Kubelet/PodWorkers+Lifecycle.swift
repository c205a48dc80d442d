import CRI
import Foundation
import KubeAPI
import KubeClient
import Logging

extension PodWorkers {
    /// Runs the container's postStart handler right after it started. A failure is a `FailedPostStartHook`
    /// event and kills the container (its restart policy decides what follows), as upstream does.
    /// Returns whether the container may go on running.
    func runPostStart(_ container: Container, containerID: String, pod: Pod, podIP: String) async -> Bool {
        guard let handler = container.lifecycle?.postStart else { return true }
        let runner = LifecycleHookRunner(connection: connection)
        guard let failure = await runner.run(handler, container: container, containerID: containerID, pod: pod, podIP: podIP, timeout: 0) else {
            return true
        }
        let uid = pod.metadata.uid ?? ""
        events.record(pod, "Warning", reason: "FailedPostStartHook", message: failure, fieldPath: Self.fieldPath(ofContainer: container.name, in: pod))
        logger.info("postStart hook failed", metadata: ["pod": "\(Self.name(pod))", "container": "\(container.name)", "error": "\(failure)"])
        await kill(containerID, container: nil, pod: pod, podIP: podIP, grace: pod.spec?.terminationGracePeriodSeconds ?? 30)
        // Until the restart, the container waits with the hook's error; under restartPolicy Never it stays terminated.
        if pod.spec?.restartPolicy ?? "Always" != "Never" {
            waiting[uid, default: [:]][container.name] = ("PostStartHookError", failure)
        }
        return false
    }

    /// Stops a container with `grace` seconds: its preStop handler first (when the spec `container` and its
    /// `pod` are known and it has one; the handler may use the grace period, then the container still gets at
    /// least 2 s, as upstream), then SIGTERM and SIGKILL after the rest.
    func kill(_ containerID: String, container: Container?, pod: Pod?, podIP: String, grace: Int64) async {
        var remaining = grace
        if let container, let pod, let handler = container.lifecycle?.preStop {
            let started = ContinuousClock.now
            let runner = LifecycleHookRunner(connection: connection)
            if let failure = await runner.run(handler, container: container, containerID: containerID, pod: pod, podIP: podIP, timeout: grace) {
                events.record(pod, "Warning", reason: "FailedPreStopHook", message: failure, fieldPath: Self.fieldPath(ofContainer: container.name, in: pod))
            }
            remaining = max(2, grace - (ContinuousClock.now - started).components.seconds)
        }
        var stop = Runtime_V1_StopContainerRequest()
        stop.containerID = containerID
        stop.timeout = remaining
        _ = try? await connection.runtime.stopContainer(stop, options: RuntimeConnection.options(.seconds(remaining + 60)))
    }
}
