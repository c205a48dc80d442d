import CRI
import Foundation
import GRPCCore
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl debug --target: the ephemeral container joins the target's PID namespace, runs once, is reported, kubectl debug -it talks to it, and it goes with the pod",
          .timeLimit(.minutes(3)))
    func kubectlDebug() async throws {
        let cluster = try await Cluster()
        do {
            try await debug(cluster)
            // The runtime's answer to a target that is not there, in containerd's words.
            try await cluster.runtime.withClients { runtime, _ in
                let sandboxID = try #require(try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest()).items.first?.id)
                let sandbox = CRIRequests.sandboxConfig(name: "debugged", logDirectory: cluster.runtime.root + "/pods/x")
                var config = CRIRequests.containerConfig(name: "stray", image: "\(cluster.runtime.registry)/swiftlet-test/shell:v1")
                config.linux.securityContext.namespaceOptions.pid = .target
                config.linux.securityContext.namespaceOptions.targetID = "nope"
                do {
                    _ = try await runtime.createContainer(CRIRequests.create(sandboxID, config, sandbox))
                    Issue.record("a container targeting a missing container was created")
                } catch let error as RPCError {
                    #expect(error.code == .notFound && error.message == #"invalid target container: container "nope" does not exist"#, "\(error)")
                }
            }
            try await deleteDebugged(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nruntime log:\n\(cluster.runtime.log)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test("kubectl debug --target against containerd's CRI: the agent sends the TARGET namespace mode containerd expects",
          .timeLimit(.minutes(3)))
    func kubectlDebugContainerd() async throws {
        let cluster = try await Cluster(.containerd)
        do {
            try await debug(cluster)
            try await deleteDebugged(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// `kubectl debug` without a terminal: the ephemeral container sees the target's process as PID 1, runs and is
    /// reported; then `kubectl debug -it` attaches to a second one's terminal and talks to its shell.
    private func debug(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: debugged}
            spec:
              nodeName: \(cluster.nodeName)
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: \(shell)
                command: [sleep, "3601"]
            """)
        try await cluster.waitForPod("debugged", timeout: .seconds(90)) { $0.status?.phase == "Running" }

        // The target's PID namespace: its `sleep 3601` is PID 1 there (the ephemeral container's own sh otherwise).
        _ = try await cluster.kubectl(["debug", "pod/debugged", "--image", shell, "-c", "dbg", "--target=app", "--profile=general",
                                       "--", "sh", "-c", "cat /proc/1/cmdline; echo; set -- /proc/[0-9]*; echo $#; exec sleep 3600"])
        let running = try await cluster.waitForPod("debugged") {
            $0.status?.ephemeralContainerStatuses?.first { $0.name == "dbg" }?.state?.running != nil
        }
        let status = try #require(running.status?.ephemeralContainerStatuses?.first)
        #expect(status.ready == false && status.restartCount == 0 && status.image == shell && status.started == nil, "\(status)")
        #expect((status.containerID ?? "").contains("://") && !(status.imageID ?? "").isEmpty, "\(status)")
        #expect(running.status?.phase == "Running" && running.status?.conditions?.first { $0.type == "Ready" }?.status == "True",
                "an ephemeral container is no part of the pod's readiness")
        var logs = ""
        for _ in 0..<50 where !logs.contains("\n") {
            logs = (try? await cluster.kubectl(["logs", "debugged", "-c", "dbg"])) ?? ""
            try await Task.sleep(for: .milliseconds(100))
        }
        let lines = logs.split(separator: "\n").map(String.init)
        #expect(lines.first == "sleep\u{0}3601\u{0}", "the ephemeral container does not see the target's processes: \(logs)")
        #expect((lines.dropFirst().first.flatMap { Int($0) } ?? 0) >= 2, "the target's sleep and the debugging shell at least: \(logs)")
        let events = try await cluster.kubectl(["get", "events", "--field-selector", "involvedObject.name=debugged,involvedObject.fieldPath=spec.ephemeralContainers{dbg}",
                                                "-o", "jsonpath={.items[*].reason}"])
        for reason in ["Pulled", "Created", "Started"] { #expect(events.contains(reason), "\(events)") }

        // Interactive, as users run it: `kubectl debug -it` on a terminal (`script` gives it one). kubectl waits for the
        // container to run and attaches to its terminal.
        let command = [kubectl, "--kubeconfig", cluster.server.kubeconfig, "debug", "-it", "pod/debugged", "--image", shell,
                       "-c", "shell", "--target=app", "--profile=general", "--", "sh"].joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(which("script")))
        process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        process.environment = ["HOME": cluster.runtime.root, "PATH": "/usr/bin:/bin", "TERM": "xterm"]
        let input = Pipe(), output = try CollectedOutput()
        process.standardInput = input
        process.standardOutput = output.handle
        process.standardError = output.handle
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let deadline = ContinuousClock.now + .seconds(30)
        while !output.text.contains("pid1=sleep"), process.isRunning, ContinuousClock.now < deadline {
            // Again until the shell answers: typing before kubectl has attached may reach no one.
            input.fileHandleForWriting.write(Data("echo pid1=$(cat /proc/1/comm)\r".utf8))
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(output.text.contains("pid1=sleep"), "\(output.text)")
        if process.isRunning { input.fileHandleForWriting.write(Data("exit 3\r".utf8)) }
        while process.isRunning, ContinuousClock.now < deadline + .seconds(10) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning, "kubectl debug -it did not end with its container: \(output.text)")
        let exited = try await cluster.waitForPod("debugged") {
            $0.status?.ephemeralContainerStatuses?.first { $0.name == "shell" }?.state?.terminated != nil
        }
        #expect(exited.status?.ephemeralContainerStatuses?.first { $0.name == "shell" }?.state?.terminated?.exitCode == 3)
        // Never restarted, and the pod runs on.
        try await Task.sleep(for: .seconds(2))
        let later = try await cluster.waitForPod("debugged") { $0.status?.phase == "Running" }
        #expect(later.status?.ephemeralContainerStatuses?.first { $0.name == "shell" }?.restartCount == 0)
        #expect(later.status?.ephemeralContainerStatuses?.first { $0.name == "shell" }?.state?.terminated != nil)
    }

    /// Deleting the pod stops its ephemeral container with the others: the pod goes and the runtime keeps nothing.
    private func deleteDebugged(_ cluster: Cluster) async throws {
        _ = try await cluster.kubectl(["delete", "pod", "debugged", "--timeout=60s"])
        try await cluster.runtime.withClients { runtime, _ in
            let left = try await runtime.listContainers(Runtime_V1_ListContainersRequest()).containers
            #expect(left.isEmpty, "\(left.map(\.metadata.name))")
        }
    }
}

/// A file that collects a child process's output, readable while it runs.
private final class CollectedOutput: @unchecked Sendable {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-debug-\(UUID().uuidString).out").path
    let handle: FileHandle

    init() throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    var text: String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
