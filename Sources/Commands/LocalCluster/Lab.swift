import Foundation
import LinuxSystem
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `swiftlet lab`: N nodes on one machine, each in its own network namespace with its own runtime and agent, one
/// server on the lab bridge; brought up in the background (the daemons outlive `lab up`) and taken down by
/// `lab down` from the state file.
public enum Lab {
    /// What `lab up` is asked for.
    public struct Request: Sendable {
        public var directory: String
        public var nodes: Int
        public var prefix: String
        public var bridge: String
        public var network: IPNetwork
        public var cniBinDirectory: String
        public var imageArchives: [String]
        /// More `swiftlet server` flags (`lab up --server-arg`), e.g. short node-monitor timings.
        public var serverArguments: [String]
        public var readyTimeout: Duration
        /// Zones the nodes are spread over round-robin (`zone-a`, `zone-b`, …); 0: none.
        public var zones: Int

        public init(directory: String, nodes: Int, prefix: String = "lab", bridge: String = "swlab0",
                    network: IPNetwork = try! IPNetwork(parsing: "172.31.0.0/24"), cniBinDirectory: String = "/opt/cni/bin",
                    imageArchives: [String] = [], serverArguments: [String] = [], readyTimeout: Duration = .seconds(180), zones: Int = 0) {
            self.directory = directory
            self.nodes = nodes
            self.prefix = prefix
            self.bridge = bridge
            self.network = network
            self.cniBinDirectory = cniBinDirectory
            self.imageArchives = imageArchives
            self.serverArguments = serverArguments
            self.readyTimeout = readyTimeout
            self.zones = zones
        }

        /// The zone of the `index`th node (from 0), if the lab has zones.
        func zone(ofNode index: Int) -> String? {
            guard zones > 0 else { return nil }
            return "zone-" + String(Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(index % zones))))
        }
    }

    /// Creates the network, starts the server and every node, waits until all nodes are Ready and returns the
    /// state (the daemons keep running). On any failure, or SIGINT/SIGTERM meanwhile, takes everything down again.
    public static func up(_ request: Request, supervisor: Supervisor, launcher: ClusterLauncher) async throws(LocalClusterError) -> LabState {
        let directory = request.directory
        guard !FileManager.default.fileExists(atPath: LabState.path(directory: directory)) else {
            throw LocalClusterError(.conflict, "a lab is already up in \(directory) (swiftlet lab down --dir \(directory))")
        }
        let network = try LabNetwork(bridge: request.bridge, network: request.network, prefix: request.prefix, nodes: request.nodes)
        try network.checkUnused()
        try ClusterLauncher.makeDirectories([directory])
        let server = ServerConfiguration(dataDirectory: directory + "/server", listen: "\(network.gateway):6443",
                                         clusterDNSAddress: "\(network.gateway):53", extraArguments: request.serverArguments)
        let nodes = network.members.enumerated().map { index, member in
            NodeConfiguration(name: member.namespace, directory: "\(directory)/nodes/\(member.namespace)", podCIDR: member.podCIDR,
                              nodeIP: member.address, clusterDNS: "10.96.0.10", cgroupRoot: "/swiftlet-\(member.namespace)",
                              networkNamespace: NetworkNamespace.path(named: member.namespace),
                              criSocket: "\(directory)/nodes/\(member.namespace)/cri.sock",
                              runtimeState: "\(directory)/nodes/\(member.namespace)/runtime-state",
                              runcRoot: "\(directory)/nodes/\(member.namespace)/runc", cniBinDirectory: request.cniBinDirectory,
                              zone: request.zone(ofNode: index))
        }
        var state = LabState(directory: directory, network: network, server: server, nodes: nodes)
        try state.save()
        do throws(LocalClusterError) {
            try CNIPlugins.install(from: (launcher.executable as NSString).deletingLastPathComponent, to: request.cniBinDirectory)
            launcher.progress("creating bridge \(network.bridge) (\(network.hostAddress)) and \(nodes.count) network namespaces")
            try network.create()
            for node in nodes { try await launcher.prepare(node, imageArchives: request.imageArchives) }
            try checkInterrupted(supervisor)
            let serverDaemon = try await launcher.startServer(server)
            supervisor.add(serverDaemon)
            try state.record(serverDaemon)
            let kubeconfig = directory + "/admin.kubeconfig"
            do {
                try String(contentsOfFile: server.kubeconfig, encoding: .utf8).write(toFile: kubeconfig, atomically: true, encoding: .utf8)
                // It holds the admin's private key.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: kubeconfig)
            } catch {
                throw LocalClusterError(.system, "cannot write \(kubeconfig)", cause: error)
            }
            for node in nodes {
                try checkInterrupted(supervisor)
                for daemon in try launcher.startNode(node, kubeconfig: try launcher.nodeKubeconfig(for: node, server: server)) {
                    supervisor.add(daemon)
                    try state.record(daemon)
                }
            }
            try await launcher.waitForReady(nodes: nodes.map(\.name), kubeconfig: kubeconfig, daemons: supervisor.daemons,
                                            supervisor: supervisor, timeout: request.readyTimeout)
        } catch {
            launcher.progress("lab up failed: taking down what was started (logs stay in \(launcher.logDirectory))")
            await down(state, launcher: launcher, keepLogs: true)
            throw error
        }
        return state
    }

    private static func checkInterrupted(_ supervisor: Supervisor) throws(LocalClusterError) {
        if case .signal(let signal)? = supervisor.stopReason { throw LocalClusterError(.interrupted, "interrupted by \(signal)") }
    }

    /// Stops every agent (in parallel; each removes its pods), then the runtimes, then the server; deletes the
    /// namespaces, veths, bridge, the nodes' cgroups, any mount left below the lab directory, and the directory
    /// (but for `logs/` with `keepLogs`: after a failed `lab up`, or asked for with `lab down --keep-logs`). Returns
    /// what could not be removed.
    @discardableResult
    public static func down(_ state: LabState, launcher: ClusterLauncher, keepLogs: Bool = false) async -> [String] {
        var daemons = state.daemons.compactMap { record -> Daemon? in
            guard isSwiftlet(pid: record.pid) else { return nil }
            return Daemon.adopt(name: record.name, pid: record.pid, logFile: record.logFile)
        }
        daemons += await restartDeadAgents(state, daemons: daemons, launcher: launcher)
        for role in [" agent", " runtime", "server"] {
            let group = daemons.filter { $0.name.hasSuffix(role) && $0.isRunning }
            guard !group.isEmpty else { continue }
            launcher.progress("stopping " + group.map(\.name).joined(separator: ", "))
            await withTaskGroup(of: Void.self) { tasks in
                for daemon in group { tasks.addTask { await daemon.stop(within: .seconds(60)) } }
            }
        }
        launcher.progress("removing the network namespaces, veths and bridge \(state.network.bridge)")
        var failures = state.network.remove()
        for node in state.nodes { removeCgroupTree(node.cgroupRoot) }
        failures += unmountAll(below: state.directory)
        let manager = FileManager.default
        let doomed = keepLogs ? ((try? manager.contentsOfDirectory(atPath: state.directory)) ?? []).filter { $0 != "logs" }.map { state.directory + "/" + $0 }
                              : [state.directory]
        for path in doomed {
            do { try manager.removeItem(atPath: path) } catch { failures.append("\(path): \(error)") }
        }
        return failures
    }

    /// A node whose agent died (crashed, killed) while its runtime runs still has its pods: the runtime leaves
    /// containers running when it stops. A fresh agent for such a node — whose clean-up on SIGTERM removes every
    /// sandbox the runtime lists — is started and given until it renews its node's Lease (at most 60 s), so that
    /// stopping it with the others removes those pods too. Returns the agents started.
    static func restartDeadAgents(_ state: LabState, daemons: [Daemon], launcher: ClusterLauncher) async -> [Daemon] {
        let running = Set(daemons.filter(\.isRunning).map(\.name))
        guard running.contains("server") else { return [] }
        let kubeconfig = state.directory + "/admin.kubeconfig"
        var started: [(node: String, agent: Daemon)] = []
        let since = Date()
        for node in state.nodes where running.contains("\(node.name) runtime") && !running.contains("\(node.name) agent") {
            launcher.progress("\(node.name): its agent is not running; starting one to remove the node's pods")
            do {
                started.append((node.name, try launcher.startAgent(node, kubeconfig: kubeconfig)))
            } catch {
                launcher.logger.warning("cannot start an agent to clean up", metadata: ["node": "\(node.name)", "error": "\(error)"])
            }
        }
        for (node, agent) in started where !(await launcher.waitForLeaseRenewal(node: node, since: since, kubeconfig: kubeconfig,
                                                                                 daemon: agent, timeout: .seconds(60))) {
            launcher.progress("\(node): the new agent did not come up; its pods may stay (log \(agent.logFile))")
        }
        return started.map(\.agent)
    }

    /// Whether `pid` is still a `swiftlet` process (not a recycled pid).
    static func isSwiftlet(pid: Int32) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains { ($0 as NSString).lastPathComponent == "swiftlet" }
    }

    /// rmdir of a node's cgroup root and everything below it, deepest first (a cgroup goes only when empty).
    static func removeCgroupTree(_ cgroupRoot: String) {
        guard cgroupRoot != "/" else { return }
        for hierarchy in Cgroupfs.hierarchies {
            let top = hierarchy + cgroupRoot
            guard let enumerator = FileManager.default.enumerator(atPath: top) else { continue }
            var directories: [String] = []
            while let entry = enumerator.nextObject() as? String {
                if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { directories.append(top + "/" + entry) }
            }
            for directory in directories.sorted(by: { $0.count > $1.count }) { rmdir(directory) }
            rmdir(top)
        }
    }

    /// Detaches every mount whose mount point is below `directory` (deepest first): what a killed runtime left.
    static func unmountAll(below directory: String) -> [String] {
        let points: [String]
        do {
            points = try Mount.points(below: URL(fileURLWithPath: directory).standardizedFileURL.path)
        } catch {
            return ["read the mount table: \(error)"]
        }
        var failures: [String] = []
        for point in points.sorted(by: { $0.count > $1.count }) where umount2(point, Int32(MNT_DETACH)) != 0 && errno != EINVAL {
            failures.append("umount \(point): \(String(cString: strerror(errno)))")
        }
        return failures
    }
}
