import Foundation

/// core/v1 `Pod`: a group of containers scheduled together onto one node.
public struct Pod: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: ["po"], categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: PodSpec? = nil, status: PodStatus? = nil) {
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
        spec = try c.decodeIfPresent(PodSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(PodStatus.self, forKey: .status)
    }
}

/// core/v1 `PodSpec`: what the pod runs and how it is placed.
public struct PodSpec: Codable, Sendable, Hashable {
    public var volumes: [Volume]?
    public var initContainers: [Container]?
    /// Required upstream (`json:"containers"`), so it is always encoded.
    public var containers: [Container]
    public var ephemeralContainers: [EphemeralContainer]?
    /// `Always`, `OnFailure` or `Never`.
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    /// `ClusterFirst`, `ClusterFirstWithHostNet`, `Default` or `None`.
    public var dnsPolicy: String?
    public var nodeSelector: [String: String]?
    public var serviceAccountName: String?
    /// Deprecated alias of `serviceAccountName`.
    public var serviceAccount: String?
    public var automountServiceAccountToken: Bool?
    public var nodeName: String?
    public var hostNetwork: Bool?
    public var hostPID: Bool?
    public var hostIPC: Bool?
    public var shareProcessNamespace: Bool?
    public var securityContext: PodSecurityContext?
    public var imagePullSecrets: [LocalObjectReference]?
    public var hostname: String?
    public var subdomain: String?
    @Boxed public var affinity: Affinity?
    public var schedulerName: String?
    public var tolerations: [Toleration]?
    public var hostAliases: [HostAlias]?
    public var priorityClassName: String?
    public var priority: Int32?
    @Boxed public var dnsConfig: PodDNSConfig?
    public var readinessGates: [PodReadinessGate]?
    public var runtimeClassName: String?
    public var enableServiceLinks: Bool?
    /// `PreemptLowerPriority` or `Never`.
    public var preemptionPolicy: String?
    public var overhead: [String: Quantity]?
    public var topologySpreadConstraints: [TopologySpreadConstraint]?
    public var setHostnameAsFQDN: Bool?
    public var os: PodOS?
    public var hostUsers: Bool?
    public var schedulingGates: [PodSchedulingGate]?
    public var resourceClaims: [PodResourceClaim]?
    /// Pod-level resource requests and limits.
    public var resources: ResourceRequirements?
    public var hostnameOverride: String?

    public init(
        volumes: [Volume]? = nil,
        initContainers: [Container]? = nil,
        containers: [Container] = [],
        ephemeralContainers: [EphemeralContainer]? = nil,
        restartPolicy: String? = nil,
        terminationGracePeriodSeconds: Int64? = nil,
        activeDeadlineSeconds: Int64? = nil,
        dnsPolicy: String? = nil,
        nodeSelector: [String: String]? = nil,
        serviceAccountName: String? = nil,
        serviceAccount: String? = nil,
        automountServiceAccountToken: Bool? = nil,
        nodeName: String? = nil,
        hostNetwork: Bool? = nil,
        hostPID: Bool? = nil,
        hostIPC: Bool? = nil,
        shareProcessNamespace: Bool? = nil,
        securityContext: PodSecurityContext? = nil,
        imagePullSecrets: [LocalObjectReference]? = nil,
        hostname: String? = nil,
        subdomain: String? = nil,
        affinity: Affinity? = nil,
        schedulerName: String? = nil,
        tolerations: [Toleration]? = nil,
        hostAliases: [HostAlias]? = nil,
        priorityClassName: String? = nil,
        priority: Int32? = nil,
        dnsConfig: PodDNSConfig? = nil,
        readinessGates: [PodReadinessGate]? = nil,
        runtimeClassName: String? = nil,
        enableServiceLinks: Bool? = nil,
        preemptionPolicy: String? = nil,
        overhead: [String: Quantity]? = nil,
        topologySpreadConstraints: [TopologySpreadConstraint]? = nil,
        setHostnameAsFQDN: Bool? = nil,
        os: PodOS? = nil,
        hostUsers: Bool? = nil,
        schedulingGates: [PodSchedulingGate]? = nil,
        resourceClaims: [PodResourceClaim]? = nil,
        resources: ResourceRequirements? = nil,
        hostnameOverride: String? = nil
    ) {
        self.volumes = volumes
        self.initContainers = initContainers
        self.containers = containers
        self.ephemeralContainers = ephemeralContainers
        self.restartPolicy = restartPolicy
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.activeDeadlineSeconds = activeDeadlineSeconds
        self.dnsPolicy = dnsPolicy
        self.nodeSelector = nodeSelector
        self.serviceAccountName = serviceAccountName
        self.serviceAccount = serviceAccount
        self.automountServiceAccountToken = automountServiceAccountToken
        self.nodeName = nodeName
        self.hostNetwork = hostNetwork
        self.hostPID = hostPID
        self.hostIPC = hostIPC
        self.shareProcessNamespace = shareProcessNamespace
        self.securityContext = securityContext
        self.imagePullSecrets = imagePullSecrets
        self.hostname = hostname
        self.subdomain = subdomain
        self.affinity = affinity
        self.schedulerName = schedulerName
        self.tolerations = tolerations
        self.hostAliases = hostAliases
        self.priorityClassName = priorityClassName
        self.priority = priority
        self.dnsConfig = dnsConfig
        self.readinessGates = readinessGates
        self.runtimeClassName = runtimeClassName
        self.enableServiceLinks = enableServiceLinks
        self.preemptionPolicy = preemptionPolicy
        self.overhead = overhead
        self.topologySpreadConstraints = topologySpreadConstraints
        self.setHostnameAsFQDN = setHostnameAsFQDN
        self.os = os
        self.hostUsers = hostUsers
        self.schedulingGates = schedulingGates
        self.resourceClaims = resourceClaims
        self.resources = resources
        self.hostnameOverride = hostnameOverride
    }

    enum CodingKeys: String, CodingKey { case volumes, initContainers, containers, ephemeralContainers, restartPolicy, terminationGracePeriodSeconds, activeDeadlineSeconds, dnsPolicy, nodeSelector, serviceAccountName, serviceAccount, automountServiceAccountToken, nodeName, hostNetwork, hostPID, hostIPC, shareProcessNamespace, securityContext, imagePullSecrets, hostname, subdomain, affinity, schedulerName, tolerations, hostAliases, priorityClassName, priority, dnsConfig, readinessGates, runtimeClassName, enableServiceLinks, preemptionPolicy, overhead, topologySpreadConstraints, setHostnameAsFQDN, os, hostUsers, schedulingGates, resourceClaims, resources, hostnameOverride }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        volumes = try c.decodeIfPresent([Volume].self, forKey: .volumes)
        initContainers = try c.decodeIfPresent([Container].self, forKey: .initContainers)
        containers = try c.decodeIfPresent([Container].self, forKey: .containers) ?? []
        ephemeralContainers = try c.decodeIfPresent([EphemeralContainer].self, forKey: .ephemeralContainers)
        restartPolicy = try c.decodeIfPresent(String.self, forKey: .restartPolicy)
        terminationGracePeriodSeconds = try c.decodeIfPresent(Int64.self, forKey: .terminationGracePeriodSeconds)
        activeDeadlineSeconds = try c.decodeIfPresent(Int64.self, forKey: .activeDeadlineSeconds)
        dnsPolicy = try c.decodeIfPresent(String.self, forKey: .dnsPolicy)
        nodeSelector = try c.decodeIfPresent([String: String].self, forKey: .nodeSelector)
        serviceAccountName = try c.decodeIfPresent(String.self, forKey: .serviceAccountName)
        serviceAccount = try c.decodeIfPresent(String.self, forKey: .serviceAccount)
        automountServiceAccountToken = try c.decodeIfPresent(Bool.self, forKey: .automountServiceAccountToken)
        nodeName = try c.decodeIfPresent(String.self, forKey: .nodeName)
        hostNetwork = try c.decodeIfPresent(Bool.self, forKey: .hostNetwork)
        hostPID = try c.decodeIfPresent(Bool.self, forKey: .hostPID)
        hostIPC = try c.decodeIfPresent(Bool.self, forKey: .hostIPC)
        shareProcessNamespace = try c.decodeIfPresent(Bool.self, forKey: .shareProcessNamespace)
        securityContext = try c.decodeIfPresent(PodSecurityContext.self, forKey: .securityContext)
        imagePullSecrets = try c.decodeIfPresent([LocalObjectReference].self, forKey: .imagePullSecrets)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        subdomain = try c.decodeIfPresent(String.self, forKey: .subdomain)
        affinity = try c.decodeIfPresent(Affinity.self, forKey: .affinity)
        schedulerName = try c.decodeIfPresent(String.self, forKey: .schedulerName)
        tolerations = try c.decodeIfPresent([Toleration].self, forKey: .tolerations)
        hostAliases = try c.decodeIfPresent([HostAlias].self, forKey: .hostAliases)
        priorityClassName = try c.decodeIfPresent(String.self, forKey: .priorityClassName)
        priority = try c.decodeIfPresent(Int32.self, forKey: .priority)
        dnsConfig = try c.decodeIfPresent(PodDNSConfig.self, forKey: .dnsConfig)
        readinessGates = try c.decodeIfPresent([PodReadinessGate].self, forKey: .readinessGates)
        runtimeClassName = try c.decodeIfPresent(String.self, forKey: .runtimeClassName)
        enableServiceLinks = try c.decodeIfPresent(Bool.self, forKey: .enableServiceLinks)
        preemptionPolicy = try c.decodeIfPresent(String.self, forKey: .preemptionPolicy)
        overhead = try c.decodeIfPresent([String: Quantity].self, forKey: .overhead)
        topologySpreadConstraints = try c.decodeIfPresent([TopologySpreadConstraint].self, forKey: .topologySpreadConstraints)
        setHostnameAsFQDN = try c.decodeIfPresent(Bool.self, forKey: .setHostnameAsFQDN)
        os = try c.decodeIfPresent(PodOS.self, forKey: .os)
        hostUsers = try c.decodeIfPresent(Bool.self, forKey: .hostUsers)
        schedulingGates = try c.decodeIfPresent([PodSchedulingGate].self, forKey: .schedulingGates)
        resourceClaims = try c.decodeIfPresent([PodResourceClaim].self, forKey: .resourceClaims)
        resources = try c.decodeIfPresent(ResourceRequirements.self, forKey: .resources)
        hostnameOverride = try c.decodeIfPresent(String.self, forKey: .hostnameOverride)
    }
}

/// core/v1 `HostAlias`: an extra `/etc/hosts` entry.
public struct HostAlias: Codable, Sendable, Hashable {
    public var ip: String
    public var hostnames: [String]?

    public init(ip: String, hostnames: [String]? = nil) {
        self.ip = ip
        self.hostnames = hostnames
    }

    enum CodingKeys: String, CodingKey { case ip, hostnames }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ip = try c.decodeIfPresent(String.self, forKey: .ip) ?? ""
        hostnames = try c.decodeIfPresent([String].self, forKey: .hostnames)
    }
}

/// core/v1 `PodDNSConfig`: resolver settings merged into the pod's `resolv.conf`.
public struct PodDNSConfig: Codable, Sendable, Hashable {
    public var nameservers: [String]?
    public var searches: [String]?
    public var options: [PodDNSConfigOption]?

    public init(nameservers: [String]? = nil, searches: [String]? = nil, options: [PodDNSConfigOption]? = nil) {
        self.nameservers = nameservers
        self.searches = searches
        self.options = options
    }
}

/// core/v1 `PodDNSConfigOption`: one `options` entry of `resolv.conf`.
public struct PodDNSConfigOption: Codable, Sendable, Hashable {
    public var name: String?
    public var value: String?

    public init(name: String? = nil, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// core/v1 `PodReadinessGate`: an extra condition that must be true for the pod to be ready.
public struct PodReadinessGate: Codable, Sendable, Hashable {
    public var conditionType: String

    public init(conditionType: String) {
        self.conditionType = conditionType
    }

    enum CodingKeys: String, CodingKey { case conditionType }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conditionType = try c.decodeIfPresent(String.self, forKey: .conditionType) ?? ""
    }
}

/// core/v1 `PodOS`: the operating system the pod needs (`linux`, `windows`).
public struct PodOS: Codable, Sendable, Hashable {
    public var name: String

    public init(name: String) {
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
    }
}

/// core/v1 `PodSchedulingGate`: while any gate remains the scheduler leaves the pod alone.
public struct PodSchedulingGate: Codable, Sendable, Hashable {
    public var name: String

    public init(name: String) {
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
    }
}

/// core/v1 `PodResourceClaim`: a dynamic-resource-allocation claim the pod's containers may use.
public struct PodResourceClaim: Codable, Sendable, Hashable {
    public var name: String
    public var resourceClaimName: String?
    public var resourceClaimTemplateName: String?

    public init(name: String, resourceClaimName: String? = nil, resourceClaimTemplateName: String? = nil) {
        self.name = name
        self.resourceClaimName = resourceClaimName
        self.resourceClaimTemplateName = resourceClaimTemplateName
    }

    enum CodingKeys: String, CodingKey { case name, resourceClaimName, resourceClaimTemplateName }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        resourceClaimName = try c.decodeIfPresent(String.self, forKey: .resourceClaimName)
        resourceClaimTemplateName = try c.decodeIfPresent(String.self, forKey: .resourceClaimTemplateName)
    }
}

/// core/v1 `PodStatus`: what the kubelet observed about the pod.
public struct PodStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    public var conditions: [PodCondition]?
    public var message: String?
    public var reason: String?
    public var nominatedNodeName: String?
    public var hostIP: String?
    public var hostIPs: [HostIP]?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: Time?
    public var initContainerStatuses: [ContainerStatus]?
    public var containerStatuses: [ContainerStatus]?
    /// `Guaranteed`, `Burstable` or `BestEffort`.
    public var qosClass: String?
    public var ephemeralContainerStatuses: [ContainerStatus]?
    public var resize: String?
    public var resourceClaimStatuses: [PodResourceClaimStatus]?
    @Boxed public var extendedResourceClaimStatus: JSONValue?

    public init(
        observedGeneration: Int64? = nil,
        phase: String? = nil,
        conditions: [PodCondition]? = nil,
        message: String? = nil,
        reason: String? = nil,
        nominatedNodeName: String? = nil,
        hostIP: String? = nil,
        hostIPs: [HostIP]? = nil,
        podIP: String? = nil,
        podIPs: [PodIP]? = nil,
        startTime: Time? = nil,
        initContainerStatuses: [ContainerStatus]? = nil,
        containerStatuses: [ContainerStatus]? = nil,
        qosClass: String? = nil,
        ephemeralContainerStatuses: [ContainerStatus]? = nil,
        resize: String? = nil,
        resourceClaimStatuses: [PodResourceClaimStatus]? = nil,
        extendedResourceClaimStatus: JSONValue? = nil
    ) {
        self.observedGeneration = observedGeneration
        self.phase = phase
        self.conditions = conditions
        self.message = message
        self.reason = reason
        self.nominatedNodeName = nominatedNodeName
        self.hostIP = hostIP
        self.hostIPs = hostIPs
        self.podIP = podIP
        self.podIPs = podIPs
        self.startTime = startTime
        self.initContainerStatuses = initContainerStatuses
        self.containerStatuses = containerStatuses
        self.qosClass = qosClass
        self.ephemeralContainerStatuses = ephemeralContainerStatuses
        self.resize = resize
        self.resourceClaimStatuses = resourceClaimStatuses
        self.extendedResourceClaimStatus = extendedResourceClaimStatus
    }
}

/// core/v1 `PodCondition`: `PodScheduled`, `Initialized`, `ContainersReady`, `Ready`, … with `True`/`False`/`Unknown`.
public struct PodCondition: Codable, Sendable, Hashable {
    public var type: String
    public var observedGeneration: Int64?
    public var status: String
    public var lastProbeTime: Time?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(
        type: String,
        observedGeneration: Int64? = nil,
        status: String,
        lastProbeTime: Time? = nil,
        lastTransitionTime: Time? = nil,
        reason: String? = nil,
        message: String? = nil
    ) {
        self.type = type
        self.observedGeneration = observedGeneration
        self.status = status
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case type, observedGeneration, status, lastProbeTime, lastTransitionTime, reason, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        lastProbeTime = try c.decodeIfPresent(Time.self, forKey: .lastProbeTime)
        lastTransitionTime = try c.decodeIfPresent(Time.self, forKey: .lastTransitionTime)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        message = try c.decodeIfPresent(String.self, forKey: .message)
    }
}

/// core/v1 `HostIP`: one IP address of the pod's node.
public struct HostIP: Codable, Sendable, Hashable {
    public var ip: String

    public init(ip: String) {
        self.ip = ip
    }

    enum CodingKeys: String, CodingKey { case ip }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ip = try c.decodeIfPresent(String.self, forKey: .ip) ?? ""
    }
}

/// core/v1 `PodIP`: one IP address of the pod (one per family).
public struct PodIP: Codable, Sendable, Hashable {
    public var ip: String

    public init(ip: String) {
        self.ip = ip
    }

    enum CodingKeys: String, CodingKey { case ip }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ip = try c.decodeIfPresent(String.self, forKey: .ip) ?? ""
    }
}

/// core/v1 `PodResourceClaimStatus`: the ResourceClaim generated for a pod's claim template.
public struct PodResourceClaimStatus: Codable, Sendable, Hashable {
    public var name: String
    public var resourceClaimName: String?

    public init(name: String, resourceClaimName: String? = nil) {
        self.name = name
        self.resourceClaimName = resourceClaimName
    }

    enum CodingKeys: String, CodingKey { case name, resourceClaimName }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        resourceClaimName = try c.decodeIfPresent(String.self, forKey: .resourceClaimName)
    }
}

/// core/v1 `ContainerStatus`: the state of one container as the kubelet last saw it.
public struct ContainerStatus: Codable, Sendable, Hashable {
    public var name: String
    public var state: ContainerState?
    public var lastState: ContainerState?
    public var ready: Bool
    public var restartCount: Int32
    public var image: String
    public var imageID: String
    /// `<runtime>://<id>`, e.g. `containerd://4f1c…`.
    public var containerID: String?
    public var started: Bool?
    public var allocatedResources: [String: Quantity]?
    public var resources: ResourceRequirements?
    public var volumeMounts: [VolumeMountStatus]?
    public var user: ContainerUser?
    public var allocatedResourcesStatus: [ResourceStatus]?
    public var stopSignal: String?

    public init(
        name: String,
        state: ContainerState? = nil,
        lastState: ContainerState? = nil,
        ready: Bool = false,
        restartCount: Int32 = 0,
        image: String = "",
        imageID: String = "",
        containerID: String? = nil,
        started: Bool? = nil,
        allocatedResources: [String: Quantity]? = nil,
        resources: ResourceRequirements? = nil,
        volumeMounts: [VolumeMountStatus]? = nil,
        user: ContainerUser? = nil,
        allocatedResourcesStatus: [ResourceStatus]? = nil,
        stopSignal: String? = nil
    ) {
        self.name = name
        self.state = state
        self.lastState = lastState
        self.ready = ready
        self.restartCount = restartCount
        self.image = image
        self.imageID = imageID
        self.containerID = containerID
        self.started = started
        self.allocatedResources = allocatedResources
        self.resources = resources
        self.volumeMounts = volumeMounts
        self.user = user
        self.allocatedResourcesStatus = allocatedResourcesStatus
        self.stopSignal = stopSignal
    }

    enum CodingKeys: String, CodingKey { case name, state, lastState, ready, restartCount, image, imageID, containerID, started, allocatedResources, resources, volumeMounts, user, allocatedResourcesStatus, stopSignal }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        state = try c.decodeIfPresent(ContainerState.self, forKey: .state)
        lastState = try c.decodeIfPresent(ContainerState.self, forKey: .lastState)
        ready = try c.decodeIfPresent(Bool.self, forKey: .ready) ?? false
        restartCount = try c.decodeIfPresent(Int32.self, forKey: .restartCount) ?? 0
        image = try c.decodeIfPresent(String.self, forKey: .image) ?? ""
        imageID = try c.decodeIfPresent(String.self, forKey: .imageID) ?? ""
        containerID = try c.decodeIfPresent(String.self, forKey: .containerID)
        started = try c.decodeIfPresent(Bool.self, forKey: .started)
        allocatedResources = try c.decodeIfPresent([String: Quantity].self, forKey: .allocatedResources)
        resources = try c.decodeIfPresent(ResourceRequirements.self, forKey: .resources)
        volumeMounts = try c.decodeIfPresent([VolumeMountStatus].self, forKey: .volumeMounts)
        user = try c.decodeIfPresent(ContainerUser.self, forKey: .user)
        allocatedResourcesStatus = try c.decodeIfPresent([ResourceStatus].self, forKey: .allocatedResourcesStatus)
        stopSignal = try c.decodeIfPresent(String.self, forKey: .stopSignal)
    }
}

/// core/v1 `ContainerState`: exactly one of waiting, running or terminated is set.
public struct ContainerState: Codable, Sendable, Hashable {
    public var waiting: ContainerStateWaiting?
    public var running: ContainerStateRunning?
    @Boxed public var terminated: ContainerStateTerminated?

    public init(waiting: ContainerStateWaiting? = nil, running: ContainerStateRunning? = nil, terminated: ContainerStateTerminated? = nil) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }
}

/// core/v1 `ContainerStateWaiting`: why the container is not running yet (`ContainerCreating`, `CrashLoopBackOff`, `ImagePullBackOff`, …).
public struct ContainerStateWaiting: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?

    public init(reason: String? = nil, message: String? = nil) {
        self.reason = reason
        self.message = message
    }
}

/// core/v1 `ContainerStateRunning`.
public struct ContainerStateRunning: Codable, Sendable, Hashable {
    public var startedAt: Time?

    public init(startedAt: Time? = nil) {
        self.startedAt = startedAt
    }
}

/// core/v1 `ContainerStateTerminated`: how the container ended.
public struct ContainerStateTerminated: Codable, Sendable, Hashable {
    public var exitCode: Int32
    public var signal: Int32?
    public var reason: String?
    public var message: String?
    public var startedAt: Time?
    public var finishedAt: Time?
    public var containerID: String?

    public init(
        exitCode: Int32,
        signal: Int32? = nil,
        reason: String? = nil,
        message: String? = nil,
        startedAt: Time? = nil,
        finishedAt: Time? = nil,
        containerID: String? = nil
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.containerID = containerID
    }

    enum CodingKeys: String, CodingKey { case exitCode, signal, reason, message, startedAt, finishedAt, containerID }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        exitCode = try c.decodeIfPresent(Int32.self, forKey: .exitCode) ?? 0
        signal = try c.decodeIfPresent(Int32.self, forKey: .signal)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        startedAt = try c.decodeIfPresent(Time.self, forKey: .startedAt)
        finishedAt = try c.decodeIfPresent(Time.self, forKey: .finishedAt)
        containerID = try c.decodeIfPresent(String.self, forKey: .containerID)
    }
}

/// core/v1 `VolumeMountStatus`: a mount as the runtime made it.
public struct VolumeMountStatus: Codable, Sendable, Hashable {
    public var name: String
    public var mountPath: String
    public var readOnly: Bool?
    public var recursiveReadOnly: String?

    public init(
        name: String,
        mountPath: String,
        readOnly: Bool? = nil,
        recursiveReadOnly: String? = nil
    ) {
        self.name = name
        self.mountPath = mountPath
        self.readOnly = readOnly
        self.recursiveReadOnly = recursiveReadOnly
    }

    enum CodingKeys: String, CodingKey { case name, mountPath, readOnly, recursiveReadOnly }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        mountPath = try c.decodeIfPresent(String.self, forKey: .mountPath) ?? ""
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly)
        recursiveReadOnly = try c.decodeIfPresent(String.self, forKey: .recursiveReadOnly)
    }
}

/// core/v1 `ContainerUser`: the identity the container's first process runs as.
public struct ContainerUser: Codable, Sendable, Hashable {
    public var linux: LinuxContainerUser?

    public init(linux: LinuxContainerUser? = nil) {
        self.linux = linux
    }
}

/// core/v1 `LinuxContainerUser`.
public struct LinuxContainerUser: Codable, Sendable, Hashable {
    public var uid: Int64
    public var gid: Int64
    public var supplementalGroups: [Int64]?

    public init(uid: Int64, gid: Int64, supplementalGroups: [Int64]? = nil) {
        self.uid = uid
        self.gid = gid
        self.supplementalGroups = supplementalGroups
    }

    enum CodingKeys: String, CodingKey { case uid, gid, supplementalGroups }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uid = try c.decodeIfPresent(Int64.self, forKey: .uid) ?? 0
        gid = try c.decodeIfPresent(Int64.self, forKey: .gid) ?? 0
        supplementalGroups = try c.decodeIfPresent([Int64].self, forKey: .supplementalGroups)
    }
}

/// core/v1 `ResourceStatus`: health of the devices behind one resource.
public struct ResourceStatus: Codable, Sendable, Hashable {
    public var name: String
    public var resources: [ResourceHealth]?

    public init(name: String, resources: [ResourceHealth]? = nil) {
        self.name = name
        self.resources = resources
    }

    enum CodingKeys: String, CodingKey { case name, resources }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        resources = try c.decodeIfPresent([ResourceHealth].self, forKey: .resources)
    }
}

/// core/v1 `ResourceHealth`: `Healthy`, `Unhealthy` or `Unknown` for one device.
public struct ResourceHealth: Codable, Sendable, Hashable {
    public var resourceID: String
    public var health: String?

    public init(resourceID: String, health: String? = nil) {
        self.resourceID = resourceID
        self.health = health
    }

    enum CodingKeys: String, CodingKey { case resourceID, health }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        resourceID = try c.decodeIfPresent(String.self, forKey: .resourceID) ?? ""
        health = try c.decodeIfPresent(String.self, forKey: .health)
    }
}
