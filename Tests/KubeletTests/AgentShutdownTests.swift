import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `swiftlet agent` stops on SIGTERM/SIGINT while it is still starting — waiting for a CRI socket that does not
/// exist, for an API server that does not answer, or for a bootstrap certificate nobody approves — with the exit
/// status of its ordinary shutdown (0), instead of ignoring the signal until killed.
@Suite("agent start-up waits end on a signal", .serialized)
struct AgentShutdownTests {
    /// A kubeconfig naming a loopback port nothing listens on.
    static func unreachableKubeconfig(in directory: String, name: String) throws -> String {
        try kubeconfig(port: try freeLoopbackPorts(1)[0], in: directory, name: name)
    }

    /// A kubeconfig for `http://127.0.0.1:<port>` with a bootstrap-token-shaped bearer token.
    static func kubeconfig(port: Int, in directory: String, name: String) throws -> String {
        let path = "\(directory)/\(name).kubeconfig"
        try """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "http://127.0.0.1:\(port)"}
        users:
        - name: u
          user: {token: abcdef.0123456789abcdef}
        contexts:
        - name: c
          context: {cluster: c, user: u}
        current-context: c
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func agentArguments(_ agent: PeerDaemon, kubeconfig: String, extra: [String] = []) throws -> [String] {
        ["agent", "--kubeconfig", kubeconfig, "--node-name", "stop-" + String(UInt32.random(in: .min ... .max), radix: 16),
         "--root-dir", agent.directory + "/root", "--pod-log-dir", agent.directory + "/pods",
         "--container-runtime-endpoint", "unix://" + agent.directory + "/missing/cri.sock",
         "--proxy-mode", "none", "--no-pod-routes", "--healthz-bind-address", "127.0.0.1:0",
         "--address", "127.0.0.1", "--port", String(try freeLoopbackPorts(1)[0])] + extra
    }

    @Test("SIGTERM while the CRI socket is missing (and the API server unreachable): exit 0", .timeLimit(.minutes(2)))
    func sigtermWhileTheRuntimeSocketIsMissing() async throws {
        let agent = try PeerDaemon(name: "agent-nosocket")
        defer { agent.stop() }
        try agent.start(try BuiltProducts.path(of: "swiftlet"),
                        try Self.agentArguments(agent, kubeconfig: try Self.unreachableKubeconfig(in: agent.directory, name: "node")))
        // The kubelet waits for the socket to appear before its first CRI call, and says so after a second.
        try await agent.waitForLog("waiting for the container runtime's socket", timeout: .seconds(60))
        let status = await agent.terminate(SIGTERM)
        #expect(status == 0, "agent still running or failed after SIGTERM; log:\n\(agent.logTail)")
        #expect(agent.logTail.contains("shut down before the container runtime answered"), "\(agent.logTail)")
    }

    @Test("SIGTERM with the runtime up while the API server is unreachable: exit 0", .timeLimit(.minutes(2)))
    func sigtermWhileTheAPIServerIsUnreachable() async throws {
        let runtime = try await CRIHarness(.swiftlet)
        let agent = try PeerDaemon(name: "agent-noapi")
        do {
            var arguments = try Self.agentArguments(agent, kubeconfig: try Self.unreachableKubeconfig(in: agent.directory, name: "node"))
            arguments[arguments.firstIndex(of: "--container-runtime-endpoint")! + 1] = "unix://" + runtime.socket
            try agent.start(try BuiltProducts.path(of: "swiftlet"), arguments)
            try await agent.waitForLog("container runtime ready", timeout: .seconds(60))
            try await Task.sleep(for: .seconds(1)) // registration, Lease and pod watch are trying the server by now
            let status = await agent.terminate(SIGTERM)
            #expect(status == 0, "agent still running or failed after SIGTERM; log:\n\(agent.logTail)")
        } catch {
            Issue.record(error)
        }
        agent.stop()
        await runtime.stop()
    }

    @Test("SIGINT while the bootstrap cannot reach the API server: exit 0", .timeLimit(.minutes(2)))
    func sigintWhileTheBootstrapWaitsForTheServer() async throws {
        let agent = try PeerDaemon(name: "agent-noserver")
        defer { agent.stop() }
        let bootstrap = try Self.unreachableKubeconfig(in: agent.directory, name: "bootstrap")
        try agent.start(try BuiltProducts.path(of: "swiftlet"),
                        try Self.agentArguments(agent, kubeconfig: agent.directory + "/root/kubeconfig", extra: ["--bootstrap-kubeconfig", bootstrap]))
        // The CSR's create is pending: the HTTP client retries a refused connection until its 10 s connect timeout.
        try await agent.waitForLog("bootstrapping with the bootstrap kubeconfig", timeout: .seconds(60))
        try await Task.sleep(for: .seconds(1))
        let status = await agent.terminate(SIGINT)
        #expect(status == 0, "agent still running or failed after SIGINT; log:\n\(agent.logTail)")
        #expect(!FileManager.default.fileExists(atPath: agent.directory + "/root/kubeconfig"))
    }

    @Test("the bootstrap waits for an API server that starts late; SIGTERM while its CSR waits for approval: exit 0", .timeLimit(.minutes(2)))
    func sigtermWhileTheBootstrapWaitsForItsCertificate() async throws {
        // No controllers: nothing approves or signs the request.
        let server = try await ServerProcess(extraArguments: ["--enable-bootstrap-token-auth"])
        defer { server.stop() }
        let admin = try #require(which("kubectl"))
        let secret = try await runCommand(admin, [
            "--kubeconfig", server.kubeconfig, "-n", "kube-system", "create", "secret", "generic", "bootstrap-token-abcdef",
            "--type", "bootstrap.kubernetes.io/token", "--from-literal=token-id=abcdef",
            "--from-literal=token-secret=0123456789abcdef", "--from-literal=usage-bootstrap-authentication=true",
        ])
        #expect(secret.status == 0, "\(secret)")
        let agent = try PeerDaemon(name: "agent-nocert")
        defer { agent.stop() }
        let bootstrap = try server.kubeconfig(token: "abcdef.0123456789abcdef", name: "bootstrap")
        // The server is down when the agent starts: the bootstrap retries (up to a minute) until it is back.
        server.kill()
        try agent.start(try BuiltProducts.path(of: "swiftlet"),
                        try Self.agentArguments(agent, kubeconfig: agent.directory + "/root/kubeconfig", extra: ["--bootstrap-kubeconfig", bootstrap]))
        // A first attempt gives up after the client's 10 s connect timeout; the bootstrap tries again.
        try await agent.waitForLog("API server not reachable yet", timeout: .seconds(60))
        try await server.restart()
        try await agent.waitForLog("waiting for the client certificate", timeout: .seconds(60))
        let status = await agent.terminate(SIGTERM)
        #expect(status == 0, "agent still running or failed after SIGTERM; log:\n\(agent.logTail)")
        #expect(agent.logTail.contains("shut down before the node's client certificate was issued"), "\(agent.logTail)")
    }

    @Test("a second SIGTERM during a graceful shutdown stuck on a frozen runtime exits at once (status 1)", .timeLimit(.minutes(2)))
    func secondSignalExitsAtOnce() async throws {
        let runtime = try await CRIHarness(.swiftlet)
        let agent = try PeerDaemon(name: "agent-second")
        do {
            // --clean-up-on-exit: the shutdown lists the runtime's sandboxes to remove them, which waits on the runtime.
            var arguments = try Self.agentArguments(agent, kubeconfig: try Self.unreachableKubeconfig(in: agent.directory, name: "node"),
                                                    extra: ["--clean-up-on-exit", "--cgroup-root", "/swiftlet-second-" + String(UInt32.random(in: .min ... .max), radix: 16)])
            arguments[arguments.firstIndex(of: "--container-runtime-endpoint")! + 1] = "unix://" + runtime.socket
            try agent.start(try BuiltProducts.path(of: "swiftlet"), arguments)
            try await agent.waitForLog("container runtime ready", timeout: .seconds(60))
            try await Task.sleep(for: .seconds(1)) // the kubelet's server and loops are up by now
            runtime.signalRuntime(SIGSTOP)
            agent.signal(SIGTERM)
            try await agent.waitForLog("a second signal exits at once", timeout: .seconds(30))
            try await Task.sleep(for: .seconds(1))
            #expect(agent.isRunning, "the graceful shutdown waits on the frozen runtime; log:\n\(agent.fullLog)")
            let status = await agent.terminate(SIGTERM, timeout: .seconds(20))
            #expect(status == 1, "agent still running or not exited by the second signal; log:\n\(agent.fullLog)")
            #expect(agent.logTail.contains("second signal during the graceful shutdown: exiting at once"), "\(agent.fullLog)")
        } catch {
            Issue.record(error)
        }
        runtime.signalRuntime(SIGCONT)
        agent.stop()
        await runtime.stop()
    }

    @Test("an API server that accepts connections but never answers: node status and Lease requests give up after 10 s, not 60 s",
          .timeLimit(.minutes(2)))
    func heartbeatRequestsAreBounded() async throws {
        // A listening socket nobody accepts from: connections complete in the kernel's backlog, requests get no answer.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound && listen(listener, 64) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))

        let runtime = try await CRIHarness(.swiftlet)
        let agent = try PeerDaemon(name: "agent-hung")
        do {
            let kubeconfig = try Self.kubeconfig(port: port, in: agent.directory, name: "hung")
            var arguments = try Self.agentArguments(agent, kubeconfig: kubeconfig)
            arguments[arguments.firstIndex(of: "--container-runtime-endpoint")! + 1] = "unix://" + runtime.socket
            try agent.start(try BuiltProducts.path(of: "swiftlet"), arguments)
            try await agent.waitForLog("container runtime ready", timeout: .seconds(60))
            // Both loops started right after; with the ordinary request timeout neither would report before 60 s.
            try await agent.waitForLog("node status update failed", timeout: .seconds(45))
            try await agent.waitForLog("failed to renew the node lease", timeout: .seconds(45))
            let status = await agent.terminate(SIGTERM)
            #expect(status == 0, "agent still running or failed after SIGTERM; log:\n\(agent.logTail)")
        } catch {
            Issue.record(error)
        }
        agent.stop()
        await runtime.stop()
    }
}

extension PeerDaemon {
    /// The daemon's whole log so far (a failure's explanation may be further up than `logTail`).
    var fullLog: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }
}
