import CRI
import KubeAPI
import KubeClient
import Logging

/// What the probes of one running container concluded.
struct ProbeState: Sendable {
    /// Readiness: true once the readiness probe succeeded (or there is none).
    var ready: Bool
    /// Startup: true once the startup probe succeeded (or there is none); liveness and readiness wait for it.
    var started: Bool
}

extension PodWorkers {
    enum ProbeKind: String, Sendable {
        case startup = "Startup", readiness = "Readiness", liveness = "Liveness"
    }

    /// Starts the probe loops of a running container, once per container ID (a restarted container gets new
    /// ones; the old ones are cancelled).
    func ensureProbes(_ pod: Pod, _ container: Container, containerID: String, podIP: String) {
        let key = "\(pod.metadata.uid ?? "")/\(container.name)"
        let probes: [(ProbeKind, Probe)] = [(.startup, container.startupProbe), (.readiness, container.readinessProbe),
                                            (.liveness, container.livenessProbe)].compactMap { kind, probe in probe.map { (kind, $0) } }
        guard !probes.isEmpty, probeWorkers[key]?.containerID != containerID else { return }
        probeWorkers[key]?.task.cancel()
        probeState[key] = ProbeState(ready: container.readinessProbe == nil, started: container.startupProbe == nil)
        let prober = Prober(connection: connection)
        let task = Task {
            await withDiscardingTaskGroup { group in
                for (kind, probe) in probes {
                    group.addTask {
                        await self.probeLoop(kind, probe, pod: pod, container: container, containerID: containerID, podIP: podIP, prober: prober)
                    }
                }
            }
        }
        probeWorkers[key] = (containerID, task)
    }

    /// Stops the probes of every container of a pod.
    func stopProbes(uid: String) {
        for (key, worker) in probeWorkers where key.hasPrefix(uid + "/") {
            worker.task.cancel()
            probeWorkers[key] = nil
            probeState[key] = nil
        }
        probeMetrics.remove(podUID: uid)
    }

    /// One probe on its period with upstream's thresholds (defaults: every 10 s, 1 s timeout, 1 success,
    /// 3 failures), starting after `initialDelaySeconds`.
    private nonisolated func probeLoop(_ kind: ProbeKind, _ probe: Probe, pod: Pod, container: Container, containerID: String,
                                       podIP: String, prober: Prober) async {
        let key = "\(pod.metadata.uid ?? "")/\(container.name)"
        let period = Duration.seconds(Int64(max(1, probe.periodSeconds ?? 10)))
        let successThreshold = max(1, probe.successThreshold ?? 1), failureThreshold = max(1, probe.failureThreshold ?? 3)
        try? await Task.sleep(for: .seconds(Int64(max(0, probe.initialDelaySeconds ?? 0))))
        var successes: Int32 = 0, failures: Int32 = 0
        while !Task.isCancelled {
            let started = await probeState[key]?.started ?? false
            if kind == .startup ? started : !started {
                if kind == .startup { return }
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            let clock = ContinuousClock(), probeStart = clock.now
            let result = await prober.probe(probe, container: container, containerID: containerID, podIP: podIP)
            probeMetrics.record(.init(probeType: kind.rawValue, result: result == .success ? "successful" : "failed", container: container.name,
                                      pod: pod.metadata.name ?? "", namespace: pod.metadata.namespace ?? "", podUID: pod.metadata.uid ?? ""),
                                duration: clock.now - probeStart)
            switch result {
            case .success:
                successes += 1
                failures = 0
                if successes >= successThreshold { await probeSucceeded(kind, key: key, containerID: containerID, uid: pod.metadata.uid ?? "") }
            case .failure(let message):
                failures += 1
                successes = 0
                if failures >= failureThreshold {
                    await probeFailed(kind, key: key, pod: pod, container: container, containerID: containerID, probe: probe, message: message)
                    if kind != .readiness { return }
                }
            }
            try? await Task.sleep(for: period)
        }
    }

    /// Whether the probes of `key` are still those of container `containerID`: a loop cancelled because its container
    /// was replaced may finish one last probe, whose result is no longer about the container that runs.
    private func isCurrent(_ key: String, containerID: String) -> Bool {
        probeWorkers[key]?.containerID == containerID
    }

    private func probeSucceeded(_ kind: ProbeKind, key: String, containerID: String, uid: String) {
        guard isCurrent(key, containerID: containerID), var state = probeState[key] else { return }
        switch kind {
        case .startup: state.started = true
        case .readiness:
            guard !state.ready else { return }
            state.ready = true
        case .liveness: return
        }
        probeState[key] = state
        rescheduleForStatus(uid)
    }

    /// Readiness failures make the container unready; liveness and startup failures kill it (with the
    /// probe's or the pod's grace period) so the restart policy restarts it.
    private func probeFailed(_ kind: ProbeKind, key: String, pod: Pod, container: Container, containerID: String, probe: Probe,
                             message: String) async {
        guard isCurrent(key, containerID: containerID) else { return }
        // A container that has exited meanwhile is not probed (as upstream's worker, which probes only a running
        // container): its failure says nothing, and its restart is the restart policy's business.
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = containerID
        if let status = try? await connection.runtime.containerStatus(request, options: RuntimeConnection.options()).status,
           status.state != .containerRunning || !isCurrent(key, containerID: containerID) {
            return
        }
        let fieldPath = Self.fieldPath(ofContainer: container.name, in: pod)
        events.record(pod, "Warning", reason: "Unhealthy", message: "\(kind.rawValue) probe failed: \(message)", fieldPath: fieldPath)
        let uid = pod.metadata.uid ?? ""
        if kind == .readiness {
            if probeState[key]?.ready == true {
                probeState[key]?.ready = false
                rescheduleForStatus(uid)
            }
            return
        }
        let verb = kind == .liveness ? "liveness" : "startup"
        // Upstream's words: a sidecar is "Init container …"; an app container "…, will be restarted" unless the policy is Never.
        let sidecar = (pod.spec?.initContainers ?? []).contains { $0.name == container.name }
        let killing = sidecar ? "Init container \(container.name) failed \(verb) probe"
            : "Container \(container.name) failed \(verb) probe" + (pod.spec?.restartPolicy == "Never" ? "" : ", will be restarted")
        events.record(pod, reason: "Killing", message: killing, fieldPath: fieldPath)
        logger.info("killing container after failed probe", metadata: ["pod": "\(Self.name(pod))", "container": "\(container.name)", "probe": "\(verb)"])
        await kill(containerID, container: container, pod: pod, podIP: pod.status?.podIP ?? "",
                   grace: probe.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30)
        rescheduleForStatus(uid)
    }
}
