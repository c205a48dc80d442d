import ArgumentParser
import Foundation
import LinuxSystem
import LocalCluster
import Logging

/// `swiftlet lab up|down`: a multi-node cluster on this machine, one network namespace per node on a bridge.
public struct LabCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lab", abstract: "Run a multi-node cluster on this machine, one network namespace per node.",
        subcommands: [LabUpCommand.self, LabDownCommand.self])

    public init() {}
}

struct LabUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create the lab network and start the server and every node; returns once all nodes are Ready.")

    @Option(name: .long, help: "Number of nodes (named <prefix>-1 …).")
    var nodes = 2

    @Option(name: .long, help: "The lab's directory: lab.json, admin.kubeconfig, server/, nodes/, logs/.")
    var dir = "/var/lib/swiftlet-lab"

    @Option(name: .long, help: "An OCI image-layout archive to preload into every node's runtime (repeatable).")
    var imageArchive: [String] = []

    @Option(name: .long, help: "Node and network namespace names: <prefix>-1 …")
    var prefix = "lab"

    @Option(name: .long, help: "The bridge joining the nodes.")
    var bridge = "swlab0"

    @Option(name: .long, help: "The lab network (bridge: first address, node i: (10+i)th); pods get 10.244.<i>.0/24.")
    var network = "172.31.0.0/24"

    @Option(name: .long, help: "Where the CNI plugins are installed (from the directory of this binary).")
    var cniBinDir = "/opt/cni/bin"

    @Option(name: .long, parsing: .unconditionalSingleValue,
            help: "A flag for the lab's `swiftlet server`, e.g. --server-arg=--node-monitor-grace-period=20s (repeatable).")
    var serverArg: [String] = []

    @Option(name: .long, help: "Seconds to wait for every node to become Ready.")
    var readyTimeout = 180

    @Option(name: .long, help: "Spread the nodes round-robin over this many zones: each agent registers its Node with topology.kubernetes.io/zone=zone-a, zone-b, … (topology-aware routing); 0: no zones.")
    var zones = 0

    func validate() throws {
        guard (1...200).contains(nodes) else { throw ValidationError("--nodes must be 1 to 200, got \(nodes)") }
        guard (0...26).contains(zones) else { throw ValidationError("--zones must be 0 to 26, got \(zones)") }
        guard IPNetwork(network)?.address.isIPv4 == true else { throw ValidationError("--network must be an IPv4 network, got \(network)") }
        guard !prefix.isEmpty, prefix.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else {
            throw ValidationError("--prefix must be lower-case letters, digits and dashes (it names Nodes), got \(prefix)")
        }
        for archive in imageArchive where !FileManager.default.fileExists(atPath: archive) {
            throw ValidationError("--image-archive \(archive) does not exist")
        }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let directory = URL(fileURLWithPath: dir).standardizedFileURL.path
        let launcher = ClusterLauncher(executable: ClusterLauncher.currentExecutable, logDirectory: directory + "/logs",
                                       logger: Logging.make(label: "swiftlet.lab", level: "info")) { Console.line("lab: \($0)") }
        let supervisor = await Supervisor()
        let request = Lab.Request(directory: directory, nodes: nodes, prefix: prefix, bridge: bridge, network: IPNetwork(network)!,
                                  cniBinDirectory: cniBinDir, imageArchives: imageArchive, serverArguments: serverArg, readyTimeout: .seconds(readyTimeout), zones: zones)
        let state: LabState
        do {
            state = try await Lab.up(request, supervisor: supervisor, launcher: launcher)
        } catch {
            throw ExitMessage("lab: \(error)")
        }
        Console.line("lab: \(state.nodes.count) nodes Ready after \(Console.seconds(ContinuousClock.now - started)) s")
        for node in state.nodes {
            let pids = state.daemons.filter { $0.name.hasPrefix(node.name + " ") }
            let rss = pids.compactMap { Daemon.adopt(name: $0.name, pid: $0.pid, logFile: $0.logFile).residentBytes }.reduce(0, +)
            Console.line("lab:   \(node.name)  \(node.nodeIP ?? "")  pods \(node.podCIDR)  netns \(node.name)  agent+runtime RSS \(rss >> 20) MiB")
        }
        let kubeconfig = directory + "/admin.kubeconfig"
        Console.line("""
            lab: kubeconfig: \(kubeconfig)
                kubectl --kubeconfig \(kubeconfig) get nodes -o wide
            lab: take it down with: swiftlet lab down --dir \(directory)
            """)
    }
}

struct LabDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop every daemon of the lab and remove its namespaces, bridge, veths, mounts and directory.")

    @Option(name: .long, help: "The lab's directory.")
    var dir = "/var/lib/swiftlet-lab"

    @Flag(name: .long, help: "Keep the daemons' logs in DIR/logs; everything else is removed.")
    var keepLogs = false

    func run() async throws {
        let directory = URL(fileURLWithPath: dir).standardizedFileURL.path
        let state: LabState
        do {
            state = try LabState.load(directory: directory)
        } catch {
            throw ExitMessage("lab: \(error)")
        }
        let launcher = ClusterLauncher(executable: ClusterLauncher.currentExecutable, logDirectory: directory + "/logs",
                                       logger: Logging.make(label: "swiftlet.lab", level: "info")) { Console.line("lab: \($0)") }
        let failures = await Lab.down(state, launcher: launcher, keepLogs: keepLogs)
        guard failures.isEmpty else { throw ExitMessage("lab: could not remove: " + failures.joined(separator: "; ")) }
        Console.line(keepLogs ? "lab: down (logs kept in \(launcher.logDirectory))" : "lab: down")
    }
}
