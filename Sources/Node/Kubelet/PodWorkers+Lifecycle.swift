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
        // Until the restart, the container waits with the hook's error; under restartPolicy Never it stays terminated
        // (a sidecar is restarted whatever the pod's policy).
        if pod.spec?.restartPolicy ?? "Always" != "Never" || (pod.spec?.initContainers ?? []).contains(where: { $0.name == container.name && $0.isSidecar }) {
            waiting[uid, default: [:]][container.name] = ("PostStartHookError", failure)
        }
        return false
    }

    /// Stops a container with `grace` seconds: its preStop handler first (when the spec `container` and its
    /// `pod` are known and it has one; the handler may use the grace period), then — with an `ordering` — its turn
    /// (a sidecar waits for the app containers and later sidecars to exit, within what is left of the grace period),
    /// then SIGTERM and SIGKILL after the rest, which is at least 2 s after a hook or a wait, as upstream.
    func kill(_ containerID: String, container: Container?, pod: Pod?, podIP: String, grace: Int64,
              ordering: (TerminationOrdering, name: String)? = nil) async {
        var remaining = grace, waited = false
        let clock = ContinuousClock(), started = clock.now
        if let container, let pod, let handler = container.lifecycle?.preStop {
            let runner = LifecycleHookRunner(connection: connection)
            if let failure = await runner.run(handler, container: container, containerID: containerID, pod: pod, podIP: podIP, timeout: grace) {
                events.record(pod, "Warning", reason: "FailedPreStopHook", message: failure, fieldPath: Self.fieldPath(ofContainer: container.name, in: pod))
            }
            remaining = grace - (clock.now - started).components.seconds
            waited = true
        }
        if let ordering, remaining > 0 {
            if await ordering.0.waitForTurn(ordering.name, limit: .seconds(remaining)) > .zero {
                remaining = grace - (clock.now - started).components.seconds
                waited = true
            }
        }
        if waited { remaining = max(2, remaining) }
        var stop = Runtime_V1_StopContainerRequest()
        stop.containerID = containerID
        stop.timeout = remaining
        _ = try? await connection.lifecycle.stopContainer(stop, options: RuntimeConnection.options(.seconds(remaining + 60)))
        if let ordering { await ordering.0.containerTerminated(ordering.name) }
    }
}
