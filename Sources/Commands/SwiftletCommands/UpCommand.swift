import ArgumentParser
import Foundation
import LinuxSystem
import LocalCluster
import Logging

/// `swiftlet up`: a whole single-node cluster on this machine in the foreground — the server (embedded store,
/// controllers, scheduler, cluster DNS), the runtime and the agent as supervised child processes, our CNI plugins
/// and the node's network config — until SIGINT/SIGTERM, then stopped in order (agent, runtime, server) with every
/// pod, mount, interface and rule it made removed.
public struct UpCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "up", abstract: "Run a single-node cluster on this machine until interrupted.")

    @Option(name: .long, help: "Where everything lives: admin.kubeconfig, server/, runtime/, agent/, cni/, logs/.")
    var dataDir = "/var/lib/swiftlet"

    @Option(name: .long, help: "host:port of the API server (every address by default, as kube-apiserver binds: pods reach it at the kubernetes Service's 10.96.0.1:443 through the node's address).")
    var listen = "0.0.0.0:6443"

    @Option(name: .long, help: "The node's name (default: the hostname).")
    var nodeName: String?

    @Option(name: .long, help: "The node's address, where cluster DNS listens (default: the first global IPv4 outside the pod network).")
    var nodeIP: String?

    @Option(name: .long, help: "The node's pod network.")
    var podCIDR = "10.88.0.0/16"

    @Option(name: .long, help: "The runtime's CRI socket.")
    var criSocket = "/run/swiftlet/cri.sock"

    @Option(name: .long, help: "Where the CNI plugins are installed (from the directory of this binary).")
    var cniBinDir = "/opt/cni/bin"

    @Option(name: .long, help: "The cgroup pods' kubepods hierarchy lives below.")
    var cgroupRoot = "/"

    @Option(name: .long, help: "An OCI image-layout archive to import into the runtime before it starts (repeatable).")
    var imageArchive: [String] = []

    @Option(name: .long, help: "Seconds to wait for the node to become Ready.")
    var readyTimeout = 120

    public init() {}

    public func validate() throws {
        guard IPNetwork(podCIDR)?.address.isIPv4 == true else { throw ValidationError("--pod-cidr must be an IPv4 network, got \(podCIDR)") }
        if let nodeIP, IPAddress(nodeIP) == nil { throw ValidationError("--node-ip must be an IP address, got \(nodeIP)") }
        guard cgroupRoot.hasPrefix("/") else { throw ValidationError("--cgroup-root must be an absolute cgroup path, got \(cgroupRoot)") }
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be host:port, got \(listen)") }
        for archive in imageArchive where !FileManager.default.fileExists(atPath: archive) {
            throw ValidationError("--image-archive \(archive) does not exist")
        }
    }

    public func run() async throws {
        let logger = Logging.make(label: "swiftlet.up", level: "info")
        let started = ContinuousClock.now
        let supervisor = await Supervisor()
        let dataDir = URL(fileURLWithPath: self.dataDir).standardizedFileURL.path
        let executable = ClusterLauncher.currentExecutable
        let launcher = ClusterLauncher(executable: executable, logDirectory: dataDir + "/logs", logger: logger) { Console.line("up: \($0)") }
        let name = (nodeName ?? ProcessInfo.processInfo.hostName).lowercased()
        let address = nodeIP ?? HostNetwork.firstGlobalIPv4(excluding: IPNetwork(podCIDR))?.description
        if address == nil { Console.line("up: no global IPv4 address here: running without cluster DNS (give --node-ip)") }
        // Pods reach the API server at the kubernetes Service, whose endpoint is the node's address: advertised when the
        // server listens there (on every address, or on that one).
        let listenHost = ListenAddress(listen)?.host
        let advertised = address.flatMap { listenHost == "0.0.0.0" || listenHost == $0 ? $0 : nil }
        let server = ServerConfiguration(dataDirectory: dataDir + "/server", listen: listen, clusterDNSAddress: address.map { "\($0):53" },
                                         extraArguments: advertised.map { ["--advertise-address", $0] } ?? [])
        let node = NodeConfiguration(name: name, directory: dataDir, podCIDR: podCIDR, nodeIP: address,
                                     clusterDNS: address.map { _ in "10.96.0.10" }, cgroupRoot: cgroupRoot, criSocket: criSocket,
                                     runtimeState: (criSocket as NSString).deletingLastPathComponent + "/runtime",
                                     runcRoot: (criSocket as NSString).deletingLastPathComponent + "/runc", cniBinDirectory: cniBinDir)
        let kubeconfig = dataDir + "/admin.kubeconfig"
        do {
            Console.line("up: installing the CNI plugins into \(cniBinDir) and the network config into \(node.cniConfigDirectory)")
            try CNIPlugins.install(from: (executable as NSString).deletingLastPathComponent, to: cniBinDir)
            try await launcher.prepare(node, imageArchives: imageArchive)
            supervisor.add(try await launcher.startServer(server))
            try String(contentsOfFile: server.kubeconfig, encoding: .utf8).write(toFile: kubeconfig, atomically: true, encoding: .utf8)
            // It holds the admin's private key.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: kubeconfig)
            for daemon in try launcher.startNode(node, kubeconfig: try launcher.nodeKubeconfig(for: node, server: server)) { supervisor.add(daemon) }
            try await launcher.waitForReady(nodes: [name], kubeconfig: kubeconfig, daemons: supervisor.daemons, supervisor: supervisor,
                                            timeout: .seconds(readyTimeout))
        } catch {
            await shutDown(supervisor, launcher: launcher, bridge: node.cniBridge, logger: logger)
            throw ExitMessage("up: \(error)")
        }
        Console.line("""
            up: node \(name) Ready after \(Console.seconds(ContinuousClock.now - started)) s
            up: kubeconfig: \(kubeconfig)
                kubectl --kubeconfig \(kubeconfig) get nodes
            up: running until Ctrl-C (SIGINT) or SIGTERM
            """)
        let reason = await supervisor.waitForStopReason()
        await shutDown(supervisor, launcher: launcher, bridge: node.cniBridge, logger: logger)
        if case .exited(let daemon, let status) = reason {
            throw ExitMessage("up: \(daemon.exitedError(status: status))")
        }
        Console.line("up: stopped")
    }

    /// Agent first (it removes every pod while the runtime still answers), then the runtime, then the server; then
    /// the CNI bridge and tables the pods' networking left.
    private func shutDown(_ supervisor: Supervisor, launcher: ClusterLauncher, bridge: String, logger: Logger) async {
        await launcher.stop(supervisor.daemons.reversed())
        HostNetwork.removeCNILeftovers(bridge: bridge, logger: logger)
    }
}

/// A failure the command reports in one message and a non-zero exit, without a usage text.
struct ExitMessage: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
