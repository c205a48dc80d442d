import CRI
import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("static pods: a manifest runs with a mirror pod; the mirror comes back when deleted without a restart; an edited manifest replaces the pod, a removed one stops it",
          .timeLimit(.minutes(3)))
    func staticPods() async throws {
        let cluster = try await Cluster()
        do {
            try await staticPodLifecycle(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func staticPodLifecycle(_ cluster: Cluster) async throws {
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        let manifest = cluster.manifests + "/web.yaml"
        func write(_ greeting: String) throws {
            try """
                apiVersion: v1
                kind: Pod
                metadata: {name: web, labels: {tier: static}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: main, image: \(shell), command: [sh, -c, "echo \(greeting); exec sleep 3600"]}
                """.write(toFile: manifest, atomically: true, encoding: .utf8)
        }
        // A broken manifest next to it is reported and skipped.
        try "kind: Pod\nmetadata: [oops".write(toFile: cluster.manifests + "/broken.yaml", atomically: true, encoding: .utf8)
        try write("first")
        let name = "web-\(cluster.nodeName)"
        let running = try await cluster.waitForPod(name, timeout: .seconds(60)) { $0.status?.phase == "Running" }
        let hash = try #require(running.metadata.annotations?["kubernetes.io/config.mirror"])
        #expect(running.metadata.annotations?["kubernetes.io/config.source"] == "file")
        #expect(running.metadata.ownerReferences?.first?.kind == "Node")
        #expect(running.spec?.nodeName == cluster.nodeName)
        let containerID = try #require(running.status?.containerStatuses?.first?.containerID)
        #expect(try await cluster.kubectl(["logs", name]) == "first\n")
        #expect(try await cluster.kubectl(["exec", name, "--", "echo", "in static pod"]) == "in static pod\n")

        // Deleting the mirror does not touch the static pod: a new mirror shows the same container.
        _ = try await cluster.kubectl(["delete", "pod", name, "--wait=false"])
        let mirrored = try await cluster.waitForPod(name, timeout: .seconds(30)) { pod in
            pod.metadata.uid != running.metadata.uid && pod.metadata.deletionTimestamp == nil
                && pod.status?.containerStatuses?.first?.containerID != nil
        }
        #expect(mirrored.metadata.annotations?["kubernetes.io/config.mirror"] == hash)
        #expect(mirrored.status?.containerStatuses?.first?.containerID == containerID)
        #expect(mirrored.status?.containerStatuses?.first?.restartCount == 0)

        // An edited manifest is a new pod: the old one stops, the new one runs under a new hash.
        try write("second")
        _ = try await cluster.waitForPod(name, timeout: .seconds(60)) { pod in
            pod.metadata.annotations?["kubernetes.io/config.mirror"] != hash && pod.status?.phase == "Running"
        }
        var logs = ""
        for _ in 0..<50 where logs != "second\n" {
            logs = (try? await cluster.kubectl(["logs", name])) ?? ""
            if logs != "second\n" { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(logs == "second\n")

        // A removed manifest: the pod stops and its mirror goes.
        try FileManager.default.removeItem(atPath: manifest)
        let deadline = ContinuousClock.now + .seconds(30)
        var gone = false
        while !gone, ContinuousClock.now < deadline {
            gone = ((try? await cluster.kubectl(["get", "pods", "-o", "name"])) ?? "x").isEmpty
            if !gone { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(gone, "the mirror pod stayed")
        var leftovers = -1
        for _ in 0..<50 where leftovers != 0 {
            leftovers = try await cluster.runtime.withClients { runtime, _ in
                try await runtime.listContainers(.init()).containers.filter { $0.state == .containerRunning }.count
            }
            if leftovers != 0 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(leftovers == 0, "the static pod's container still runs")
        let agentLog = try String(contentsOfFile: cluster.agent.logFile, encoding: .utf8)
        #expect(agentLog.contains("static pod manifest rejected") && agentLog.contains("broken.yaml"))
    }
}
