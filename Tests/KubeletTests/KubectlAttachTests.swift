import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl attach through the API server, the agent and the runtime's streaming server: live output, stdin with stdinOnce, a terminal with a resize, refusals",
          .timeLimit(.minutes(3)))
    func kubectlAttach() async throws {
        let cluster = try await Cluster()
        do {
            try await attachOutput(cluster)
            try await attach(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nruntime log:\n\(cluster.runtime.log)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test("kubectl attach against containerd's CRI: the agent relays to containerd's streaming server",
          .timeLimit(.minutes(3)))
    func kubectlAttachContainerd() async throws {
        let cluster = try await Cluster(.containerd)
        do {
            try await attachOutput(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// A running container's output reaches an attached kubectl as it is written, stdout and stderr apart, until
    /// the container exits; kubectl then ends with 0.
    func attachOutput(_ cluster: Cluster, environment: [String: String] = [:]) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        let name = "talker-\(UInt16.random(in: .min ... .max))"
        _ = try await cluster.kubectl(["run", name, "--image", shell, "--restart=Never", "--overrides",
                                       #"{"spec":{"nodeName":"\#(cluster.nodeName)","terminationGracePeriodSeconds":1}}"#,
                                       "--command", "--", "sh", "-c",
                                       "i=0; while [ ! -e /tmp/stop ]; do echo tick $i; i=$((i+1)); sleep 0.2; done; echo bye; echo err-bye >&2"])
        try await cluster.waitForPod(name, timeout: .seconds(90)) { $0.status?.phase == "Running" }
        let attached = try PeerDaemon(name: "attach")
        defer { attached.stop() }
        try attached.start("/usr/bin/env", environment.map { "\($0.key)=\($0.value)" } + [
            kubectl, "--kubeconfig", cluster.server.kubeconfig, "attach", name])
        let deadline = ContinuousClock.now + .seconds(30)
        while !attached.logTail.contains("tick") {
            guard attached.isRunning, ContinuousClock.now < deadline else {
                Issue.record("kubectl attach showed no output:\n\(attached.logTail)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await cluster.kubectl(["exec", name, "--", "touch", "/tmp/stop"])
        let ended = ContinuousClock.now + .seconds(30)
        while attached.isRunning, ContinuousClock.now < ended { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!attached.isRunning, "kubectl attach did not end with the container:\n\(attached.logTail)")
        #expect(attached.exitStatus == 0, "\(attached.logTail)")
        #expect(attached.logTail.contains("bye\n"), "\(attached.logTail)")
        #expect(attached.logTail.contains("err-bye\n"), "\(attached.logTail)")
    }

    private func attach(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        // stdin with stdinOnce (what `kubectl run -i` makes): the end of the client's stdin is the container's.
        _ = try await cluster.kubectl(["apply", "-f", "-"], stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              nodeName: \(cluster.nodeName)
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: reader
                image: \(shell)
                stdin: true
                stdinOnce: true
                command: [sh, -c, 'read line; echo got $line; cat; echo eof']
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: terminal}
            spec:
              nodeName: \(cluster.nodeName)
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: terminal
                image: \(shell)
                stdin: true
                tty: true
                command: [sh]
            """)
        try await cluster.waitForPod("reader") { $0.status?.phase == "Running" }
        try await cluster.waitForPod("terminal") { $0.status?.phase == "Running" }
        let piped = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "attach", "-i", "reader"],
                                         stdin: "hello\nworld\n")
        #expect(piped.status == 0, "\(piped)")
        #expect(piped.stdout.hasSuffix("got hello\nworld\neof\n"), "\(piped)")
        try await cluster.waitForPod("reader") { $0.status?.phase == "Succeeded" }

        // A terminal: the shell sees the size the client sends, its output comes back on stdout, and the
        // container's exit ends the stream with Success.
        let (screen, status) = try await cluster.terminal("pods/terminal/attach?container=terminal&stdin=true&stdout=true&tty=true",
                                                          typing: "stty size; exit 7\r")
        #expect(screen.contains("40 100"), "\(screen)")
        #expect(status.contains("\"Success\""), "\(status)")
        let ended = try await cluster.waitForPod("terminal") { $0.status?.phase == "Failed" }
        #expect(Self.container(ended, "terminal")?.state?.terminated?.exitCode == 7)

        // Refused before the upgrade, with the API server's Status as the HTTP answer (as upstream's): a bad
        // container for the admin, and 401 for a caller without credentials, who learns nothing about the pod.
        func upgrade(_ credentials: [String]) async throws -> CommandResult {
            try await runCommand("/usr/bin/curl", [
                "-s", "-i", "--max-time", "10", "--cacert", cluster.server.caFile] + credentials + [
                "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "-H", "Sec-WebSocket-Protocol: v5.channel.k8s.io",
                "\(cluster.server.url)/api/v1/namespaces/default/pods/reader/attach?container=nope&stdout=true"])
        }
        let refusal = try await upgrade(["--cert", cluster.server.adminCertificateFile, "--key", cluster.server.adminKeyFile])
        #expect(refusal.stdout.hasPrefix("HTTP/1.1 400"), "\(refusal)")
        #expect(refusal.stdout.contains(#""message":"container nope is not valid for pod reader""#), "\(refusal)")
        let anonymous = try await upgrade([])
        #expect(anonymous.stdout.hasPrefix("HTTP/1.1 401"), "\(anonymous)")
        #expect(!anonymous.stdout.contains("container nope"), "\(anonymous)")
        let completed = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "attach", "reader"])
        #expect(completed.status != 0)
        #expect(completed.stderr.contains("cannot attach a container in a completed pod; current phase is Succeeded"), "\(completed)")
    }
}
