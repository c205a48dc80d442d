import Foundation
import KubeAPI
@testable import Kubelet
import Synchronization
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl logs --previous shows the attempt before a restart; kubectl logs -f ends once the followed container exits, with its last lines",
          .timeLimit(.minutes(3)))
    func kubectlLogsPreviousAndFollow() async throws {
        let cluster = try await Cluster()
        do {
            try await logsPreviousAndFollow(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func logsPreviousAndFollow(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // Each attempt counts itself in an emptyDir, runs 4 s and fails (restarted after the 10 s back-off).
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: counter}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              volumes: [{name: state, emptyDir: {}}]
              containers:
              - name: c
                image: \(shell)
                volumeMounts: [{name: state, mountPath: /state}]
                command: [sh, -c, 'n=$(($(cat /state/n 2>/dev/null || echo 0)+1)); echo $n > /state/n; echo attempt-$n; sleep 4; echo bye-$n; exit 1']
            """)
        try await cluster.waitForPod("counter", timeout: .seconds(90)) { pod in
            pod.status?.containerStatuses?.first.map { $0.restartCount >= 1 && $0.state?.running != nil } ?? false
        }
        // -f on the running second attempt: kubectl ends by itself once the container exits, after its last line.
        let followed = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "logs", "-f", "counter"], timeout: 30)
        #expect(followed.status == 0 && followed.stdout == "attempt-2\nbye-2\n", "\(followed)")
        let previous = try await cluster.kubectl(["logs", "counter", "--previous"])
        #expect(previous == "attempt-1\nbye-1\n", "\(previous)")
        // The exited attempt stays current until the back-off (now 20 s) restarts it.
        #expect(try await cluster.kubectl(["logs", "counter"]) == "attempt-2\nbye-2\n")
        let none = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "logs", "counter", "-c", "nope"])
        #expect(none.status != 0 && none.stderr.contains("container nope is not valid for pod counter"), "\(none)")
    }
}

/// The follow loop on real files: a rotation (rename to `.1`, a new file) loses and repeats nothing, and the follow
/// ends with the container, after its last lines.
@Suite("kubelet container log follow", .timeLimit(.minutes(1)))
struct ContainerLogFollowTests {
    final class FollowState: Sendable {
        let output = Mutex("")
        let running = Mutex(true)
        let finished = Mutex(false)
    }

    @Test("rotation mid-follow and the container's exit")
    func rotationAndExit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-logs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/0.log"
        func record(_ text: String) -> String { "2026-01-01T00:00:00.000000000Z stdout F \(text)\n" }
        func append(_ text: String, to file: String = path) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
        try (record("one") + record("two")).write(toFile: path, atomically: false, encoding: .utf8)
        let state = FollowState()
        let reader = CRILogReader(path: path, timestamps: false, tailLines: 1)
        let follow = Task {
            await reader.follow(isRunning: { state.running.withLock { $0 } }) { text in state.output.withLock { $0 += text } }
            state.finished.withLock { $0 = true }
        }
        func waitFor(_ expected: String) async throws {
            for _ in 0..<100 where state.output.withLock({ $0 }) != expected { try await Task.sleep(for: .milliseconds(50)) }
            #expect(state.output.withLock { $0 } == expected)
        }
        try await waitFor("two\n")
        try append(record("three"))
        try await waitFor("two\nthree\n")
        // The runtime rotates: a last line into the old file, rename, a new file.
        try append(record("four"))
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try record("five").write(toFile: path, atomically: false, encoding: .utf8)
        try await waitFor("two\nthree\nfour\nfive\n")
        // The container exits after one more line: the follow emits it and ends.
        try append(record("six"))
        state.running.withLock { $0 = false }
        for _ in 0..<200 where !state.finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(state.finished.withLock { $0 }, "the follow goes on after the container exited")
        #expect(state.output.withLock { $0 } == "two\nthree\nfour\nfive\nsix\n")
        follow.cancel()
    }
}
