import KubeAPI

/// The order in which a pod's running containers stop on termination (upstream's `terminationOrdering`, 1.29+):
/// app containers at once; each sidecar only after every app container and every sidecar declared after it has
/// exited, so sidecars go in reverse order of declaration, all within the one grace period.
actor TerminationOrdering {
    /// What each container waits for before it is stopped.
    private let prerequisites: [String: [String]]
    /// Containers that are not (or no longer) running.
    private var terminated: Set<String>
    private var waiters: [(names: [String], continuation: CheckedContinuation<Void, Never>)] = []

    /// `running` are the names of the pod's containers the runtime runs now; the others count as exited already.
    init(pod: Pod, running: Set<String>) {
        let appContainers = (pod.spec?.containers ?? []).map(\.name)
        var prerequisites: [String: [String]] = [:]
        var later: String?
        for container in (pod.spec?.initContainers ?? []).reversed() where container.isSidecar {
            prerequisites[container.name] = appContainers + (later.map { [$0] } ?? [])
            later = container.name
        }
        self.prerequisites = prerequisites
        let names = appContainers + (pod.spec?.initContainers ?? []).map(\.name)
        terminated = Set(names.filter { !running.contains($0) })
    }

    /// Whether the pod has a sidecar, so an ordering matters at all.
    static func needed(_ pod: Pod) -> Bool { (pod.spec?.initContainers ?? []).contains(where: \.isSidecar) }

    /// Waits until `name` may stop, at most `limit`; returns how long it waited.
    func waitForTurn(_ name: String, limit: Duration) async -> Duration {
        let names = prerequisites[name] ?? []
        let clock = ContinuousClock(), start = clock.now
        guard !names.allSatisfy(terminated.contains) else { return .zero }
        let timeout = Task { [weak self] in
            try? await Task.sleep(for: limit)
            await self?.release(name)
        }
        await withCheckedContinuation { continuation in
            waiters.append(([name] + names, continuation))
        }
        timeout.cancel()
        return clock.now - start
    }

    /// `name` has exited: whoever waited only for it and others already gone may stop now.
    func containerTerminated(_ name: String) {
        terminated.insert(name)
        resume { names in names.dropFirst().allSatisfy(terminated.contains) }
    }

    /// `name`'s wait ran out of time.
    private func release(_ name: String) {
        resume { names in names.first == name }
    }

    private func resume(where condition: ([String]) -> Bool) {
        var kept: [(names: [String], continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in waiters {
            if condition(waiter.names) { waiter.continuation.resume() } else { kept.append(waiter) }
        }
        waiters = kept
    }
}
