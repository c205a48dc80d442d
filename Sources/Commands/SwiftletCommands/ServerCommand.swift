import APIServer
import ArgumentParser
import Controllers
import Foundation
import KubeClient
import Logging
import Scheduler
import ServiceLifecycle
import Store

/// `swiftlet server`: the API server with its embedded store and the controllers; writes `DIR/admin.kubeconfig`.
public struct ServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "server", abstract: "Run the Kubernetes API server and controllers.")

    @Option(name: .long, help: "Where the store and the kubeconfig live.")
    var dataDir = "/var/lib/swiftlet/server"

    @Option(name: .long, help: "host:port to listen on (port 0 picks a free one).")
    var listen = "127.0.0.1:6443"

    @Option(name: .long, help: "The Service ClusterIP range.")
    var serviceClusterIPRange = "10.96.0.0/12"

    @Option(name: .long, help: "Controllers to run: '*' all, 'name' on, '-name' off (as kube-controller-manager's --controllers), e.g. '*,-daemonset,-job,-ttl-after-finished,-nodelifecycle,-taint-eviction-controller'.")
    var controllers = "*"

    @Option(name: .long, help: "How long a node may go without renewing its Lease or posting status before it is marked Unknown.")
    var nodeMonitorGracePeriod = DurationArgument(.seconds(50), text: "50s")

    @Option(name: .long, help: "How often the node lifecycle controller checks node health.")
    var nodeMonitorPeriod = DurationArgument(.seconds(5), text: "5s")

    @Option(name: .long, help: "How long a new node may go without ever posting status before it is marked Unknown.")
    var nodeStartupGracePeriod = DurationArgument(.seconds(60), text: "1m0s")

    @Flag(name: .long, inversion: .prefixedNo, help: "Run controllers only while holding the kube-system/kube-controller-manager Lease.")
    var leaderElect = true

    @Flag(name: .long, inversion: .prefixedNo, help: "Run the scheduler, binding pods without a node to Ready nodes.")
    var scheduler = true

    @Option(name: .long, help: "Watch history kept: at least this many revisions…")
    var historyRevisions: Int64 = 1000

    @Option(name: .long, help: "…or at least this many seconds, whichever keeps more.")
    var historySeconds: Int = 300

    @Option(name: .long, help: "Seconds between background compactions of the store.")
    var compactionInterval: Int = 60

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    public init() {}

    public func validate() throws {
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be host:port, got \(listen)") }
        do { _ = try ControllerSelection(parsing: controllers) } catch { throw ValidationError("--controllers: \(error)") }
        guard nodeMonitorPeriod.duration > .zero else { throw ValidationError("--node-monitor-period must be positive") }
        guard nodeMonitorGracePeriod.duration > nodeMonitorPeriod.duration else {
            throw ValidationError("--node-monitor-grace-period (\(nodeMonitorGracePeriod)) must be longer than --node-monitor-period (\(nodeMonitorPeriod))")
        }
    }

    public func run() async throws {
        let logger = Logging.make(label: "swiftlet.server", level: logLevel)
        let address = ListenAddress(listen)!
        let server = try await APIServer(
            configuration: .init(dataDirectory: dataDir, host: address.host, port: address.port, serviceCIDR: serviceClusterIPRange,
                                 retention: .init(minimumRevisions: historyRevisions, minimumAge: .seconds(historySeconds),
                                                  interval: .seconds(compactionInterval))),
            logger: logger)
        let selection = try ControllerSelection(parsing: controllers)
        let leaderElection: LeaderElector.Configuration? = leaderElect ? LeaderElector.Configuration() : nil
        let dataDir = self.dataDir
        let (ready, announceReady) = AsyncStream.makeStream(of: Int.self)
        let nodeLifecycle = NodeLifecycleController.Configuration(nodeMonitorPeriod: nodeMonitorPeriod.duration,
                                                                  nodeMonitorGracePeriod: nodeMonitorGracePeriod.duration,
                                                                  nodeStartupGracePeriod: nodeStartupGracePeriod.duration)
        let controllerService = ControllerService(ports: ready, host: address.clientHost, selection: selection, scheduler: scheduler,
                                                  nodeLifecycle: nodeLifecycle, leaderElection: leaderElection, logger: logger)
        try await server.run(services: selection.enabled.isEmpty && !scheduler ? [] : [controllerService]) { port in
            let kubeconfig = "\(dataDir)/admin.kubeconfig"
            do {
                try AdminKubeconfig.admin(server: "http://\(address.clientHost):\(port)").write(toFile: kubeconfig, atomically: true, encoding: .utf8)
                logger.info("serving", metadata: ["url": "http://\(address.clientHost):\(port)", "kubeconfig": "\(kubeconfig)"])
            } catch {
                logger.error("cannot write kubeconfig", metadata: ["path": "\(kubeconfig)", "error": "\(error)"])
            }
            announceReady.yield(port)
            announceReady.finish()
        }
    }
}

/// The controller manager and the scheduler as a service of the server's group: it starts once the API server listens, reaches it over
/// HTTP through KubeClient (as kube-controller-manager does), and stops first on SIGTERM.
struct ControllerService: ServiceLifecycle.Service {
    let ports: AsyncStream<Int>
    let host: String
    let selection: ControllerSelection
    let scheduler: Bool
    let nodeLifecycle: NodeLifecycleController.Configuration
    let leaderElection: LeaderElector.Configuration?
    let logger: Logger

    func run() async throws {
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        let client = try KubeClient(configuration: .init(server: URL(string: "http://\(host):\(port)")!,
                                                         userAgent: "swiftlet/controller-manager"), logger: logger)
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    if !selection.enabled.isEmpty {
                        group.addTask {
                            try await ControllerManager(client: client, controllers: selection, nodeLifecycle: nodeLifecycle,
                                                        leaderElection: leaderElection, logger: logger).run()
                        }
                    }
                    if scheduler {
                        group.addTask { try await Scheduler(client: client, logger: logger).run() }
                    }
                }
            }
        } catch is CancellationError {}
        try await client.shutdown()
    }
}

/// `host:port`.
struct ListenAddress {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
        if host.isEmpty { return nil }
    }

    /// The address clients use: a wildcard listen address is reached over loopback; IPv6 in brackets.
    var clientHost: String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::": "[::1]"
        default: host.contains(":") ? "[\(host)]" : host
        }
    }
}

/// Kubeconfig files for the clients of a server.
enum AdminKubeconfig {
    static func admin(server: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: swiftlet
          cluster:
            server: \(server)
        users:
        - name: admin
          user: {}
        contexts:
        - name: swiftlet
          context:
            cluster: swiftlet
            user: admin
            namespace: default
        current-context: swiftlet
        preferences: {}

        """
    }
}

/// Process-wide logging set-up for the commands.
enum Logging {
    static func make(label: String, level: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}
