import ClusterPKI
import Foundation
import KubeAPI
import KubeClient
import LinuxSystem
import Logging

/// Starts the daemons of a local cluster from one `swiftlet` executable and watches them come up: the server
/// (waiting for its kubeconfig), each node's runtime and agent (after its directories, CNI config and preloaded
/// images are in place), then every Node until it is Ready — reporting progress and failing with the log tail
/// of any daemon that exits on the way. `swiftlet up` and `swiftlet lab up` both use it.
public struct ClusterLauncher: Sendable {
    /// The `swiftlet` binary the daemons run.
    public let executable: String
    public let logDirectory: String
    /// Called with one line per step and per change while waiting.
    public let progress: @Sendable (String) -> Void
    public let logger: Logger

    public init(executable: String, logDirectory: String, logger: Logger, progress: @escaping @Sendable (String) -> Void) {
        self.executable = executable
        self.logDirectory = logDirectory
        self.logger = logger
        self.progress = progress
    }

    /// The `swiftlet` binary running now (daemons are started from the same build).
    public static var currentExecutable: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }

    // MARK: Server

    /// Starts the server and waits (up to `timeout`) for it to write its kubeconfig.
    public func startServer(_ server: ServerConfiguration, timeout: Duration = .seconds(60)) async throws(LocalClusterError) -> Daemon {
        try Self.makeDirectories([server.dataDirectory, logDirectory])
        try? FileManager.default.removeItem(atPath: server.kubeconfig)
        progress("starting the API server on \(server.listen)" + (server.clusterDNSAddress.map { ", cluster DNS on \($0)" } ?? "")
                 + " (log \(logDirectory)/server.log)")
        let daemon = try Daemon.start(name: "server", executable: executable, arguments: server.arguments, logFile: logDirectory + "/server.log")
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: server.kubeconfig) {
            guard daemon.isRunning else { throw daemon.exitedError(status: await daemon.waitForExit()) }
            guard ContinuousClock.now < deadline else {
                await daemon.stop(within: .seconds(5))
                throw LocalClusterError(.timeout, "the server wrote no kubeconfig within \(timeout); the end of \(daemon.logFile):\n\(daemon.logTail())")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return daemon
    }

    // MARK: Nodes

    /// The kubeconfig a node's agent uses: a client certificate for `system:node:<name>` in `system:nodes` from the
    /// server's CA (what the Node authorizer and NodeRestriction recognise), written to `kubelet.kubeconfig` in the
    /// node's directory. A plain-HTTP server has no CA: its admin kubeconfig is returned.
    public func nodeKubeconfig(for node: NodeConfiguration, server: ServerConfiguration) throws(LocalClusterError) -> String {
        let pki = server.dataDirectory + "/pki"
        guard FileManager.default.fileExists(atPath: pki + "/ca.key") else { return server.kubeconfig }
        let path = node.directory + "/kubelet.kubeconfig"
        do {
            let ca = try String(contentsOfFile: pki + "/ca.crt", encoding: .utf8)
            let authority = try CertificateAuthority(certificatePEM: ca, keyPEM: try String(contentsOfFile: pki + "/ca.key", encoding: .utf8))
            let issued = try authority.issue(CertificateRequest(commonName: "system:node:\(node.name)", organizations: ["system:nodes"], usage: .client))
            try ClientKubeconfig(server: try Self.serverURL(kubeconfig: server.kubeconfig).absoluteString, certificateAuthorityPEM: ca,
                                 user: "system:node:\(node.name)", credentials: .certificate(issued)).write(to: path)
        } catch {
            throw LocalClusterError(.system, "cannot write the node credentials \(path)", cause: error)
        }
        return path
    }

    /// The node's directories and CNI config, then each of `imageArchives` imported into its runtime's store.
    public func prepare(_ node: NodeConfiguration, imageArchives: [String]) async throws(LocalClusterError) {
        try Self.makeDirectories([node.directory, node.runtimeRoot, node.agentRoot, node.podLogDirectory, node.cniConfigDirectory,
                                  node.ipamDirectory, node.runtimeState, node.runcRoot, (node.criSocket as NSString).deletingLastPathComponent, logDirectory])
        let conflist = node.cniConfigDirectory + "/10-swiftlet.conflist"
        let text = try node.conflist()
        do {
            try text.write(toFile: conflist, atomically: true, encoding: .utf8)
        } catch {
            throw LocalClusterError(.system, "cannot write \(conflist)", cause: error)
        }
        for archive in imageArchives {
            progress("\(node.name): importing \(archive)")
            let output: Subprocess.Output
            do {
                output = try await Subprocess.output(executable, arguments: ["runtime", "import", "--root", node.runtimeRoot, archive])
            } catch {
                throw LocalClusterError(.system, "cannot run swiftlet runtime import", cause: error)
            }
            guard output.status == 0 else {
                throw LocalClusterError(.invalid, "importing \(archive) into \(node.name) failed: \(output.standardError.suffix(2000))")
            }
        }
    }

    /// Starts the node's runtime and agent (in its network namespace, if it has one); returns them in that order.
    public func startNode(_ node: NodeConfiguration, kubeconfig: String) throws(LocalClusterError) -> [Daemon] {
        let prefix = logDirectory + "/" + node.name
        progress("\(node.name): starting the runtime and the agent" + (node.nodeIP.map { " on \($0)" } ?? "") + " (logs \(prefix)-*.log)")
        try? FileManager.default.removeItem(atPath: node.criSocket)
        let runtime = try Daemon.start(name: "\(node.name) runtime", executable: executable, arguments: node.runtimeArguments,
                                       logFile: prefix + "-runtime.log", networkNamespace: node.networkNamespace)
        do {
            return [runtime, try startAgent(node, kubeconfig: kubeconfig)]
        } catch {
            kill(runtime.pid, SIGTERM)
            throw error
        }
    }

    /// Starts only the node's agent (in its network namespace, if it has one), its log appended to `<node>-agent.log`.
    public func startAgent(_ node: NodeConfiguration, kubeconfig: String) throws(LocalClusterError) -> Daemon {
        try Daemon.start(name: "\(node.name) agent", executable: executable, arguments: node.agentArguments(kubeconfig: kubeconfig),
                         logFile: logDirectory + "/" + node.name + "-agent.log", networkNamespace: node.networkNamespace)
    }

    // MARK: Readiness

    /// Polls the Nodes named `nodes` until every one is Ready, printing each node's state when it changes; fails
    /// when a daemon of `daemons` exits or after `timeout`.
    public func waitForReady(nodes: [String], kubeconfig: String, daemons: [Daemon], supervisor: Supervisor? = nil,
                             timeout: Duration = .seconds(120)) async throws(LocalClusterError) {
        let client: KubeClient
        do {
            client = try KubeClient(configuration: try Self.clientConfiguration(kubeconfig: kubeconfig, userAgent: "swiftlet/up"), logger: logger)
        } catch {
            throw LocalClusterError(.invalid, "cannot read \(kubeconfig)", cause: error)
        }
        var reported: [String: String] = [:]
        let start = ContinuousClock.now, deadline = start + timeout
        var lastLine = start
        var failure: LocalClusterError?
        while true {
            if case .signal(let signal)? = supervisor?.stopReason {
                failure = LocalClusterError(.interrupted, "interrupted by \(signal) while waiting for the nodes")
                break
            }
            if let dead = daemons.first(where: { !$0.isRunning }) {
                failure = dead.exitedError(status: await dead.waitForExit())
                break
            }
            var ready = 0
            for name in nodes {
                let state = await Self.nodeState(name, client: client)
                if state == "Ready" { ready += 1 }
                if reported[name] != state {
                    reported[name] = state
                    progress("\(name): \(state)")
                    lastLine = .now
                }
            }
            if ready == nodes.count { break }
            if ContinuousClock.now - lastLine > .seconds(10) {
                let waiting = nodes.filter { reported[$0] != "Ready" }.map { "\($0) \(reported[$0] ?? "?")" }
                progress("still waiting after \((ContinuousClock.now - start).components.seconds) s: " + waiting.joined(separator: ", "))
                lastLine = .now
            }
            guard ContinuousClock.now < deadline else {
                failure = LocalClusterError(.timeout, "nodes not Ready within \(timeout): "
                                            + nodes.map { "\($0) \(reported[$0] ?? "?")" }.joined(separator: ", "))
                break
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        try? await client.shutdown()
        if let failure { throw failure }
    }

    /// Waits (up to `timeout`) until node `name` renews its Lease after `since` — the sign that a freshly started
    /// agent is up (runtime connected, node registered), which the Node's Ready condition is not when a previous
    /// agent died only moments ago. False on timeout or when `daemon` exits first.
    public func waitForLeaseRenewal(node name: String, since: Date, kubeconfig: String, daemon: Daemon, timeout: Duration) async -> Bool {
        let client: KubeClient
        do {
            client = try KubeClient(configuration: try Self.clientConfiguration(kubeconfig: kubeconfig, userAgent: "swiftlet/lab"), logger: logger)
        } catch {
            logger.warning("cannot read the lab's kubeconfig", metadata: ["kubeconfig": "\(kubeconfig)", "error": "\(error)"])
            return false
        }
        let deadline = ContinuousClock.now + timeout
        var renewed = false
        var lastError: (any Error)?
        while !renewed, ContinuousClock.now < deadline, daemon.isRunning {
            do {
                if let time = try await client.get(Lease.self, name: name, namespace: "kube-node-lease").spec?.renewTime, time.date > since {
                    renewed = true
                    continue
                }
            } catch {
                lastError = error
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        try? await client.shutdown()
        if !renewed, let lastError {
            logger.warning("no lease renewal seen", metadata: ["node": "\(name)", "error": "\(lastError)"])
        }
        return renewed
    }

    /// "Ready", "not registered yet", "API server not answering yet (why)", or "NotReady (reason: message)".
    static func nodeState(_ name: String, client: KubeClient) async -> String {
        let node: Node
        do {
            node = try await client.get(Node.self, name: name)
        } catch {
            return error.isNotFound ? "not registered yet" : "API server not answering yet (\(error))"
        }
        guard let ready = node.status?.conditions?.first(where: { $0.type == "Ready" }) else { return "registered, no status yet" }
        if ready.status == "True" { return "Ready" }
        return "NotReady (\(ready.reason ?? "")\(ready.message.map { ": \($0)" } ?? ""))"
    }

    /// The `server:` of a kubeconfig the server wrote.
    static func serverURL(kubeconfig: String) throws -> URL {
        let text = try String(contentsOfFile: kubeconfig, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("server:") }),
              let url = URL(string: line.trimmingCharacters(in: .whitespaces).dropFirst("server:".count).trimmingCharacters(in: .whitespaces))
        else { throw LocalClusterError(.invalid, "no server: line in \(kubeconfig)") }
        return url
    }

    // MARK: Stopping

    /// Stops `daemons` one after the other in the order given (agents first, so they remove their pods while
    /// the runtime still answers; the server last), each with SIGTERM and SIGKILL after `timeout`.
    public func stop(_ daemons: [Daemon], timeout: Duration = .seconds(60)) async {
        for daemon in daemons where daemon.isRunning {
            progress("stopping the \(daemon.name)")
            let status = await daemon.stop(within: timeout)
            if status != 0 && status != 128 + SIGTERM {
                logger.warning("daemon exited uncleanly", metadata: ["daemon": "\(daemon.name)", "status": "\(status)"])
            }
        }
    }

    static func makeDirectories(_ paths: [String]) throws(LocalClusterError) {
        for path in paths {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw LocalClusterError(.system, "cannot create \(path)", cause: error)
            }
        }
    }
}
