import Foundation
import KubeAPI
import KubeClient
import Synchronization
import TestSupport

/// Pod startup as upstream's SLI measures it (images already on the nodes, no init containers): from the create
/// request to the watch event showing the pod Running with its container started. Pods are plain busybox
/// `sleep` pods placed by the scheduler; either one after the other (each waited for) or all created at once.
struct PodStartup {
    let client: KubeClient
    let nodes: [String]

    struct Sample {
        var node: String
        /// Create request sent → the pod seen bound to a node.
        var scheduled: Duration
        /// Create request sent → the pod seen Running with its container started.
        var running: Duration
    }

    struct Result {
        var samples: [Sample]
        var wall: Duration
        var perNode: [String: Int]
    }

    /// What the watch saw, by pod name.
    private final class Observations: Sendable {
        struct Seen { var node: String?; var scheduled: ContinuousClock.Instant?; var running: ContinuousClock.Instant? }
        let seen = Mutex<[String: Seen]>([:])

        func record(_ pod: Pod, at now: ContinuousClock.Instant) {
            let name = pod.metadata.name ?? ""
            let node = pod.spec?.nodeName
            let started = pod.status?.phase == "Running"
                && !(pod.status?.containerStatuses ?? []).isEmpty
                && (pod.status?.containerStatuses ?? []).allSatisfy { $0.state?.running != nil }
            seen.withLock { all in
                var entry = all[name] ?? Seen()
                if let node, entry.scheduled == nil { entry.node = node; entry.scheduled = now }
                if started, entry.running == nil { entry.running = now }
                all[name] = entry
            }
        }

        func get(_ name: String) -> Seen? { seen.withLock { $0[name] } }
    }

    /// Starts `pods` pods, measures each, calls `whileRunning` with all of them running, and deletes them again.
    func run(pods count: Int, together: Bool, whileRunning: () async throws -> Void = {}) async throws -> Result {
        let label = together ? "burst" : "sequential"
        progress("pod startup: \(count) pods \(together ? "created at once" : "one after the other")")
        let selector = "bench=startup-\(label)"
        let listed = try await client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: selector))
        let observations = Observations()
        let stream = client.watch(Pod.self, namespace: "default", labelSelector: selector, resourceVersion: listed.metadata.resourceVersion)
        let watcher = Task {
            for try await event in stream {
                if let pod = event.object { observations.record(pod, at: .now) }
            }
        }
        defer { watcher.cancel() }

        let names = (1...count).map { "startup-\(label)-\($0)" }
        var sent: [String: ContinuousClock.Instant] = [:]
        let started = ContinuousClock.now
        if together {
            sent = try await withThrowingTaskGroup(of: (String, ContinuousClock.Instant).self) { group in
                for name in names {
                    group.addTask {
                        let pod = try Self.pod(name, label: label)
                        let now = ContinuousClock.now
                        _ = try await client.create(pod)
                        return (name, now)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            try await waitUntil(names.allSatisfy { observations.get($0)?.running != nil }, what: "\(count) pods running")
        } else {
            for name in names {
                let pod = try Self.pod(name, label: label)
                sent[name] = .now
                _ = try await client.create(pod)
                try await waitUntil(observations.get(name)?.running != nil, what: "\(name) running")
            }
        }
        let wall = ContinuousClock.now - started
        try await whileRunning()

        var samples: [Sample] = []
        var perNode: [String: Int] = [:]
        for name in names {
            guard let seen = observations.get(name), let running = seen.running, let scheduled = seen.scheduled, let start = sent[name] else { continue }
            samples.append(Sample(node: seen.node ?? "", scheduled: scheduled - start, running: running - start))
            perNode[seen.node ?? "", default: 0] += 1
        }
        // Deleted gracefully (1 s, kubectl's shortest), not with 0: a pod deleted with 0 leaves the API at once while its
        // node still stops its container and tears down its sandbox, and the next phase's pods would start beside that
        // work. This way the object goes only once its kubelet has cleaned the pod up, and the wait below ends on quiet nodes.
        for name in names {
            try? await client.delete(Pod.self, name: name, namespace: "default", options: DeleteOptions(gracePeriodSeconds: 1))
        }
        try await waitUntil((try? await client.list(Pod.self, namespace: "default", options: ListOptions(labelSelector: selector)).items.isEmpty) == true,
                            what: "\(label) pods deleted")
        return Result(samples: samples, wall: wall, perNode: perNode)
    }

    static func pod(_ name: String, label: String) throws -> Pod {
        try object(Pod.self, """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","namespace":"default","labels":{"bench":"startup-\(label)"}},
             "spec":{"terminationGracePeriodSeconds":0,"containers":[{"name":"sleep","image":"swiftlet.local/busybox:1.35",
             "imagePullPolicy":"IfNotPresent","command":["sleep","3600"]}]}}
            """)
    }
}

/// Polls `condition` every 5 ms for up to `timeout`.
func waitUntil(_ condition: @autoclosure () async throws -> Bool, what: String, timeout: Duration = .seconds(180)) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}
