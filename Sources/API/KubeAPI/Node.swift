import Foundation

/// core/v1 `Node`: a machine that runs pods, registered and kept fresh by its kubelet.
public struct Node: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "nodes", singular: "node", kind: "Node", namespaced: false, shortNames: ["no"])
    /// The well-known label naming a node's zone (topology-aware routing, zone spreading).
    public static let zoneLabel = "topology.kubernetes.io/zone"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NodeSpec?
    public var status: NodeStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(NodeSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(NodeStatus.self, forKey: .status)
    }
}

/// core/v1 `NodeSpec`.
public struct NodeSpec: Codable, Sendable, Hashable {
    public var podCIDR: String?
    public var podCIDRs: [String]?
    public var providerID: String?
    public var unschedulable: Bool?
    public var taints: [Taint]?
    /// Deprecated dynamic kubelet config source, kept as raw JSON.
    public var configSource: JSONValue?
    public var externalID: String?

    public init(
        podCIDR: String? = nil,
        podCIDRs: [String]? = nil,
        providerID: String? = nil,
        unschedulable: Bool? = nil,
        taints: [Taint]? = nil,
        configSource: JSONValue? = nil,
        externalID: String? = nil
    ) {
        self.podCIDR = podCIDR
        self.podCIDRs = podCIDRs
        self.providerID = providerID
        self.unschedulable = unschedulable
        self.taints = taints
        self.configSource = configSource
        self.externalID = externalID
    }
}

/// core/v1 `Taint`: repels pods that do not tolerate it (`NoSchedule`, `PreferNoSchedule`, `NoExecute`).
public struct Taint: Codable, Sendable, Hashable {
    public var key: String
    public var value: String?
    public var effect: String
    public var timeAdded: Time?

    public init(
        key: String,
        value: String? = nil,
        effect: String,
        timeAdded: Time? = nil
    ) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }

    enum CodingKeys: String, CodingKey { case key, value, effect, timeAdded }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        value = try c.decodeIfPresent(String.self, forKey: .value)
        effect = try c.decodeIfPresent(String.self, forKey: .effect) ?? ""
        timeAdded = try c.decodeIfPresent(Time.self, forKey: .timeAdded)
    }
}

/// core/v1 `NodeStatus`: capacity, health and identity reported by the kubelet.
public struct NodeStatus: Codable, Sendable, Hashable {
    public var capacity: [String: Quantity]?
    public var allocatable: [String: Quantity]?
    public var phase: String?
    public var conditions: [NodeCondition]?
    public var addresses: [NodeAddress]?
    public var daemonEndpoints: NodeDaemonEndpoints?
    public var nodeInfo: NodeSystemInfo?
    public var images: [ContainerImage]?
    public var volumesInUse: [String]?
    public var volumesAttached: [AttachedVolume]?
    /// The dynamic kubelet config status, kept as raw JSON.
    public var config: JSONValue?
    public var runtimeHandlers: [NodeRuntimeHandler]?
    public var features: NodeFeatures?
    public var declaredFeatures: [String]?

    public init(
        capacity: [String: Quantity]? = nil,
        allocatable: [String: Quantity]? = nil,
        phase: String? = nil,
        conditions: [NodeCondition]? = nil,
        addresses: [NodeAddress]? = nil,
        daemonEndpoints: NodeDaemonEndpoints? = nil,
        nodeInfo: NodeSystemInfo? = nil,
        images: [ContainerImage]? = nil,
        volumesInUse: [String]? = nil,
        volumesAttached: [AttachedVolume]? = nil,
        config: JSONValue? = nil,
        runtimeHandlers: [NodeRuntimeHandler]? = nil,
        features: NodeFeatures? = nil,
        declaredFeatures: [String]? = nil
    ) {
        self.capacity = capacity
        self.allocatable = allocatable
        self.phase = phase
        self.conditions = conditions
        self.addresses = addresses
        self.daemonEndpoints = daemonEndpoints
        self.nodeInfo = nodeInfo
        self.images = images
        self.volumesInUse = volumesInUse
        self.volumesAttached = volumesAttached
        self.config = config
        self.runtimeHandlers = runtimeHandlers
        self.features = features
        self.declaredFeatures = declaredFeatures
    }
}

/// core/v1 `NodeCondition`: `Ready`, `MemoryPressure`, `DiskPressure`, `PIDPressure`, `NetworkUnavailable`.
public struct NodeCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastHeartbeatTime: Time?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(
        type: String,
        status: String,
        lastHeartbeatTime: Time? = nil,
        lastTransitionTime: Time? = nil,
        reason: String? = nil,
        message: String? = nil
    ) {
        self.type = type
        self.status = status
        self.lastHeartbeatTime = lastHeartbeatTime
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case type, status, lastHeartbeatTime, lastTransitionTime, reason, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        lastHeartbeatTime = try c.decodeIfPresent(Time.self, forKey: .lastHeartbeatTime)
        lastTransitionTime = try c.decodeIfPresent(Time.self, forKey: .lastTransitionTime)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        message = try c.decodeIfPresent(String.self, forKey: .message)
    }
}

/// core/v1 `NodeAddress`: `Hostname`, `InternalIP`, `ExternalIP`, …
public struct NodeAddress: Codable, Sendable, Hashable {
    public var type: String
    public var address: String

    public init(type: String, address: String) {
        self.type = type
        self.address = address
    }

    enum CodingKeys: String, CodingKey { case type, address }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        address = try c.decodeIfPresent(String.self, forKey: .address) ?? ""
    }
}

/// core/v1 `NodeDaemonEndpoints`.
public struct NodeDaemonEndpoints: Codable, Sendable, Hashable {
    public var kubeletEndpoint: DaemonEndpoint?

    public init(kubeletEndpoint: DaemonEndpoint? = nil) {
        self.kubeletEndpoint = kubeletEndpoint
    }
}

/// core/v1 `DaemonEndpoint`. Its JSON field is capitalised (`Port`) upstream.
public struct DaemonEndpoint: Codable, Sendable, Hashable {
    public var port: Int32

    public init(port: Int32) {
        self.port = port
    }

    enum CodingKeys: String, CodingKey { case port = "Port" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        port = try c.decodeIfPresent(Int32.self, forKey: .port) ?? 0
    }
}

/// core/v1 `NodeSystemInfo`: what `kubectl get nodes -o wide` shows.
public struct NodeSystemInfo: Codable, Sendable, Hashable {
    public var machineID: String
    public var systemUUID: String
    public var bootID: String
    public var kernelVersion: String
    public var osImage: String
    public var containerRuntimeVersion: String
    public var kubeletVersion: String
    public var kubeProxyVersion: String
    public var operatingSystem: String
    public var architecture: String
    public var swap: NodeSwapStatus?

    public init(
        machineID: String = "",
        systemUUID: String = "",
        bootID: String = "",
        kernelVersion: String = "",
        osImage: String = "",
        containerRuntimeVersion: String = "",
        kubeletVersion: String = "",
        kubeProxyVersion: String = "",
        operatingSystem: String = "",
        architecture: String = "",
        swap: NodeSwapStatus? = nil
    ) {
        self.machineID = machineID
        self.systemUUID = systemUUID
        self.bootID = bootID
        self.kernelVersion = kernelVersion
        self.osImage = osImage
        self.containerRuntimeVersion = containerRuntimeVersion
        self.kubeletVersion = kubeletVersion
        self.kubeProxyVersion = kubeProxyVersion
        self.operatingSystem = operatingSystem
        self.architecture = architecture
        self.swap = swap
    }

    enum CodingKeys: String, CodingKey { case machineID, systemUUID, bootID, kernelVersion, osImage, containerRuntimeVersion, kubeletVersion, kubeProxyVersion, operatingSystem, architecture, swap }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        machineID = try c.decodeIfPresent(String.self, forKey: .machineID) ?? ""
        systemUUID = try c.decodeIfPresent(String.self, forKey: .systemUUID) ?? ""
        bootID = try c.decodeIfPresent(String.self, forKey: .bootID) ?? ""
        kernelVersion = try c.decodeIfPresent(String.self, forKey: .kernelVersion) ?? ""
        osImage = try c.decodeIfPresent(String.self, forKey: .osImage) ?? ""
        containerRuntimeVersion = try c.decodeIfPresent(String.self, forKey: .containerRuntimeVersion) ?? ""
        kubeletVersion = try c.decodeIfPresent(String.self, forKey: .kubeletVersion) ?? ""
        kubeProxyVersion = try c.decodeIfPresent(String.self, forKey: .kubeProxyVersion) ?? ""
        operatingSystem = try c.decodeIfPresent(String.self, forKey: .operatingSystem) ?? ""
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? ""
        swap = try c.decodeIfPresent(NodeSwapStatus.self, forKey: .swap)
    }
}

/// core/v1 `NodeSwapStatus`.
public struct NodeSwapStatus: Codable, Sendable, Hashable {
    public var capacity: Int64?

    public init(capacity: Int64? = nil) {
        self.capacity = capacity
    }
}

/// core/v1 `ContainerImage`: an image present on the node.
public struct ContainerImage: Codable, Sendable, Hashable {
    public var names: [String]?
    public var sizeBytes: Int64?

    public init(names: [String]? = nil, sizeBytes: Int64? = nil) {
        self.names = names
        self.sizeBytes = sizeBytes
    }
}

/// core/v1 `AttachedVolume`.
public struct AttachedVolume: Codable, Sendable, Hashable {
    public var name: String
    public var devicePath: String

    public init(name: String, devicePath: String) {
        self.name = name
        self.devicePath = devicePath
    }

    enum CodingKeys: String, CodingKey { case name, devicePath }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        devicePath = try c.decodeIfPresent(String.self, forKey: .devicePath) ?? ""
    }
}

/// core/v1 `NodeRuntimeHandler`: a runtime handler (RuntimeClass) and what it supports.
public struct NodeRuntimeHandler: Codable, Sendable, Hashable {
    public var name: String?
    public var features: NodeRuntimeHandlerFeatures?

    public init(name: String? = nil, features: NodeRuntimeHandlerFeatures? = nil) {
        self.name = name
        self.features = features
    }
}

/// core/v1 `NodeRuntimeHandlerFeatures`.
public struct NodeRuntimeHandlerFeatures: Codable, Sendable, Hashable {
    public var recursiveReadOnlyMounts: Bool?
    public var userNamespaces: Bool?

    public init(recursiveReadOnlyMounts: Bool? = nil, userNamespaces: Bool? = nil) {
        self.recursiveReadOnlyMounts = recursiveReadOnlyMounts
        self.userNamespaces = userNamespaces
    }
}

/// core/v1 `NodeFeatures`.
public struct NodeFeatures: Codable, Sendable, Hashable {
    public var supplementalGroupsPolicy: Bool?

    public init(supplementalGroupsPolicy: Bool? = nil) {
        self.supplementalGroupsPolicy = supplementalGroupsPolicy
    }
}
