import Foundation

/// core/v1 `PersistentVolume`: a piece of storage in the cluster (cluster-scoped). The persistentvolume-binder
/// controller binds it to a matching `PersistentVolumeClaim` (`spec.claimRef`) and moves it through the phases
/// `Available`, `Bound`, `Released` and `Failed`.
public struct PersistentVolume: KubeObject, Hashable {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "persistentvolumes", singular: "persistentvolume",
                                              kind: "PersistentVolume", namespaced: false, shortNames: ["pv"])

    /// Phases (`status.phase`).
    public static let phasePending = "Pending"
    public static let phaseAvailable = "Available"
    public static let phaseBound = "Bound"
    public static let phaseReleased = "Released"
    public static let phaseFailed = "Failed"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PersistentVolumeSpec?
    public var status: PersistentVolumeStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: PersistentVolumeSpec? = nil, status: PersistentVolumeStatus? = nil) {
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
        spec = try c.decodeIfPresent(PersistentVolumeSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(PersistentVolumeStatus.self, forKey: .status)
    }

    /// The volume's class: the beta annotation if present, else `spec.storageClassName` (upstream's
    /// `GetPersistentVolumeClass`).
    public var storageClass: String {
        if let name = metadata.annotations?[StorageClass.betaStorageClassAnnotation] { return name }
        return spec?.storageClassName ?? ""
    }
}

/// core/v1 `PersistentVolumeSpec`: capacity, access modes, the claim it is bound to and exactly one volume source.
/// The sources Swiftlet knows by shape are typed; a few in-tree cloud ones are kept as raw JSON (the removed in-tree
/// plugins — glusterfs, rbd, cephfs, … — are not accepted).
public struct PersistentVolumeSpec: Codable, Sendable, Hashable {
    public var capacity: [String: Quantity]?
    public var accessModes: [String]?
    public var claimRef: ObjectReference?
    /// `Retain` (the default for manually created volumes), `Delete` or the deprecated `Recycle`.
    public var persistentVolumeReclaimPolicy: String?
    public var storageClassName: String?
    public var mountOptions: [String]?
    /// `Filesystem` (default) or `Block`.
    public var volumeMode: String?
    public var nodeAffinity: VolumeNodeAffinity?
    public var volumeAttributesClassName: String?

    public var hostPath: HostPathVolumeSource?
    public var local: LocalVolumeSource?
    public var nfs: NFSVolumeSource?
    public var csi: CSIPersistentVolumeSource?
    public var gcePersistentDisk: JSONValue?
    public var awsElasticBlockStore: JSONValue?
    public var fc: JSONValue?
    public var vsphereVolume: JSONValue?
    public var azureDisk: JSONValue?
    public var photonPersistentDisk: JSONValue?
    public var portworxVolume: JSONValue?

    public init(capacity: [String: Quantity]? = nil, accessModes: [String]? = nil, claimRef: ObjectReference? = nil,
                persistentVolumeReclaimPolicy: String? = nil, storageClassName: String? = nil, mountOptions: [String]? = nil,
                volumeMode: String? = nil, nodeAffinity: VolumeNodeAffinity? = nil, volumeAttributesClassName: String? = nil,
                hostPath: HostPathVolumeSource? = nil, local: LocalVolumeSource? = nil, nfs: NFSVolumeSource? = nil,
                csi: CSIPersistentVolumeSource? = nil) {
        self.capacity = capacity
        self.accessModes = accessModes
        self.claimRef = claimRef
        self.persistentVolumeReclaimPolicy = persistentVolumeReclaimPolicy
        self.storageClassName = storageClassName
        self.mountOptions = mountOptions
        self.volumeMode = volumeMode
        self.nodeAffinity = nodeAffinity
        self.volumeAttributesClassName = volumeAttributesClassName
        self.hostPath = hostPath
        self.local = local
        self.nfs = nfs
        self.csi = csi
    }

    /// The names of the volume sources that are set (upstream allows exactly one).
    public var sources: [String] {
        let all: [(String, Bool)] = [
            ("hostPath", hostPath != nil), ("local", local != nil), ("nfs", nfs != nil), ("csi", csi != nil),
            ("gcePersistentDisk", gcePersistentDisk != nil), ("awsElasticBlockStore", awsElasticBlockStore != nil),
            ("fc", fc != nil), ("vsphereVolume", vsphereVolume != nil), ("azureDisk", azureDisk != nil),
            ("photonPersistentDisk", photonPersistentDisk != nil), ("portworxVolume", portworxVolume != nil),
        ]
        return all.filter(\.1).map(\.0)
    }
}

/// core/v1 `LocalVolumeSource`: a disk, partition or directory on one node (the volume must carry node affinity).
public struct LocalVolumeSource: Codable, Sendable, Hashable {
    public var path: String
    public var fsType: String?

    public init(path: String, fsType: String? = nil) {
        self.path = path
        self.fsType = fsType
    }

    enum CodingKeys: String, CodingKey { case path, fsType }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        fsType = try c.decodeIfPresent(String.self, forKey: .fsType)
    }
}

/// core/v1 `CSIPersistentVolumeSource`: a volume managed by a CSI driver.
public struct CSIPersistentVolumeSource: Codable, Sendable, Hashable {
    public var driver: String
    public var volumeHandle: String
    public var readOnly: Bool?
    public var fsType: String?
    public var volumeAttributes: [String: String]?
    public var controllerPublishSecretRef: JSONValue?
    public var nodeStageSecretRef: JSONValue?
    public var nodePublishSecretRef: JSONValue?
    public var controllerExpandSecretRef: JSONValue?
    public var nodeExpandSecretRef: JSONValue?

    public init(driver: String, volumeHandle: String, readOnly: Bool? = nil, fsType: String? = nil, volumeAttributes: [String: String]? = nil) {
        self.driver = driver
        self.volumeHandle = volumeHandle
        self.readOnly = readOnly
        self.fsType = fsType
        self.volumeAttributes = volumeAttributes
    }

    enum CodingKeys: String, CodingKey {
        case driver, volumeHandle, readOnly, fsType, volumeAttributes, controllerPublishSecretRef, nodeStageSecretRef,
             nodePublishSecretRef, controllerExpandSecretRef, nodeExpandSecretRef
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        driver = try c.decodeIfPresent(String.self, forKey: .driver) ?? ""
        volumeHandle = try c.decodeIfPresent(String.self, forKey: .volumeHandle) ?? ""
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly)
        fsType = try c.decodeIfPresent(String.self, forKey: .fsType)
        volumeAttributes = try c.decodeIfPresent([String: String].self, forKey: .volumeAttributes)
        controllerPublishSecretRef = try c.decodeIfPresent(JSONValue.self, forKey: .controllerPublishSecretRef)
        nodeStageSecretRef = try c.decodeIfPresent(JSONValue.self, forKey: .nodeStageSecretRef)
        nodePublishSecretRef = try c.decodeIfPresent(JSONValue.self, forKey: .nodePublishSecretRef)
        controllerExpandSecretRef = try c.decodeIfPresent(JSONValue.self, forKey: .controllerExpandSecretRef)
        nodeExpandSecretRef = try c.decodeIfPresent(JSONValue.self, forKey: .nodeExpandSecretRef)
    }
}

/// core/v1 `VolumeNodeAffinity`: the nodes a volume can be reached from (local volumes).
public struct VolumeNodeAffinity: Codable, Sendable, Hashable {
    public var required: NodeSelector?

    public init(required: NodeSelector? = nil) {
        self.required = required
    }
}

/// core/v1 `PersistentVolumeStatus`.
public struct PersistentVolumeStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var message: String?
    public var reason: String?
    public var lastPhaseTransitionTime: Time?

    public init(phase: String? = nil, message: String? = nil, reason: String? = nil, lastPhaseTransitionTime: Time? = nil) {
        self.phase = phase
        self.message = message
        self.reason = reason
        self.lastPhaseTransitionTime = lastPhaseTransitionTime
    }
}

extension PersistentVolume: FieldSelectable {
    /// Cluster-scoped: `metadata.name` (and upstream's legacy `name`).
    public static let selectableFields: Set<String> = ["metadata.name", "name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? "", "name": metadata.name ?? ""] }
}

/// Access-mode helpers shared by claims and volumes.
public enum VolumeAccessModes {
    public static let all = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]

    /// Upstream's `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order, duplicates dropped.
    public static func short(_ modes: [String]) -> String {
        let names = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return all.filter { modes.contains($0) }.compactMap { names[$0] }.joined(separator: ",")
    }
}
