import CRI
import Foundation
import KubeAPI
import KubeClient
import Logging

/// Registers the Node and keeps its status true: capacity and allocatable from the machine, addresses,
/// nodeInfo (runtime name and version from CRI `Version`), and the conditions Ready (CRI RuntimeReady and
/// NetworkReady), MemoryPressure, DiskPressure and PIDPressure (as the ``EvictionManager`` holds them; allocatable is
/// the capacity less the reservations and the hard eviction thresholds, ``NodeResourcePolicy``). Written every
/// `nodeStatusUpdateFrequency` when something changed, and at least once a minute so `lastHeartbeatTime`
/// moves; failures are logged and retried, pods keep running meanwhile. Records the Node's events as upstream's
/// kubelet does (`kubectl describe node`): `Starting` once, and `Node N status is now: NodeReady` (…
/// `NodeHasSufficientMemory`, `NodeHasNoDiskPressure`, …) whenever a written condition is new or changed.
actor NodeStatusManager {
    private let client: KubeClient
    private let connection: RuntimeConnection
    private let configuration: KubeletConfiguration
    private let logger: Logger
    private let machine: MachineInfo
    private let events: EventRecorder
    private var lastWritten: NodeStatus?
    private var lastWriteTime = ContinuousClock.now
    private var registered = false
    private var announcedStart = false
    private let eviction: EvictionManager

    init(client: KubeClient, connection: RuntimeConnection, configuration: KubeletConfiguration, eviction: EvictionManager, logger: Logger) {
        self.client = client
        self.connection = connection
        self.configuration = configuration
        self.logger = logger
        machine = MachineInfo.collect(rootDirectory: configuration.rootDirectory)
        self.eviction = eviction
        events = EventRecorder(client: client, component: "kubelet", host: configuration.nodeName, logger: logger)
    }

    /// The address reported as InternalIP.
    var nodeIP: String { configuration.nodeIP ?? MachineInfo.primaryIPv4() ?? "127.0.0.1" }

    func run() async {
        while !Task.isCancelled {
            do {
                try await update()
            } catch {
                logger.warning("node status update failed", metadata: ["node": "\(configuration.nodeName)", "error": "\(error)"])
            }
            try? await Task.sleep(for: registered ? configuration.nodeStatusUpdateFrequency : .seconds(1))
        }
    }

    /// Registers the node if it does not exist yet, then writes the status when it changed.
    func update() async throws {
        if !registered { try await register() }
        var status = try await currentStatus()
        let changed = Self.comparable(status) != lastWritten.map(Self.comparable)
        guard changed || ContinuousClock.now - lastWriteTime > .seconds(60) else { return }
        var node = try await client.get(Node.self, name: configuration.nodeName)
        let previous = node.status?.conditions ?? []
        status.conditions = (status.conditions ?? []).carryingTransitionTimes(from: previous)
        node.status = status
        _ = try await client.updateStatus(node)
        lastWritten = status
        lastWriteTime = ContinuousClock.now
        var reference = Node.kubeletReference(configuration.nodeName)
        reference.metadata.resourceVersion = node.metadata.resourceVersion
        if !announcedStart {
            events.record(reference, reason: "Starting", message: "Starting kubelet.")
            announcedStart = true
        }
        for event in Self.conditionEvents(previous: previous, current: status.conditions ?? []) {
            events.record(reference, reason: event, message: "Node \(configuration.nodeName) status is now: \(event)")
        }
    }

    /// Upstream's status setters' events for conditions that are new or changed status: the condition's reason with
    /// `Kubelet` as `Node` (`KubeletReady` → `NodeReady`, `KubeletHasSufficientMemory` → `NodeHasSufficientMemory`).
    static func conditionEvents(previous: [NodeCondition], current: [NodeCondition]) -> [String] {
        current.compactMap { condition in
            guard previous.first(where: { $0.type == condition.type })?.status != condition.status,
                  let reason = condition.reason, reason.hasPrefix("Kubelet") else { return nil }
            return "Node" + reason.dropFirst("Kubelet".count)
        }
    }

    /// The Node as this kubelet registers it (upstream's `initialNode`): labels as the kubelet sets them, then
    /// `--node-labels` over them; `--pod-cidr`; `--register-with-taints`; and the machine's capacity and allocatable.
    /// Admission falls back on it while the API server's copy is not known yet.
    static func initialNode(configuration: KubeletConfiguration, machine: MachineInfo) -> Node {
        let labels = [
            "kubernetes.io/hostname": configuration.nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": machine.architecture,
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": machine.architecture,
        ].merging(configuration.nodeLabels) { _, given in given }
        var node = Node(metadata: ObjectMeta(name: configuration.nodeName, labels: labels))
        if let cidr = configuration.podCIDR { node.spec = NodeSpec(podCIDR: cidr, podCIDRs: [cidr]) }
        if !configuration.registerWithTaints.isEmpty {
            node.spec = node.spec ?? NodeSpec()
            node.spec?.taints = configuration.registerWithTaints
        }
        let capacity = machine.capacity(maxPods: configuration.maxPods)
        node.status = NodeStatus(capacity: capacity, allocatable: configuration.resourcePolicy.allocatable(capacity: capacity))
        return node
    }

    /// Creates the Node (``initialNode(configuration:machine:)`` without its status, which the first status write
    /// sets), or adopts an existing one with the same name as it is.
    private func register() async throws {
        var node = Self.initialNode(configuration: configuration, machine: machine)
        node.status = nil
        do {
            _ = try await client.create(node)
            logger.info("node registered", metadata: ["node": "\(configuration.nodeName)"])
        } catch {
            guard error.isAlreadyExists else { throw error }
            logger.info("node already registered; taking it over", metadata: ["node": "\(configuration.nodeName)"])
        }
        registered = true
    }

    private func currentStatus() async throws -> NodeStatus {
        let version = try await connection.runtime.version(Runtime_V1_VersionRequest(), options: RuntimeConnection.options(.seconds(10)))
        let runtimeStatus = try await connection.runtime.status(Runtime_V1_StatusRequest(), options: RuntimeConnection.options(.seconds(10)))
        let notReady = runtimeStatus.status.conditions.filter { !$0.status }
        let now = Time.now()
        let ready = notReady.isEmpty
            ? NodeCondition(type: "Ready", status: "True", lastHeartbeatTime: now, lastTransitionTime: now,
                            reason: "KubeletReady", message: "kubelet is posting ready status")
            : NodeCondition(type: "Ready", status: "False", lastHeartbeatTime: now, lastTransitionTime: now,
                            reason: "KubeletNotReady",
                            message: "container runtime not ready: " + notReady.map { "\($0.type)=false reason:\($0.reason) message:\($0.message)" }.joined(separator: ", "))
        let pressures = Set(await eviction.conditions)
        func pressure(_ type: String, _ underPressure: (reason: String, message: String), _ fine: (reason: String, message: String)) -> NodeCondition {
            let (reason, message) = pressures.contains(type) ? underPressure : fine
            return NodeCondition(type: type, status: pressures.contains(type) ? "True" : "False", lastHeartbeatTime: now, lastTransitionTime: now,
                                 reason: reason, message: message)
        }
        let conditions = [
            pressure("MemoryPressure", ("KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
                     ("KubeletHasSufficientMemory", "kubelet has sufficient memory available")),
            pressure("DiskPressure", ("KubeletHasDiskPressure", "kubelet has disk pressure"), ("KubeletHasNoDiskPressure", "kubelet has no disk pressure")),
            pressure("PIDPressure", ("KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
                     ("KubeletHasSufficientPID", "kubelet has sufficient PID available")),
            ready,
        ]
        let capacity = machine.capacity(maxPods: configuration.maxPods)
        var status = NodeStatus(capacity: capacity, allocatable: configuration.resourcePolicy.allocatable(capacity: capacity), conditions: conditions,
                                addresses: [NodeAddress(type: "InternalIP", address: nodeIP), NodeAddress(type: "Hostname", address: configuration.nodeName)])
        status.daemonEndpoints = NodeDaemonEndpoints(kubeletEndpoint: DaemonEndpoint(port: Int32(configuration.port)))
        // The runtime's handlers and what each supports, as 1.32's kubelet reports them (RecursiveReadOnlyMounts is on).
        // A runtime that lists none (containerd 1.6) leaves the field out.
        if !runtimeStatus.runtimeHandlers.isEmpty {
            status.runtimeHandlers = runtimeStatus.runtimeHandlers.map { handler in
                NodeRuntimeHandler(name: handler.name, features: NodeRuntimeHandlerFeatures(
                    recursiveReadOnlyMounts: handler.features.recursiveReadOnlyMounts, userNamespaces: handler.features.userNamespaces))
            }
        }
        status.nodeInfo = NodeSystemInfo(
            machineID: machine.machineID, systemUUID: machine.machineID, bootID: machine.bootID, kernelVersion: machine.kernelVersion,
            osImage: machine.osImage, containerRuntimeVersion: "\(version.runtimeName)://\(version.runtimeVersion)",
            kubeletVersion: KubeletVersion.gitVersion, kubeProxyVersion: KubeletVersion.gitVersion, operatingSystem: "linux",
            architecture: machine.architecture)
        return status
    }

    /// The status without heartbeat times, to decide whether anything changed.
    private static func comparable(_ status: NodeStatus) -> NodeStatus {
        var status = status
        status.conditions = status.conditions?.map { condition in
            var condition = condition
            condition.lastHeartbeatTime = nil
            condition.lastTransitionTime = nil
            return condition
        }
        return status
    }
}

/// The version the kubelet reports (nodeInfo.kubeletVersion), the Kubernetes API level it follows.
public enum KubeletVersion {
    public static let gitVersion = "v1.32.0-swiftlet"
}

extension Node {
    /// The Node as the kubelet's Events refer to it (upstream's `nodeRef`): its name, and the name again as its UID
    /// (`kubectl describe node` looks for both).
    static func kubeletReference(_ name: String) -> Node {
        Node(metadata: ObjectMeta(name: name, uid: name))
    }
}
