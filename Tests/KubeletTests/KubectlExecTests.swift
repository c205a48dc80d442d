import Foundation
import KubeAPI
import RemoteCommand
import TestSupport
import Testing

extension KubeletEndToEndTests {
    @Test("kubectl exec through the API server, the agent and the runtime's streaming server: output, exit codes, stdin, a terminal, errors",
          .timeLimit(.minutes(3)))
    func kubectlExec() async throws {
        let cluster = try await Cluster()
        do {
            try await exec(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test("kubectl exec against containerd's CRI: the agent relays to containerd's streaming server (v4)",
          .timeLimit(.minutes(3)))
    func kubectlExecContainerd() async throws {
        let cluster = try await Cluster(.containerd)
        do {
            let kubectl = try #require(which("kubectl"))
            let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
            _ = try await cluster.kubectl(["run", "box", "--image", shell, "--restart=Never", "--overrides",
                                           #"{"spec":{"nodeName":"\#(cluster.nodeName)","terminationGracePeriodSeconds":1}}"#,
                                           "--command", "--", "sleep", "3600"])
            try await cluster.waitForPod("box", timeout: .seconds(90)) { $0.status?.phase == "Running" }
            let both = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "exec", "box", "--",
                                                      "sh", "-c", "echo out; echo err >&2; exit 4"])
            #expect(both.status == 4, "\(both)")
            #expect(both.stdout == "out\n", "\(both)")
            #expect(both.stderr.hasPrefix("err\n"), "\(both)")
            // containerd's words for a command that cannot start, which ours follow (see kubectlExec).
            let missing = try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig, "exec", "box", "--", "no-such-command"])
            #expect(missing.status == 1 && missing.stderr.contains(#"error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec ""#)
                    && missing.stderr.contains(#"": OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH"#), "\(missing)")
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func exec(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        func run(_ arguments: [String], stdin: String? = nil) async throws -> CommandResult {
            try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig] + arguments, stdin: stdin)
        }
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["run", "box", "--image", shell, "--restart=Never", "--overrides",
                                       #"{"spec":{"nodeName":"\#(cluster.nodeName)","terminationGracePeriodSeconds":1}}"#,
                                       "--command", "--", "sleep", "3600"])
        try await cluster.waitForPod("box") { $0.status?.phase == "Running" }

        // kubectl 1.32 speaks v5.channel.k8s.io over WebSocket: stdout and stderr arrive apart.
        let both = try await run(["exec", "box", "--", "sh", "-c", "echo out; echo err >&2"])
        #expect(both.status == 0, "\(both)")
        #expect(both.stdout == "out\n")
        #expect(both.stderr == "err\n")
        // The exit code comes back through the error channel.
        let failed = try await run(["exec", "box", "--", "sh", "-c", "exit 3"])
        #expect(failed.status == 3, "\(failed)")
        #expect(failed.stderr.contains("command terminated with exit code 3"), "\(failed)")
        // stdin, ended by v5's close signal so `cat` sees end of file.
        let echoed = try await run(["exec", "-i", "box", "--", "sh", "-c", "cat; echo done"], stdin: "piped line\n")
        #expect(echoed.stdout == "piped line\ndone\n", "\(echoed)")
        // kubectl cp both ways (tar over exec: binary stdin in, binary stdout out), every byte value intact.
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-cp-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: local) }
        let payload = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 256) })
        try payload.write(to: URL(fileURLWithPath: local + "/in.bin"))
        let copiedIn = try await run(["cp", local + "/in.bin", "box:/tmp/copied.bin"])
        #expect(copiedIn.status == 0, "\(copiedIn)")
        #expect(try await run(["exec", "box", "--", "wc", "-c", "/tmp/copied.bin"]).stdout.hasPrefix("70000 "))
        let copiedOut = try await run(["cp", "box:/tmp/copied.bin", local + "/out.bin"])
        #expect(copiedOut.status == 0, "\(copiedOut)")
        #expect(FileManager.default.contents(atPath: local + "/out.bin") == payload)
        // A command that does not exist: the failed start as upstream's kubelet reports it (an InternalError on the
        // error channel: kubectl prints it and exits 1), not runc's log line as output and exit code 255.
        let missing = try await run(["exec", "box", "--", "no-such-command"])
        #expect(missing.status == 1 && missing.stdout.isEmpty, "\(missing)")
        #expect(missing.stderr.wholeMatch(of: #/error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{8}": OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-command": executable file not found in \$PATH\n/#) != nil,
                "\(missing)")
        let missingOnTerminal = try await run(["exec", "-t", "box", "--", "no-such-command"])
        #expect(missingOnTerminal.status == 1 && missingOnTerminal.stderr.contains("executable file not found in $PATH")
                && !missingOnTerminal.stderr.contains("level=") && !missingOnTerminal.stdout.contains("level"), "\(missingOnTerminal)")

        // Refused before the upgrade, with the API server's Status.
        let badContainer = try await run(["exec", "box", "-c", "nope", "--", "true"])
        #expect(badContainer.status != 0)
        #expect(badContainer.stderr.contains("container nope is not valid for pod box"), "\(badContainer)")
        let noPod = try await run(["exec", "ghost", "--", "true"])
        #expect(noPod.stderr.contains("pods \"ghost\" not found"), "\(noPod)")

        // A terminal with a resize, over the raw protocol as a terminal client drives it.
        let (screen, status) = try await cluster.terminal("pods/box/exec?command=sh&stdin=true&stdout=true&tty=true",
                                                          typing: "stty size; echo TERM=$TERM; exit 5\r")
        #expect(screen.contains("40 100"), "\(screen)")
        #expect(screen.contains("TERM=xterm"), "\(screen)")  // as containerd sets it for an exec with a terminal
        let outcome = try JSONDecoder().decode(Status.self, from: Data(status.utf8))
        #expect(outcome.reason == "NonZeroExitCode", "\(status)")
        #expect(outcome.details?.causes?.first?.message == "5")
        // A command that asks for the size at once: the first resize is the console's size from the start.
        let (size, sized) = try await cluster.terminal("pods/box/exec?command=sh&command=-c&command=stty%20size&stdin=true&stdout=true&tty=true", typing: "")
        #expect(size.contains("40 100"), "\(size)")
        #expect(sized.contains("\"Success\""), "\(sized)")

        // The Python client's protocol, v4.
        let base = cluster.server.webSocketURL
        let tls = try cluster.server.adminTLSConfiguration()
        let legacy = try await WebSocketDialer.connect(
            url: "\(base)/api/v1/namespaces/default/pods/box/exec?command=echo&command=v4&stdout=true&stderr=true",
            subprotocols: [StreamProtocol.v4.rawValue], tls: tls)
        #expect(legacy.subprotocol == StreamProtocol.v4.rawValue)
        let frames = try await legacy.run { messages, _ in try await messages.reduce(into: [[UInt8]]()) { $0.append($1) } }
        #expect(frames.contains(StreamChannel.stdout.frame(Array("v4\n".utf8))), "\(frames)")
        #expect(frames.last.map { String(decoding: $0.dropFirst(), as: UTF8.self).contains("\"Success\"") } == true, "\(frames)")
    }
}

extension KubeletEndToEndTests.Cluster {
    /// Drives `path` (under `/api/v1/namespaces/default/`, an exec or attach with `tty=true`) as a terminal client
    /// does over `v5.channel.k8s.io` with the admin's certificate: a 100×40 resize, then `typing` on stdin; returns
    /// what came back on stdout and on the error channel (the final Status as JSON).
    func terminal(_ path: String, typing: String) async throws -> (screen: String, status: String) {
        let terminal = try await WebSocketDialer.connect(url: "\(server.webSocketURL)/api/v1/namespaces/default/\(path)",
                                                         subprotocols: [StreamProtocol.v5.rawValue], tls: try server.adminTLSConfiguration())
        #expect(terminal.subprotocol == StreamProtocol.v5.rawValue)
        return try await terminal.run { messages, sender in
            try await sender.send(StreamChannel.resize.frame(Array(#"{"Width":100,"Height":40}"#.utf8)))
            try await sender.send(StreamChannel.stdin.frame(Array(typing.utf8)))
            var screen = "", status = ""
            for try await message in messages {
                switch message.first {
                case StreamChannel.stdout.rawValue: screen += String(decoding: message.dropFirst(), as: UTF8.self)
                case StreamChannel.error.rawValue: status += String(decoding: message.dropFirst(), as: UTF8.self)
                default: break
                }
            }
            return (screen, status)
        }
    }
}
