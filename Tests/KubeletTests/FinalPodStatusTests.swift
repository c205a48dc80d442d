import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("a deleted pod's last status, written before the object goes: containers terminated, phase Succeeded or Failed by their exit codes, not ready for the phase's reason",
          .timeLimit(.minutes(3)), arguments: [CRIHarness.Kind.swiftlet, .containerd])
    func deletedPodGetsFinalStatus(_ runtime: CRIHarness.Kind) async throws {
        try await Cluster.with(runtime) { try await finalStatus($0) }
    }

    private func finalStatus(_ cluster: Cluster) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // `polite` exits 0 on SIGTERM; `stubborn` (sleep as PID 1, which ignores SIGTERM) is killed after the grace
        // period. Both under restartPolicy Always, which a terminal pod no longer follows.
        _ = try await cluster.kubectl(["create", "-f", "-"], stdin: """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: polite}
              spec:
                nodeName: \(cluster.nodeName)
                containers:
                - {name: app, image: \(shell), command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.1; done"]}
            - apiVersion: v1
              kind: Pod
              metadata: {name: stubborn}
              spec:
                nodeName: \(cluster.nodeName)
                terminationGracePeriodSeconds: 1
                containers:
                - {name: app, image: \(shell), command: [sleep, "3600"]}
            """)
        for name in ["polite", "stubborn"] {
            try await cluster.waitForPod(name) { pod in
                pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
            }
        }
        let listed = try await cluster.client.list(Pod.self, namespace: "default")
        let podIPs = Dictionary(uniqueKeysWithValues: listed.items.map { ($0.metadata.name ?? "", $0.status?.podIP) })
        // Every version of the two pods from now until they are gone.
        let versions = Task {
            var seen: [String: [WatchEvent<Pod>]] = [:]
            for try await event in cluster.client.watch(Pod.self, namespace: "default", resourceVersion: listed.metadata.resourceVersion) {
                guard let name = event.object?.metadata.name else { continue }
                seen[name, default: []].append(event)
                if seen.values.filter({ $0.contains { if case .deleted = $0 { true } else { false } } }).count == 2 { break }
            }
            return seen
        }
        _ = try await cluster.kubectl(["delete", "pod", "polite", "stubborn", "--timeout=60s"])
        let seen = try await versions.value

        for (name, phase, exitCode, reason) in [("polite", "Succeeded", Int32(0), "PodCompleted"), ("stubborn", "Failed", Int32(137), "PodFailed")] {
            let events = seen[name] ?? []
            guard case .deleted(let gone)? = events.last, events.count >= 2, case .modified(let last) = events[events.count - 2] else {
                Issue.record("\(name): no status written before the deletion: \(events.map { "\($0)".prefix(40) })")
                continue
            }
            // The last status before the DELETED event, which carries it too.
            for pod in [last, gone] {
                let status = try #require(pod.status)
                #expect(status.phase == phase, "\(name): \(status)")
                let app = try #require(status.containerStatuses?.first)
                #expect(app.state?.terminated?.exitCode == exitCode, "\(name): \(app)")
                #expect(app.state?.terminated?.reason == (exitCode == 0 ? "Completed" : "Error"), "\(name): \(app)")
                #expect(app.ready == false && app.started == false, "\(name): \(app)")
                for type in ["Ready", "ContainersReady"] {
                    let condition = status.conditions?.first { $0.type == type }
                    #expect(condition?.status == "False" && condition?.reason == reason, "\(name) \(type): \(String(describing: condition))")
                }
                #expect(status.conditions?.first { $0.type == "PodReadyToStartContainers" }?.status == "False")
                #expect(status.podIP != nil && status.podIP == podIPs[name], "\(name): the pod IP went with the final status")
            }
        }
    }
}
