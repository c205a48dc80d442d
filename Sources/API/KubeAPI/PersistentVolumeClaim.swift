import Foundation

/// core/v1 `PersistentVolumeClaim`: a request for storage. Swiftlet stores and validates claims (a StatefulSet's
/// `volumeClaimTemplates` create them); no provisioner binds them to volumes yet, so they stay `Pending`.
public struct PersistentVolumeClaim: KubeObject, Hashable {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "persistentvolumeclaims", singular: "persistentvolumeclaim", kind: "PersistentVolumeClaim", namespaced: true, shortNames: ["pvc"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PersistentVolumeClaimSpec?
    public var status: PersistentVolumeClaimStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: PersistentVolumeClaimSpec? = nil, status: PersistentVolumeClaimStatus? = nil) {
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
        spec = try c.decodeIfPresent(PersistentVolumeClaimSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(PersistentVolumeClaimStatus.self, forKey: .status)
    }
}

/// core/v1 `PersistentVolumeClaimSpec`.
public struct PersistentVolumeClaimSpec: Codable, Sendable, Hashable {
    /// `ReadWriteOnce`, `ReadOnlyMany`, `ReadWriteMany` or `ReadWriteOncePod`.
    public var accessModes: [String]?
    public var selector: LabelSelector?
    public var resources: VolumeResourceRequirements?
    public var volumeName: String?
    public var storageClassName: String?
    /// `Filesystem` (default) or `Block`.
    public var volumeMode: String?
    public var dataSource: JSONValue?
    public var dataSourceRef: JSONValue?
    public var volumeAttributesClassName: String?

    public init(accessModes: [String]? = nil, selector: LabelSelector? = nil, resources: VolumeResourceRequirements? = nil,
                volumeName: String? = nil, storageClassName: String? = nil, volumeMode: String? = nil,
                dataSource: JSONValue? = nil, dataSourceRef: JSONValue? = nil, volumeAttributesClassName: String? = nil) {
        self.accessModes = accessModes
        self.selector = selector
        self.resources = resources
        self.volumeName = volumeName
        self.storageClassName = storageClassName
        self.volumeMode = volumeMode
        self.dataSource = dataSource
        self.dataSourceRef = dataSourceRef
        self.volumeAttributesClassName = volumeAttributesClassName
    }
}

/// core/v1 `VolumeResourceRequirements`: the storage a claim asks for (`requests.storage`).
public struct VolumeResourceRequirements: Codable, Sendable, Hashable {
    public var limits: [String: Quantity]?
    public var requests: [String: Quantity]?

    public init(limits: [String: Quantity]? = nil, requests: [String: Quantity]? = nil) {
        self.limits = limits
        self.requests = requests
    }
}

/// core/v1 `PersistentVolumeClaimStatus`: `Pending`, `Bound` or `Lost`, what was bound, and how a resize is going
/// (`conditions`, and `allocatedResources`/`allocatedResourceStatuses` of RecoverVolumeExpansionFailure, beta and on
/// by default since 1.32). The VolumeAttributesClass fields are left out: their gate is off by default, and upstream
/// drops them then.
public struct PersistentVolumeClaimStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var accessModes: [String]?
    public var capacity: [String: Quantity]?
    /// `Resizing`, `FileSystemResizePending`, … (merged by `type`).
    public var conditions: [PersistentVolumeClaimCondition]?
    public var allocatedResources: [String: Quantity]?
    /// Per resource: `ControllerResizeInProgress`, `ControllerResizeFailed`, `NodeResizePending`,
    /// `NodeResizeInProgress`, `NodeResizeFailed`.
    public var allocatedResourceStatuses: [String: String]?

    public init(phase: String? = nil, accessModes: [String]? = nil, capacity: [String: Quantity]? = nil,
                conditions: [PersistentVolumeClaimCondition]? = nil, allocatedResources: [String: Quantity]? = nil,
                allocatedResourceStatuses: [String: String]? = nil) {
        self.phase = phase
        self.accessModes = accessModes
        self.capacity = capacity
        self.conditions = conditions
        self.allocatedResources = allocatedResources
        self.allocatedResourceStatuses = allocatedResourceStatuses
    }
}

/// core/v1 `PersistentVolumeClaimCondition`: the state of a claim's resize.
public struct PersistentVolumeClaimCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastProbeTime: Time?
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, lastProbeTime: Time? = nil, lastTransitionTime: Time? = nil,
                reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
