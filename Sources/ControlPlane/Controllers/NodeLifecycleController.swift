import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics

/// Watches node health (upstream's `node-lifecycle-controller`).
///
/// Every `nodeMonitorPeriod` each node's heartbeat is checked: a renewed Lease in `kube-node-lease` or a new
/// `Ready` heartbeat counts. A node silent for `nodeMonitorGracePeriod` (50 s) gets its Ready, MemoryPressure,
/// DiskPressure and PIDPressure conditions set to Unknown ("Kubelet stopped posting node status."), its pods'
/// Ready condition set to False, and — rate-limited per zone, and not at all while a whole zone or cluster looks
/// down — the `node.kubernetes.io/unreachable:NoExecute` taint (`not-ready:NoExecute` when Ready is False), which
/// the taint eviction controller acts on. A healthy node loses those taints. Independently, each node carries the
/// NoSchedule taints its conditions imply (not-ready, unreachable, the pressures, network-unavailable,
/// unschedulable), which keep new pods away.
public struct NodeLifecycleController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "node-lifecycle-controller"

    /// Timing and rates, upstream's defaults (kube-controller-manager's `--node-monitor-*` flags).
    public struct Configuration: Sendable, Hashable {
        /// How often node health is checked.
        public var nodeMonitorPeriod: Duration
        /// How long a node may stay silent before it is marked Unknown.
        public var nodeMonitorGracePeriod: Duration
        /// How long a new node may go without ever posting a Ready condition.
        public var nodeStartupGracePeriod: Duration
        /// Nodes per second given a NoExecute taint in a healthy zone.
        public var evictionRate: Double
        /// Nodes per second in a partially disrupted zone of a large cluster.
        public var secondaryEvictionRate: Double
        /// Zones with more nodes than this count as large.
        public var largeClusterSizeThreshold: Int
        /// The share of unready nodes (more than two) from which a zone is partially disrupted.
        public var unhealthyZoneThreshold: Double

        public init(nodeMonitorPeriod: Duration = .seconds(5), nodeMonitorGracePeriod: Duration = .seconds(50),
                    nodeStartupGracePeriod: Duration = .seconds(60), evictionRate: Double = 0.1,
                    secondaryEvictionRate: Double = 0.01, largeClusterSizeThreshold: Int = 50,
                    unhealthyZoneThreshold: Double = 0.55) {
            self.nodeMonitorPeriod = nodeMonitorPeriod
            self.nodeMonitorGracePeriod = nodeMonitorGracePeriod
            self.nodeStartupGracePeriod = nodeStartupGracePeriod
            self.evictionRate = evictionRate
            self.secondaryEvictionRate = secondaryEvictionRate
            self.largeClusterSizeThreshold = largeClusterSizeThreshold
            self.unhealthyZoneThreshold = unhealthyZoneThreshold
        }
    }

    /// The namespace of the kubelets' heartbeat Leases.
    static let leaseNamespace = "kube-node-lease"
    /// Nodes with this label are left out of the zone disruption counts.
    static let excludeDisruptionLabel = "node.kubernetes.io/exclude-disruption"
    /// How often the per-zone taint queues are worked (upstream's `nodeEvictionPeriod`).
    static let taintingPeriod: Duration = .milliseconds(100)

    public var name: String { Self.controllerName }
    let client: KubeClient
    let nodes: Informer<Node>
    let leases: Informer<Lease>
    let pods: Informer<Pod>
    let configuration: Configuration
    /// Node names whose condition-derived NoSchedule taints need checking.
    let noScheduleQueue: WorkQueue
    /// Pods to mark not ready if their node is.
    let podQueue: WorkQueue
    let state = Locked(NodeLifecycleState())
    let logger: Logger
    let events: EventRecorder
    let metrics: ControllerMetrics

    /// Registers the Node, Lease and Pod handlers on the shared informers.
    public init(context: ControllerContext, configuration: Configuration = Configuration()) {
        client = context.client
        nodes = context.informers.informer(Node.self)
        leases = context.informers.informer(Lease.self)
        pods = context.informers.informer(Pod.self)
        self.configuration = configuration
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: "node-controller", logger: logger)
        noScheduleQueue = WorkQueue(name: "node_lifecycle_controller", logger: logger)
        podQueue = WorkQueue(name: "node_lifecycle_controller_pods", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let (noScheduleQueue, podQueue) = (noScheduleQueue, podQueue)
        let events = events
        nodes.addHandler(InformerHandler(
            onAdd: { node in
                events.record(node, reason: "RegisteredNode", message: "Node \(node.metadata.name ?? "") event: Registered Node \(node.metadata.name ?? "") in Controller")
                await noScheduleQueue.add(node.metadata.name ?? "")
            },
            onUpdate: { _, new in await noScheduleQueue.add(new.metadata.name ?? "") },
            onDelete: { node in
                events.record(node, reason: "RemovingNode", message: "Node \(node.metadata.name ?? "") event: Removing Node \(node.metadata.name ?? "") from Controller")
            }))
        let enqueuePod: @Sendable (Pod) async -> Void = { pod in
            if let node = pod.spec?.nodeName, !node.isEmpty, pod.metadata.deletionTimestamp == nil { await podQueue.add(pod.key) }
        }
        pods.addHandler(InformerHandler(onAdd: enqueuePod, onUpdate: { old, new in
            if old.spec?.nodeName != new.spec?.nodeName || old.readyCondition?.status != new.readyCondition?.status { await enqueuePod(new) }
        }))
    }

    public func run(workers: Int) async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await noScheduleQueue.processSyncs(workers: workers, metrics: metrics, logger: logger) { name in
                    try await doNoScheduleTaintingPass(name)
                }
            }
            group.addTask {
                await podQueue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await processPod(key) }
            }
            group.addTask {
                while !Task.isCancelled {
                    await monitorNodeHealth()
                    try? await Task.sleep(for: configuration.nodeMonitorPeriod)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    await doNoExecuteTaintingPass()
                    try? await Task.sleep(for: Self.taintingPeriod)
                }
            }
        }
    }

    /// One pass over every node: health, zone disruption, NoExecute tainting decisions and pods marked not
    /// ready (upstream's `monitorNodeHealth`).
    func monitorNodeHealth() async {
        let nodeList = nodes.list()
        let (added, deleted) = state.withLock { s -> ([Node], [String]) in
            let names = Set(nodeList.compactMap(\.metadata.name))
            let added = nodeList.filter { !s.knownNodes.contains($0.metadata.name ?? "") }
            let deleted = s.knownNodes.subtracting(names)
            for node in added {
                s.knownNodes.insert(node.metadata.name ?? "")
                s.addZone(Self.zone(of: node), rate: configuration.evictionRate)
            }
            for name in deleted {
                s.knownNodes.remove(name)
                s.health[name] = nil
                s.nodesToRetry.remove(name)
                for zone in s.tainters.keys { s.tainters[zone]?.remove(name) }
            }
            return (added, Array(deleted))
        }
        for node in added {
            logger.info("observed a new node", metadata: ["node": "\(node.metadata.name ?? "")"])
            await markReachable(node)
        }
        for name in deleted { logger.info("observed a node deletion", metadata: ["node": "\(name)"]) }

        var zoneConditions: [String: [NodeCondition?]] = [:]
        // The pods of each node, built from the cache the first time a node of this pass needs them: one pass over
        // the pods instead of one per not-ready node (with thousands of nodes going not ready at once, listing and
        // sorting every pod for each of them was most of the server's CPU).
        var podsByNode: [String: [Pod]]?
        for node in nodeList {
            metrics.syncs.increment()
            do {
                if let ready = try await checkNode(node, podsByNode: &podsByNode), node.metadata.labels?[Self.excludeDisruptionLabel] == nil {
                    zoneConditions[Self.zone(of: node), default: []].append(ready.current)
                }
            } catch {
                metrics.errors.increment()
                logger.warning("updating node health failed; no pods will be evicted from it this pass",
                               metadata: ["node": "\(node.metadata.name ?? "")", "error": "\(error)"])
            }
        }
        await handleDisruption(zoneConditions, nodes: nodeList)
    }

    /// Health, tainting and pod readiness for one node; returns its Ready condition before and after.
    /// `podsByNode` is the pods cache grouped by node, built here when first needed and reused by later calls.
    func checkNode(_ cached: Node, podsByNode: inout [String: [Pod]]?) async throws -> (observed: NodeCondition, current: NodeCondition?)? {
        let name = cached.metadata.name ?? ""
        var node = cached
        var result: (observed: NodeCondition, current: NodeCondition?)?
        for attempt in 0..<5 {
            do {
                result = try await tryUpdateNodeHealth(&node)
                break
            } catch where attempt < 4 {
                do {
                    node = try await client.get(Node.self, name: name)
                } catch {
                    throw ControllerError.api(error)
                }
            }
        }
        guard let (observed, current) = result else { return nil }
        guard let current else { return result }
        await processTaintBaseEviction(cached, observed: observed)
        let needsRetry = state.withLock { $0.nodesToRetry.contains(name) }
        if (current.status != "True" && observed.status == "True") || (needsRetry && observed.status != "True") {
            if current.status != "True" && observed.status == "True" {
                logger.info("node is not ready", metadata: ["node": "\(name)", "reason": "\(current.reason ?? "")"])
                // Upstream's RecordNodeStatusChange.
                events.record(node, reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady")
            }
            if podsByNode == nil { podsByNode = Dictionary(grouping: pods.list(), by: { $0.spec?.nodeName ?? "" }) }
            let onNode = podsByNode?[name] ?? []
            do {
                try await markPodsNotReady(onNode, node: name)
            } catch {
                state.withLock { _ = $0.nodesToRetry.insert(name) }
                throw error
            }
        }
        state.withLock { _ = $0.nodesToRetry.remove(name) }
        return result
    }

    /// The zone key of a node: region and zone from the topology labels (upstream's `GetZoneKey`); empty for
    /// nodes without them.
    static func zone(of node: Node) -> String {
        let labels = node.metadata.labels ?? [:]
        let region = labels["topology.kubernetes.io/region"] ?? labels["failure-domain.beta.kubernetes.io/region"] ?? ""
        let zone = labels["topology.kubernetes.io/zone"] ?? labels["failure-domain.beta.kubernetes.io/zone"] ?? ""
        return region.isEmpty && zone.isEmpty ? "" : "\(region):\u{0}:\(zone)"
    }
}

/// What the node lifecycle controller remembers between passes, under one lock.
struct NodeLifecycleState {
    /// The last heartbeat seen per node, by this controller's clock.
    var health: [String: NodeHealth] = [:]
    var knownNodes: Set<String> = []
    var zoneStates: [String: ZoneState] = [:]
    var tainters: [String: ZoneTainter] = [:]
    /// Nodes whose pods could not all be marked not ready; retried next pass.
    var nodesToRetry: Set<String> = []

    /// Starts tracking a zone the first time one of its nodes appears.
    mutating func addZone(_ zone: String, rate: Double) {
        guard tainters[zone] == nil else { return }
        zoneStates[zone] = .initial
        tainters[zone] = ZoneTainter(rate: rate)
    }
}
