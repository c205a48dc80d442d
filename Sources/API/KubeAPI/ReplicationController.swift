import Foundation

/// core/v1 `ReplicationController`: the original form of a ReplicaSet, keeping `spec.replicas` pods of a template
/// running, with an equality-only selector (a plain label map). Upstream's replication manager is the ReplicaSet
/// controller run over ReplicationControllers, and so is Swiftlet's; `kubectl apply --prune` lists this kind by
/// default.
public struct ReplicationController: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "replicationcontrollers", singular: "replicationcontroller",
                                              kind: "ReplicationController", namespaced: true, shortNames: ["rc"], categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ReplicationControllerSpec?
    public var status: ReplicationControllerStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: ReplicationControllerSpec? = nil, status: ReplicationControllerStatus? = nil) {
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
        spec = try c.decodeIfPresent(ReplicationControllerSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(ReplicationControllerStatus.self, forKey: .status)
    }
}

/// core/v1 `ReplicationControllerSpec`: `selector` is a label map every pod must carry (defaulted from the
/// template's labels).
public struct ReplicationControllerSpec: Codable, Sendable, Hashable {
    public var replicas: Int32?
    public var minReadySeconds: Int32?
    public var selector: [String: String]?
    public var template: PodTemplateSpec?

    public init(replicas: Int32? = nil, minReadySeconds: Int32? = nil, selector: [String: String]? = nil, template: PodTemplateSpec? = nil) {
        self.replicas = replicas
        self.minReadySeconds = minReadySeconds
        self.selector = selector
        self.template = template
    }
}

/// core/v1 `ReplicationControllerStatus`: the counts a ReplicaSet's status has, without `terminatingReplicas`.
public struct ReplicationControllerStatus: Codable, Sendable, Hashable {
    /// Required upstream (`json:"replicas"`), so it is always encoded.
    public var replicas: Int32
    public var fullyLabeledReplicas: Int32?
    public var readyReplicas: Int32?
    public var availableReplicas: Int32?
    public var observedGeneration: Int64?
    public var conditions: [ReplicationControllerCondition]?

    public init(replicas: Int32 = 0, fullyLabeledReplicas: Int32? = nil, readyReplicas: Int32? = nil, availableReplicas: Int32? = nil,
                observedGeneration: Int64? = nil, conditions: [ReplicationControllerCondition]? = nil) {
        self.replicas = replicas
        self.fullyLabeledReplicas = fullyLabeledReplicas
        self.readyReplicas = readyReplicas
        self.availableReplicas = availableReplicas
        self.observedGeneration = observedGeneration
        self.conditions = conditions
    }

    enum CodingKeys: String, CodingKey { case replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration, conditions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        replicas = try c.decodeIfPresent(Int32.self, forKey: .replicas) ?? 0
        fullyLabeledReplicas = try c.decodeIfPresent(Int32.self, forKey: .fullyLabeledReplicas)
        readyReplicas = try c.decodeIfPresent(Int32.self, forKey: .readyReplicas)
        availableReplicas = try c.decodeIfPresent(Int32.self, forKey: .availableReplicas)
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        conditions = try c.decodeIfPresent([ReplicationControllerCondition].self, forKey: .conditions)
    }
}

/// core/v1 `ReplicationControllerCondition`: `ReplicaFailure`.
public struct ReplicationControllerCondition: Codable, Sendable, Hashable {
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
