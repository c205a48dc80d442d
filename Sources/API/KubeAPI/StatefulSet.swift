import Foundation

/// apps/v1 `StatefulSet`: pods with stable names (`<name>-<ordinal>`), stable network identity and per-pod
/// storage, created, updated and deleted in ordinal order.
public struct StatefulSet: KubeObject {
    public static let resource = ResourceInfo(group: "apps", version: "v1", plural: "statefulsets", singular: "statefulset", kind: "StatefulSet", namespaced: true, shortNames: ["sts"], categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: StatefulSetSpec?
    public var status: StatefulSetStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: StatefulSetSpec? = nil, status: StatefulSetStatus? = nil) {
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
        spec = try c.decodeIfPresent(StatefulSetSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(StatefulSetStatus.self, forKey: .status)
    }
}

/// apps/v1 `StatefulSetSpec`.
public struct StatefulSetSpec: Codable, Sendable, Hashable {
    public var replicas: Int32?
    public var selector: LabelSelector?
    /// Required upstream (`json:"template"`), so it is always encoded.
    public var template: PodTemplateSpec
    /// Claims each pod gets, named `<claim>-<statefulset>-<ordinal>`.
    public var volumeClaimTemplates: [PersistentVolumeClaim]?
    public var serviceName: String?
    /// `OrderedReady` (default) or `Parallel`.
    public var podManagementPolicy: String?
    public var updateStrategy: StatefulSetUpdateStrategy?
    public var revisionHistoryLimit: Int32?
    public var minReadySeconds: Int32?
    public var persistentVolumeClaimRetentionPolicy: StatefulSetPersistentVolumeClaimRetentionPolicy?
    public var ordinals: StatefulSetOrdinals?

    public init(replicas: Int32? = nil, selector: LabelSelector? = nil, template: PodTemplateSpec = PodTemplateSpec(),
                volumeClaimTemplates: [PersistentVolumeClaim]? = nil, serviceName: String? = nil,
                podManagementPolicy: String? = nil, updateStrategy: StatefulSetUpdateStrategy? = nil,
                revisionHistoryLimit: Int32? = nil, minReadySeconds: Int32? = nil,
                persistentVolumeClaimRetentionPolicy: StatefulSetPersistentVolumeClaimRetentionPolicy? = nil,
                ordinals: StatefulSetOrdinals? = nil) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
        self.volumeClaimTemplates = volumeClaimTemplates
        self.serviceName = serviceName
        self.podManagementPolicy = podManagementPolicy
        self.updateStrategy = updateStrategy
        self.revisionHistoryLimit = revisionHistoryLimit
        self.minReadySeconds = minReadySeconds
        self.persistentVolumeClaimRetentionPolicy = persistentVolumeClaimRetentionPolicy
        self.ordinals = ordinals
    }

    enum CodingKeys: String, CodingKey {
        case replicas, selector, template, volumeClaimTemplates, serviceName, podManagementPolicy, updateStrategy
        case revisionHistoryLimit, minReadySeconds, persistentVolumeClaimRetentionPolicy, ordinals
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        replicas = try c.decodeIfPresent(Int32.self, forKey: .replicas)
        selector = try c.decodeIfPresent(LabelSelector.self, forKey: .selector)
        template = try c.decodeIfPresent(PodTemplateSpec.self, forKey: .template) ?? PodTemplateSpec()
        volumeClaimTemplates = try c.decodeIfPresent([PersistentVolumeClaim].self, forKey: .volumeClaimTemplates)
        serviceName = try c.decodeIfPresent(String.self, forKey: .serviceName)
        podManagementPolicy = try c.decodeIfPresent(String.self, forKey: .podManagementPolicy)
        updateStrategy = try c.decodeIfPresent(StatefulSetUpdateStrategy.self, forKey: .updateStrategy)
        revisionHistoryLimit = try c.decodeIfPresent(Int32.self, forKey: .revisionHistoryLimit)
        minReadySeconds = try c.decodeIfPresent(Int32.self, forKey: .minReadySeconds)
        persistentVolumeClaimRetentionPolicy = try c.decodeIfPresent(StatefulSetPersistentVolumeClaimRetentionPolicy.self, forKey: .persistentVolumeClaimRetentionPolicy)
        ordinals = try c.decodeIfPresent(StatefulSetOrdinals.self, forKey: .ordinals)
    }
}

/// apps/v1 `StatefulSetUpdateStrategy`: `RollingUpdate` (default) or `OnDelete`.
public struct StatefulSetUpdateStrategy: Codable, Sendable, Hashable {
    public var type: String?
    public var rollingUpdate: RollingUpdateStatefulSetStrategy?

    public init(type: String? = nil, rollingUpdate: RollingUpdateStatefulSetStrategy? = nil) {
        self.type = type
        self.rollingUpdate = rollingUpdate
    }
}

/// apps/v1 `RollingUpdateStatefulSetStrategy`: ordinals below `partition` keep the current revision.
public struct RollingUpdateStatefulSetStrategy: Codable, Sendable, Hashable {
    public var partition: Int32?
    public var maxUnavailable: IntOrString?

    public init(partition: Int32? = nil, maxUnavailable: IntOrString? = nil) {
        self.partition = partition
        self.maxUnavailable = maxUnavailable
    }
}

/// apps/v1 `StatefulSetPersistentVolumeClaimRetentionPolicy`: `Retain` or `Delete` for each case.
public struct StatefulSetPersistentVolumeClaimRetentionPolicy: Codable, Sendable, Hashable {
    public var whenDeleted: String?
    public var whenScaled: String?

    public init(whenDeleted: String? = nil, whenScaled: String? = nil) {
        self.whenDeleted = whenDeleted
        self.whenScaled = whenScaled
    }
}

/// apps/v1 `StatefulSetOrdinals`: the first ordinal (default 0).
public struct StatefulSetOrdinals: Codable, Sendable, Hashable {
    public var start: Int32?

    public init(start: Int32? = nil) { self.start = start }
}

/// apps/v1 `StatefulSetStatus`. `replicas` is required upstream, so it is always encoded.
public struct StatefulSetStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    public var replicas: Int32
    public var readyReplicas: Int32?
    public var currentReplicas: Int32?
    public var updatedReplicas: Int32?
    public var currentRevision: String?
    public var updateRevision: String?
    public var collisionCount: Int32?
    public var conditions: [StatefulSetCondition]?
    public var availableReplicas: Int32?

    public init(observedGeneration: Int64? = nil, replicas: Int32 = 0, readyReplicas: Int32? = nil, currentReplicas: Int32? = nil,
                updatedReplicas: Int32? = nil, currentRevision: String? = nil, updateRevision: String? = nil,
                collisionCount: Int32? = nil, conditions: [StatefulSetCondition]? = nil, availableReplicas: Int32? = nil) {
        self.observedGeneration = observedGeneration
        self.replicas = replicas
        self.readyReplicas = readyReplicas
        self.currentReplicas = currentReplicas
        self.updatedReplicas = updatedReplicas
        self.currentRevision = currentRevision
        self.updateRevision = updateRevision
        self.collisionCount = collisionCount
        self.conditions = conditions
        self.availableReplicas = availableReplicas
    }

    enum CodingKeys: String, CodingKey {
        case observedGeneration, replicas, readyReplicas, currentReplicas, updatedReplicas, currentRevision, updateRevision
        case collisionCount, conditions, availableReplicas
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        replicas = try c.decodeIfPresent(Int32.self, forKey: .replicas) ?? 0
        readyReplicas = try c.decodeIfPresent(Int32.self, forKey: .readyReplicas)
        currentReplicas = try c.decodeIfPresent(Int32.self, forKey: .currentReplicas)
        updatedReplicas = try c.decodeIfPresent(Int32.self, forKey: .updatedReplicas)
        currentRevision = try c.decodeIfPresent(String.self, forKey: .currentRevision)
        updateRevision = try c.decodeIfPresent(String.self, forKey: .updateRevision)
        collisionCount = try c.decodeIfPresent(Int32.self, forKey: .collisionCount)
        conditions = try c.decodeIfPresent([StatefulSetCondition].self, forKey: .conditions)
        availableReplicas = try c.decodeIfPresent(Int32.self, forKey: .availableReplicas)
    }
}

/// apps/v1 `StatefulSetCondition`.
public struct StatefulSetCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, lastTransitionTime: Time? = nil, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
