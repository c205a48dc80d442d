import CRI
import Foundation
import KubeAPI
import KubeClient
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("the API server goes away for a while: pods keep running untouched, a container that exits meanwhile is reported once it is back",
          .timeLimit(.minutes(3)))
    func apiServerOutage() async throws {
        let cluster = try await Cluster()
        do {
            try await outage(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func outage(_ cluster: Cluster) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: steady}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: \(shell), command: [sleep, "3600"]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: finisher}
            spec:
              nodeName: \(cluster.nodeName)
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: \(shell), command: [sh, -c, 'while [ ! -e /tmp/done ]; do sleep 0.2; done; exit 0']}
            """)
        let steady = try await cluster.waitForPod("steady") { $0.status?.phase == "Running" }
        let finisher = try await cluster.waitForPod("finisher") { $0.status?.phase == "Running" }
        let steadyID = try #require(Self.container(steady, "main")?.containerID)
        let finisherID = String(Self.container(finisher, "main")?.containerID?.dropFirst("swiftlet://".count) ?? "")

        cluster.server.kill()
        // Meanwhile one container ends (through the runtime: nothing reaches the API server).
        try await cluster.runtime.withClients { runtime, _ in
            var request = Runtime_V1_ExecSyncRequest()
            request.containerID = finisherID
            request.cmd = ["touch", "/tmp/done"]
            request.timeout = 5
            _ = try await runtime.execSync(request)
        }
        // Long enough for the agent's status writes, lease renewals and watches to fail and retry.
        try await Task.sleep(for: .seconds(8))
        let runningMeanwhile = try await cluster.runtime.withClients { runtime, _ in
            try await runtime.listContainers(Runtime_V1_ListContainersRequest()).containers
                .filter { $0.state == .containerRunning }.map { "swiftlet://" + $0.id }
        }
        #expect(runningMeanwhile == [steadyID], "\(runningMeanwhile)")
        #expect(cluster.agent.isRunning, "the agent exited while the API server was away")

        try await cluster.server.restart()
        let caughtUp = try await cluster.waitForPod("finisher", timeout: .seconds(60)) { $0.status?.phase == "Succeeded" }
        #expect(Self.container(caughtUp, "main")?.state?.terminated?.exitCode == 0)
        let after = try await cluster.waitForPod("steady") { $0.status?.phase == "Running" }
        #expect(Self.container(after, "main")?.containerID == steadyID)
        #expect(Self.container(after, "main")?.restartCount == 0)
        // The node is Ready again (its Lease and status are renewed).
        let deadline = ContinuousClock.now + .seconds(30)
        var ready = false
        while ContinuousClock.now < deadline, !ready {
            let lease = try? await cluster.client.get(Lease.self, name: cluster.nodeName, namespace: "kube-node-lease")
            ready = (lease?.spec?.renewTime).map { Date().timeIntervalSince($0.date) < 15 } ?? false
            if !ready { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(ready, "the agent did not renew its Lease after the API server came back")
    }
}
