import Foundation
import KubeAPI
import KubeClient
import Logging
import Synchronization

/// Simulated nodes, as kwok makes them: Nodes registered through the API with capacity, allocatable, addresses,
/// conditions and nodeInfo like a kubelet's; their Leases in `kube-node-lease` renewed every 10 s; and pods bound
/// to them reported Running and Ready (pod and host IPs, container statuses, conditions) without any container —
/// pods owned by a Job complete, deleted pods are removed once their grace period is over (the kubelet's final
/// `DELETE`). The control plane sees thousands of nodes and their pods on one machine.
///
/// It talks to the API server only through `KubeClient`. Leases are renewed with one `PUT` each from a cached
/// copy (a `GET` only after a conflict), spread evenly over the renew interval, so N nodes cost N/10 requests per
/// second and no bursts.
///
/// ```swift
/// let simulator = NodeSimulator(client: client, configuration: .init(nodes: 100), logger: logger)
/// try await simulator.run()                          // until cancelled
/// simulator.pause("sim-3")                           // a node whose kubelet died: no lease, no pod updates
/// ```
public final class NodeSimulator: Sendable {
    /// What the simulated nodes look like and how they behave; the defaults are a kubelet's where one has them.
    public struct Configuration: Sendable {
        /// Nodes are `<prefix><n>`, n from 0.
        public var prefix: String
        public var nodes: Int
        /// Number of the first node (`--first-index`), so several simulators can share a cluster.
        public var firstIndex: Int
        public var podsPerNode: Int
        public var cpu: String
        public var memory: String
        public var ephemeralStorage: String
        /// Extra labels on every node (`kubernetes.io/hostname`, `kubernetes.io/os`, `kubernetes.io/arch` and
        /// `type: kwok`-style `node.swiftlet.dev/simulated: "true"` are always set).
        public var labels: [String: String]
        public var taints: [Taint]
        public var leaseRenewInterval: Duration
        public var leaseDurationSeconds: Int32
        /// How often the node status (conditions' heartbeat) is written when nothing changed: the kubelet's
        /// `nodeStatusReportFrequency`, 5 minutes.
        public var nodeStatusReportFrequency: Duration
        /// How long a pod owned by a Job runs before it succeeds.
        public var jobPodDuration: Duration
        /// The longest a deleted pod is kept before the final `DELETE`; nil waits out its grace period.
        public var maximumTerminationDelay: Duration?
        /// Concurrent requests for registration, lease renewal and pod updates.
        public var parallelism: Int

        public init(prefix: String = "sim-", nodes: Int = 1, firstIndex: Int = 0, podsPerNode: Int = 110, cpu: String = "32",
                    memory: String = "256Gi", ephemeralStorage: String = "1Ti", labels: [String: String] = [:], taints: [Taint] = [],
                    leaseRenewInterval: Duration = .seconds(10), leaseDurationSeconds: Int32 = 40,
                    nodeStatusReportFrequency: Duration = .seconds(300), jobPodDuration: Duration = .seconds(1),
                    maximumTerminationDelay: Duration? = nil, parallelism: Int = 16) {
            self.prefix = prefix
            self.nodes = nodes
            self.firstIndex = firstIndex
            self.podsPerNode = podsPerNode
            self.cpu = cpu
            self.memory = memory
            self.ephemeralStorage = ephemeralStorage
            self.labels = labels
            self.taints = taints
            self.leaseRenewInterval = leaseRenewInterval
            self.leaseDurationSeconds = leaseDurationSeconds
            self.nodeStatusReportFrequency = nodeStatusReportFrequency
            self.jobPodDuration = jobPodDuration
            self.maximumTerminationDelay = maximumTerminationDelay
            self.parallelism = parallelism
        }

        /// The names of the simulated nodes.
        public var nodeNames: [String] { (firstIndex..<(firstIndex + nodes)).map { "\(prefix)\($0)" } }
    }

    struct State {
        /// Leases as last written, by node.
        var leases: [String: Lease] = [:]
        /// Nodes whose kubelet is "down": no lease renewal, no status, no pod updates.
        var paused: Set<String> = []
        var registered = false
        /// Nodes done registering (their leases and status are kept from then on).
        var registeredNodes: Set<String> = []
        /// Nodes whose status is being re-posted after the control plane marked them not Ready.
        var reposting: Set<String> = []
        var lastLeaseSuccess: ContinuousClock.Instant?
        /// Pods on simulated nodes, by `namespace/name`.
        var pods: [String: Pod] = [:]
    }

    public let configuration: Configuration
    let client: KubeClient
    let logger: Logger
    let metrics: SimulatorMetrics
    let state = Mutex(State())
    let addresses: PodAddresses
    /// Node name → its number, for addresses.
    let nodeIndex: [String: Int]
    /// Pods (`namespace/name`) whose state the simulated kubelet has to move on.
    let podQueue: WorkQueue

    public init(client: KubeClient, configuration: Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        metrics = SimulatorMetrics()
        var index: [String: Int] = [:]
        for (offset, name) in configuration.nodeNames.enumerated() { index[name] = configuration.firstIndex + offset }
        nodeIndex = index
        addresses = PodAddresses()
        podQueue = WorkQueue(name: "simulated-pods", logger: logger)
    }

    /// Registers the nodes, then renews leases, refreshes node status and runs the pods until the calling task is
    /// cancelled.
    public func run() async throws {
        // Leases and status of the nodes registered first are kept up while the others register.
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.renewLeases() }
            group.addTask { await self.reportNodeStatus() }
            group.addTask { await self.watchNodes() }
            try await registerNodes()
            state.withLock { $0.registered = true }
            metrics.nodesRegistered(configuration.nodes)
            logger.info("simulated nodes registered", metadata: ["nodes": "\(configuration.nodes)", "prefix": "\(configuration.prefix)"])
            group.addTask { await self.runPods() }
        }
        try Task.checkCancellation()
    }

    /// Whether the nodes are registered and a lease was renewed within two renew intervals.
    public var isHealthy: Bool {
        state.withLock { s in
            guard s.registered else { return false }
            guard let last = s.lastLeaseSuccess else { return true }
            return ContinuousClock.now - last < configuration.leaseRenewInterval * 2 + .seconds(5)
        }
    }

    /// Stops the node's kubelet, as if it died: its Lease is no longer renewed, its pods no longer updated.
    public func pause(_ node: String) { _ = state.withLock { $0.paused.insert(node) } }

    /// Brings a paused node back: the lease is renewed and the node status posted again at once.
    public func resume(_ node: String) async {
        _ = state.withLock { $0.paused.remove(node) }
        try? await renewLease(node)
        try? await postNodeStatus(node)
        for key in state.withLock({ s in s.pods.filter { $0.value.spec?.nodeName == node }.map(\.key) }) { await podQueue.add(key) }
    }

    func isPaused(_ node: String) -> Bool { state.withLock { $0.paused.contains(node) } }

    /// Whether the simulated kubelet of `node` is up: registered and not paused.
    func isActive(_ node: String) -> Bool { state.withLock { $0.registeredNodes.contains(node) && !$0.paused.contains(node) } }

    /// Runs `operations` with at most `configuration.parallelism` of them in flight.
    func forEachConcurrently(_ items: [String], _ operation: @escaping @Sendable (String) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            var iterator = items.makeIterator()
            var running = 0
            while let item = iterator.next() {
                if running >= configuration.parallelism {
                    await group.next()
                    running -= 1
                }
                group.addTask { await operation(item) }
                running += 1
            }
        }
    }
}
