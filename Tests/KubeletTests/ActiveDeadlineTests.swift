import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("activeDeadlineSeconds: a pod running longer than its deadline is stopped with its grace period and ends Failed with upstream's DeadlineExceeded reason, message and Event",
          .timeLimit(.minutes(2)))
    func activeDeadline() async throws {
        try await Cluster.with { cluster in
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: bounded}
                spec:
                  nodeName: \(cluster.nodeName)
                  activeDeadlineSeconds: 4
                  terminationGracePeriodSeconds: 5
                  containers:
                  - name: app
                    image: \(cluster.runtime.registry)/swiftlet-test/shell:v1
                    command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]
                """)
            let running = try await cluster.waitForPod("bounded") { $0.status?.phase == "Running" }
            let started = try #require(running.status?.startTime?.date)
            let failed = try await cluster.waitForPod("bounded", timeout: .seconds(30)) { $0.status?.phase == "Failed" }
            #expect(failed.status?.reason == "DeadlineExceeded", "\(String(describing: failed.status))")
            #expect(failed.status?.message == "Pod was active on the node longer than the specified deadline")
            #expect(failed.status?.conditions?.contains { $0.type == "DisruptionTarget" } != true)
            // Stopped by SIGTERM (exit 0 from its trap) after the deadline, not before.
            let terminated = try #require(Self.container(failed, "app")?.state?.terminated, "\(String(describing: failed.status))")
            #expect(terminated.exitCode == 0)
            let finished = try #require(terminated.finishedAt?.date)
            #expect(finished.timeIntervalSince(started) >= 3, "stopped \(finished.timeIntervalSince(started)) s after it started")
            let events = try await cluster.client.list(Event.self, namespace: "default",
                                                       options: ListOptions(fieldSelector: "involvedObject.name=bounded,reason=DeadlineExceeded")).items
            #expect(events.first?.type == "Normal" && events.first?.message == "Pod was active on the node longer than the specified deadline",
                    "\(events)")
        }
    }
}
