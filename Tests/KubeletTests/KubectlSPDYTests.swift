import Foundation
import KubeAPI
import TestSupport
import Testing

extension KubeletEndToEndTests {
    /// kubectl with its WebSocket transports switched off speaks what kubectl < 1.30 (and client-go's SPDY executor)
    /// speaks: POST with `Upgrade: SPDY/3.1`.
    static let spdyOnly = ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false", "KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"]

    @Test("kubectl exec, attach and port-forward over SPDY/3.1 (WebSockets off): the API server and the agent relay the upgrade, the runtime runs the SPDY session",
          .timeLimit(.minutes(4)))
    func kubectlOverSPDY() async throws {
        let cluster = try await Cluster()
        do {
            try await execOverSPDY(cluster)
            try await attachOutput(cluster, environment: Self.spdyOnly)
            try await portForward(cluster, environment: Self.spdyOnly)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)\nruntime log:\n\(cluster.runtime.log)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    @Test("kubectl exec over SPDY/3.1 against containerd's CRI: the agent relays the upgrade to containerd's streaming server",
          .timeLimit(.minutes(3)))
    func kubectlOverSPDYContainerd() async throws {
        let cluster = try await Cluster(.containerd)
        do {
            try await execOverSPDY(cluster)
        } catch {
            Issue.record("agent log:\n\(cluster.agent.logTail)")
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func execOverSPDY(_ cluster: Cluster) async throws {
        let kubectl = try #require(which("kubectl"))
        func run(_ arguments: [String], stdin: String? = nil) async throws -> CommandResult {
            try await runCommand(kubectl, ["--kubeconfig", cluster.server.kubeconfig] + arguments, stdin: stdin, environment: Self.spdyOnly)
        }
        let shell = "\(cluster.runtime.registry)/swiftlet-test/shell:v1"
        _ = try await cluster.kubectl(["run", "spdy", "--image", shell, "--restart=Never", "--overrides",
                                       #"{"spec":{"nodeName":"\#(cluster.nodeName)","terminationGracePeriodSeconds":1}}"#,
                                       "--command", "--", "sleep", "3600"])
        try await cluster.waitForPod("spdy", timeout: .seconds(90)) { $0.status?.phase == "Running" }
        // The transport really is SPDY: kubectl's request log shows the POST upgrade answered with 101.
        let traced = try await run(["-v=6", "exec", "spdy", "--", "true"])
        #expect(traced.status == 0, "\(traced)")
        #expect(traced.stderr.contains("POST \(cluster.server.url)/api/v1/namespaces/default/pods/spdy/exec") && traced.stderr.contains("101 Switching Protocols"),
                "\(traced)")
        let both = try await run(["exec", "spdy", "--", "sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(both.status == 3, "\(both)")
        #expect(both.stdout == "out\n", "\(both)")
        #expect(both.stderr.hasPrefix("err\n"), "\(both)")
        #expect(both.stderr.contains("command terminated with exit code 3"), "\(both)")
        // stdin ends with the stdin stream's FIN.
        let echoed = try await run(["exec", "-i", "spdy", "--", "sh", "-c", "cat; echo done"], stdin: "over spdy\n")
        #expect(echoed.status == 0, "\(echoed)")
        #expect(echoed.stdout == "over spdy\ndone\n", "\(echoed)")
        // Refused before the upgrade: the API server's Status, which kubectl prints.
        let badContainer = try await run(["exec", "spdy", "-c", "nope", "--", "true"])
        #expect(badContainer.status != 0)
        #expect(badContainer.stderr.contains("container nope is not valid for pod spdy"), "\(badContainer)")
    }
}
