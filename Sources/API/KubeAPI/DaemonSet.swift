import Foundation

/// apps/v1 `DaemonSet`: one pod on every eligible node.
public struct DaemonSet: KubeObject {
    public static let resource = ResourceInfo(group: "apps", version: "v1", plural: "daemonsets", singular: "daemonset", kind: "DaemonSet", namespaced: true, shortNames: ["ds"], categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: DaemonSetSpec?
    public var status: DaemonSetStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: DaemonSetSpec? = nil, status: DaemonSetStatus? = nil) {
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
        spec = try c.decodeIfPresent(DaemonSetSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(DaemonSetStatus.self, forKey: .status)
    }
}

/// apps/v1 `DaemonSetSpec`.
public struct DaemonSetSpec: Codable, Sendable, Hashable {
    public var selector: LabelSelector?
    /// Required upstream (`json:"template"`), so it is always encoded.
    public var template: PodTemplateSpec
    public var updateStrategy: DaemonSetUpdateStrategy?
    public var minReadySeconds: Int32?
    public var revisionHistoryLimit: Int32?

    public init(
        selector: LabelSelector? = nil,
        template: PodTemplateSpec = PodTemplateSpec(),
        updateStrategy: DaemonSetUpdateStrategy? = nil,
        minReadySeconds: Int32? = nil,
        revisionHistoryLimit: Int32? = nil
    ) {
        self.selector = selector
        self.template = template
        self.updateStrategy = updateStrategy
        self.minReadySeconds = minReadySeconds
        self.revisionHistoryLimit = revisionHistoryLimit
    }

    enum CodingKeys: String, CodingKey { case selector, template, updateStrategy, minReadySeconds, revisionHistoryLimit }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        selector = try c.decodeIfPresent(LabelSelector.self, forKey: .selector)
        template = try c.decodeIfPresent(PodTemplateSpec.self, forKey: .template) ?? PodTemplateSpec()
        updateStrategy = try c.decodeIfPresent(DaemonSetUpdateStrategy.self, forKey: .updateStrategy)
        minReadySeconds = try c.decodeIfPresent(Int32.self, forKey: .minReadySeconds)
        revisionHistoryLimit = try c.decodeIfPresent(Int32.self, forKey: .revisionHistoryLimit)
    }
}

/// apps/v1 `DaemonSetUpdateStrategy`: `RollingUpdate` (default) or `OnDelete`.
public struct DaemonSetUpdateStrategy: Codable, Sendable, Hashable {
    public var type: String?
    public var rollingUpdate: RollingUpdateDaemonSet?

    public init(type: String? = nil, rollingUpdate: RollingUpdateDaemonSet? = nil) {
        self.type = type
        self.rollingUpdate = rollingUpdate
    }
}

/// apps/v1 `RollingUpdateDaemonSet`.
public struct RollingUpdateDaemonSet: Codable, Sendable, Hashable {
    public var maxUnavailable: IntOrString?
    public var maxSurge: IntOrString?

    public init(maxUnavailable: IntOrString? = nil, maxSurge: IntOrString? = nil) {
        self.maxUnavailable = maxUnavailable
        self.maxSurge = maxSurge
    }
}

/// apps/v1 `DaemonSetStatus`. The first four counters are required upstream, so they are always encoded.
public struct DaemonSetStatus: Codable, Sendable, Hashable {
    public var currentNumberScheduled: Int32
    public var numberMisscheduled: Int32
    public var desiredNumberScheduled: Int32
    public var numberReady: Int32
    public var observedGeneration: Int64?
    public var updatedNumberScheduled: Int32?
    public var numberAvailable: Int32?
    public var numberUnavailable: Int32?
    public var collisionCount: Int32?
    public var conditions: [DaemonSetCondition]?

    public init(
        currentNumberScheduled: Int32 = 0,
        numberMisscheduled: Int32 = 0,
        desiredNumberScheduled: Int32 = 0,
        numberReady: Int32 = 0,
        observedGeneration: Int64? = nil,
        updatedNumberScheduled: Int32? = nil,
        numberAvailable: Int32? = nil,
        numberUnavailable: Int32? = nil,
        collisionCount: Int32? = nil,
        conditions: [DaemonSetCondition]? = nil
    ) {
        self.currentNumberScheduled = currentNumberScheduled
        self.numberMisscheduled = numberMisscheduled
        self.desiredNumberScheduled = desiredNumberScheduled
        self.numberReady = numberReady
        self.observedGeneration = observedGeneration
        self.updatedNumberScheduled = updatedNumberScheduled
        self.numberAvailable = numberAvailable
        self.numberUnavailable = numberUnavailable
        self.collisionCount = collisionCount
        self.conditions = conditions
    }

    enum CodingKeys: String, CodingKey { case currentNumberScheduled, numberMisscheduled, desiredNumberScheduled, numberReady, observedGeneration, updatedNumberScheduled, numberAvailable, numberUnavailable, collisionCount, conditions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        currentNumberScheduled = try c.decodeIfPresent(Int32.self, forKey: .currentNumberScheduled) ?? 0
        numberMisscheduled = try c.decodeIfPresent(Int32.self, forKey: .numberMisscheduled) ?? 0
        desiredNumberScheduled = try c.decodeIfPresent(Int32.self, forKey: .desiredNumberScheduled) ?? 0
        numberReady = try c.decodeIfPresent(Int32.self, forKey: .numberReady) ?? 0
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        updatedNumberScheduled = try c.decodeIfPresent(Int32.self, forKey: .updatedNumberScheduled)
        numberAvailable = try c.decodeIfPresent(Int32.self, forKey: .numberAvailable)
        numberUnavailable = try c.decodeIfPresent(Int32.self, forKey: .numberUnavailable)
        collisionCount = try c.decodeIfPresent(Int32.self, forKey: .collisionCount)
        conditions = try c.decodeIfPresent([DaemonSetCondition].self, forKey: .conditions)
    }
}

/// apps/v1 `DaemonSetCondition`.
public struct DaemonSetCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(
        type: String,
        status: String,
        lastTransitionTime: Time? = nil,
        reason: String? = nil,
        message: String? = nil
    ) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case type, status, lastTransitionTime, reason, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? ""
        lastTransitionTime = try c.decodeIfPresent(Time.self, forKey: .lastTransitionTime)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        message = try c.decodeIfPresent(String.self, forKey: .message)
    }
}
