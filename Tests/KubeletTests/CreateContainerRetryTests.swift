import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("a container that cannot be created is tried again once per back-off period (10 s), not at every relist (nor its image checked), and starts once its ConfigMap exists",
          .timeLimit(.minutes(2)))
    func createContainerConfigErrorIsRetriedPerBackOffPeriod() async throws {
        let cluster = try await Cluster()
        do {
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
                apiVersion: v1
                kind: Pod
                metadata: {name: cfg}
                spec:
                  nodeName: \(cluster.nodeName)
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: c
                    image: \(shell)
                    command: [sleep, "3600"]
                    env: [{name: X, valueFrom: {configMapKeyRef: {name: later, key: k}}}]
                """)
            try await cluster.waitForPod("cfg", timeout: .seconds(60)) {
                $0.status?.containerStatuses?.first?.state?.waiting?.reason == "CreateContainerConfigError"
            }
            try await Task.sleep(for: .seconds(5))
            let events = try await cluster.client.list(Event.self, namespace: "default", options: ListOptions(fieldSelector: "involvedObject.name=cfg")).items
            let failures = events.filter { $0.reason == "Failed" }
            #expect(failures.count == 1, "\(failures.map { "\($0.lastTimestamp.map { "\($0.date)" } ?? "") \($0.message ?? "")" })")
            // The image is checked (and "already present" recorded) once per attempt, not at every relist in between.
            let pulled = events.filter { $0.reason == "Pulled" }.map { $0.count ?? 1 }.reduce(0, +)
            #expect(pulled == 1, "Pulled recorded \(pulled) times in one back-off period")
            _ = try await cluster.kubectl(["create", "configmap", "later", "--from-literal=k=v"])
            try await cluster.waitForPod("cfg", timeout: .seconds(30)) { $0.status?.phase == "Running" }
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}
