import ArgumentParser
import Foundation
import KubeAPI
import KubeClient
import Logging
import NodeSimulator
import ServiceLifecycle
import UnixSignals

/// `swiftlet sim`: simulated nodes and kubelets, as kwok: N Nodes with capacity, conditions and nodeInfo, their
/// Leases renewed every 10 s, and pods bound to them reported Running and Ready without containers.
public struct SimCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sim", abstract: "Simulate nodes and their kubelets through the API (no containers), for scale tests.")

    @Option(name: .long, help: "Kubeconfig of the API server.")
    var kubeconfig: String

    @Option(name: .long, help: "How many nodes to simulate.")
    var nodes: Int

    @Option(name: .long, help: "Node name prefix; nodes are <prefix>0 … <prefix>N-1.")
    var prefix = "sim-"

    @Option(name: .long, help: "Number of the first node, so several simulators can share a cluster.")
    var firstIndex = 0

    @Option(name: .long, help: "Pods each node accepts (allocatable pods).")
    var podsPerNode = 110

    @Option(name: .long, help: "Each node's cpu capacity.")
    var cpu = "32"

    @Option(name: .long, help: "Each node's memory capacity.")
    var memory = "256Gi"

    @Option(name: .long, parsing: .singleValue, help: "A label for every node, key=value (repeatable).")
    var label: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "A taint for every node, key[=value]:Effect (repeatable).")
    var taint: [String] = []

    @Option(name: .long, help: "How often each node renews its Lease in kube-node-lease.")
    var leaseRenewInterval = DurationArgument(.seconds(10), text: "10s")

    @Option(name: .long, help: "How long a pod owned by a Job runs before it succeeds.")
    var jobPodDuration = DurationArgument(.seconds(1), text: "1s")

    @Option(name: .long, help: "Remove a deleted pod at most this long after the delete request (default: its grace period).")
    var maxTerminationDelay: DurationArgument?

    @Option(name: .long, help: "Concurrent requests to the API server.")
    var parallelism = 16

    @Option(name: .long, help: "host:port of /healthz and /metrics (0: any free port).")
    var healthzBindAddress = "127.0.0.1:10247"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    public init() {}

    public func validate() throws {
        guard nodes > 0 else { throw ValidationError("--nodes must be at least 1") }
        guard podsPerNode > 0 else { throw ValidationError("--pods-per-node must be at least 1") }
        guard parallelism > 0 else { throw ValidationError("--parallelism must be at least 1") }
        guard ListenAddress(healthzBindAddress) != nil else { throw ValidationError("--healthz-bind-address must be host:port") }
        for quantity in [cpu, memory] where (try? Quantity(parsing: quantity)) == nil {
            throw ValidationError("\(quantity) is not a valid quantity")
        }
        _ = try labels()
        _ = try taints()
        guard leaseRenewInterval.duration > .zero else { throw ValidationError("--lease-renew-interval must be positive") }
    }

    private func labels() throws -> [String: String] {
        var labels: [String: String] = [:]
        for entry in label {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--label must be key=value, got \(entry)") }
            labels[String(parts[0])] = String(parts[1])
        }
        return labels
    }

    /// `key=value:Effect` or `key:Effect`, as `kubectl taint`.
    private func taints() throws -> [Taint] {
        try taint.map { entry in
            guard let colon = entry.lastIndex(of: ":") else { throw ValidationError("--taint must be key[=value]:Effect, got \(entry)") }
            let effect = String(entry[entry.index(after: colon)...])
            guard ["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) else {
                throw ValidationError("--taint effect must be NoSchedule, PreferNoSchedule or NoExecute, got \(effect)")
            }
            let keyValue = entry[..<colon].split(separator: "=", maxSplits: 1).map(String.init)
            guard let key = keyValue.first, !key.isEmpty else { throw ValidationError("--taint must be key[=value]:Effect, got \(entry)") }
            return Taint(key: key, value: keyValue.count > 1 ? keyValue[1] : nil, effect: effect)
        }
    }

    public func run() async throws {
        let logger = Logging.make(label: "swiftlet.sim", level: logLevel)
        let registry = HealthEndpoint.bootstrapMetrics()
        let client = try KubeconfigFile.client(path: kubeconfig, userAgent: "swiftlet-sim", logger: logger)
        let simulator = NodeSimulator(
            client: client,
            configuration: .init(prefix: prefix, nodes: nodes, firstIndex: firstIndex, podsPerNode: podsPerNode, cpu: cpu, memory: memory,
                                 labels: try labels(), taints: try taints(), leaseRenewInterval: leaseRenewInterval.duration,
                                 jobPodDuration: jobPodDuration.duration, maximumTerminationDelay: maxTerminationDelay?.duration,
                                 parallelism: parallelism),
            logger: logger)
        let health = HealthEndpoint(address: ListenAddress(healthzBindAddress)!, registry: registry,
                                    isHealthy: { simulator.isHealthy }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: SimulatorService(simulator: simulator)), .init(service: health)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await client.shutdown()
    }
}

/// The simulator as a ServiceLifecycle service: stops on SIGTERM (the nodes stay registered and go Unknown, as
/// after a power cut).
struct SimulatorService: ServiceLifecycle.Service {
    let simulator: NodeSimulator

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await simulator.run() }
        } catch is CancellationError {}
    }
}
