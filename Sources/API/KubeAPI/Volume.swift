import Foundation

/// core/v1 `Volume`: a named volume of a pod; exactly one source is set. Rarely used in-tree cloud sources are kept as raw JSON.
public struct Volume: Codable, Sendable, Hashable {
    public var name: String
    @Boxed public var hostPath: HostPathVolumeSource?
    @Boxed public var emptyDir: EmptyDirVolumeSource?
    @Boxed public var gcePersistentDisk: JSONValue?
    @Boxed public var awsElasticBlockStore: JSONValue?
    @Boxed public var gitRepo: JSONValue?
    @Boxed public var secret: SecretVolumeSource?
    @Boxed public var nfs: NFSVolumeSource?
    @Boxed public var iscsi: JSONValue?
    @Boxed public var glusterfs: JSONValue?
    public var persistentVolumeClaim: PersistentVolumeClaimVolumeSource?
    @Boxed public var rbd: JSONValue?
    @Boxed public var flexVolume: JSONValue?
    @Boxed public var cinder: JSONValue?
    @Boxed public var cephfs: JSONValue?
    @Boxed public var flocker: JSONValue?
    public var downwardAPI: DownwardAPIVolumeSource?
    @Boxed public var fc: JSONValue?
    @Boxed public var azureFile: JSONValue?
    @Boxed public var configMap: ConfigMapVolumeSource?
    @Boxed public var vsphereVolume: JSONValue?
    @Boxed public var quobyte: JSONValue?
    @Boxed public var azureDisk: JSONValue?
    @Boxed public var photonPersistentDisk: JSONValue?
    public var projected: ProjectedVolumeSource?
    @Boxed public var portworxVolume: JSONValue?
    @Boxed public var scaleIO: JSONValue?
    @Boxed public var storageos: JSONValue?
    @Boxed public var csi: CSIVolumeSource?
    /// A generic ephemeral volume; its `volumeClaimTemplate` is kept as raw JSON.
    public var ephemeral: EphemeralVolumeSource?
    @Boxed public var image: ImageVolumeSource?

    public init(
        name: String,
        hostPath: HostPathVolumeSource? = nil,
        emptyDir: EmptyDirVolumeSource? = nil,
        gcePersistentDisk: JSONValue? = nil,
        awsElasticBlockStore: JSONValue? = nil,
        gitRepo: JSONValue? = nil,
        secret: SecretVolumeSource? = nil,
        nfs: NFSVolumeSource? = nil,
        iscsi: JSONValue? = nil,
        glusterfs: JSONValue? = nil,
        persistentVolumeClaim: PersistentVolumeClaimVolumeSource? = nil,
        rbd: JSONValue? = nil,
        flexVolume: JSONValue? = nil,
        cinder: JSONValue? = nil,
        cephfs: JSONValue? = nil,
        flocker: JSONValue? = nil,
        downwardAPI: DownwardAPIVolumeSource? = nil,
        fc: JSONValue? = nil,
        azureFile: JSONValue? = nil,
        configMap: ConfigMapVolumeSource? = nil,
        vsphereVolume: JSONValue? = nil,
        quobyte: JSONValue? = nil,
        azureDisk: JSONValue? = nil,
        photonPersistentDisk: JSONValue? = nil,
        projected: ProjectedVolumeSource? = nil,
        portworxVolume: JSONValue? = nil,
        scaleIO: JSONValue? = nil,
        storageos: JSONValue? = nil,
        csi: CSIVolumeSource? = nil,
        ephemeral: EphemeralVolumeSource? = nil,
        image: ImageVolumeSource? = nil
    ) {
        self.name = name
        self.hostPath = hostPath
        self.emptyDir = emptyDir
        self.gcePersistentDisk = gcePersistentDisk
        self.awsElasticBlockStore = awsElasticBlockStore
        self.gitRepo = gitRepo
        self.secret = secret
        self.nfs = nfs
        self.iscsi = iscsi
        self.glusterfs = glusterfs
        self.persistentVolumeClaim = persistentVolumeClaim
        self.rbd = rbd
        self.flexVolume = flexVolume
        self.cinder = cinder
        self.cephfs = cephfs
        self.flocker = flocker
        self.downwardAPI = downwardAPI
        self.fc = fc
        self.azureFile = azureFile
        self.configMap = configMap
        self.vsphereVolume = vsphereVolume
        self.quobyte = quobyte
        self.azureDisk = azureDisk
        self.photonPersistentDisk = photonPersistentDisk
        self.projected = projected
        self.portworxVolume = portworxVolume
        self.scaleIO = scaleIO
        self.storageos = storageos
        self.csi = csi
        self.ephemeral = ephemeral
        self.image = image
    }

    enum CodingKeys: String, CodingKey { case name, hostPath, emptyDir, gcePersistentDisk, awsElasticBlockStore, gitRepo, secret, nfs, iscsi, glusterfs, persistentVolumeClaim, rbd, flexVolume, cinder, cephfs, flocker, downwardAPI, fc, azureFile, configMap, vsphereVolume, quobyte, azureDisk, photonPersistentDisk, projected, portworxVolume, scaleIO, storageos, csi, ephemeral, image }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        hostPath = try c.decodeIfPresent(HostPathVolumeSource.self, forKey: .hostPath)
        emptyDir = try c.decodeIfPresent(EmptyDirVolumeSource.self, forKey: .emptyDir)
        gcePersistentDisk = try c.decodeIfPresent(JSONValue.self, forKey: .gcePersistentDisk)
        awsElasticBlockStore = try c.decodeIfPresent(JSONValue.self, forKey: .awsElasticBlockStore)
        gitRepo = try c.decodeIfPresent(JSONValue.self, forKey: .gitRepo)
        secret = try c.decodeIfPresent(SecretVolumeSource.self, forKey: .secret)
        nfs = try c.decodeIfPresent(NFSVolumeSource.self, forKey: .nfs)
        iscsi = try c.decodeIfPresent(JSONValue.self, forKey: .iscsi)
        glusterfs = try c.decodeIfPresent(JSONValue.self, forKey: .glusterfs)
        persistentVolumeClaim = try c.decodeIfPresent(PersistentVolumeClaimVolumeSource.self, forKey: .persistentVolumeClaim)
        rbd = try c.decodeIfPresent(JSONValue.self, forKey: .rbd)
        flexVolume = try c.decodeIfPresent(JSONValue.self, forKey: .flexVolume)
        cinder = try c.decodeIfPresent(JSONValue.self, forKey: .cinder)
        cephfs = try c.decodeIfPresent(JSONValue.self, forKey: .cephfs)
        flocker = try c.decodeIfPresent(JSONValue.self, forKey: .flocker)
        downwardAPI = try c.decodeIfPresent(DownwardAPIVolumeSource.self, forKey: .downwardAPI)
        fc = try c.decodeIfPresent(JSONValue.self, forKey: .fc)
        azureFile = try c.decodeIfPresent(JSONValue.self, forKey: .azureFile)
        configMap = try c.decodeIfPresent(ConfigMapVolumeSource.self, forKey: .configMap)
        vsphereVolume = try c.decodeIfPresent(JSONValue.self, forKey: .vsphereVolume)
        quobyte = try c.decodeIfPresent(JSONValue.self, forKey: .quobyte)
        azureDisk = try c.decodeIfPresent(JSONValue.self, forKey: .azureDisk)
        photonPersistentDisk = try c.decodeIfPresent(JSONValue.self, forKey: .photonPersistentDisk)
        projected = try c.decodeIfPresent(ProjectedVolumeSource.self, forKey: .projected)
        portworxVolume = try c.decodeIfPresent(JSONValue.self, forKey: .portworxVolume)
        scaleIO = try c.decodeIfPresent(JSONValue.self, forKey: .scaleIO)
        storageos = try c.decodeIfPresent(JSONValue.self, forKey: .storageos)
        csi = try c.decodeIfPresent(CSIVolumeSource.self, forKey: .csi)
        ephemeral = try c.decodeIfPresent(EphemeralVolumeSource.self, forKey: .ephemeral)
        image = try c.decodeIfPresent(ImageVolumeSource.self, forKey: .image)
    }
}

/// core/v1 `HostPathVolumeSource`: a path on the node (`type`: `Directory`, `DirectoryOrCreate`, `File`, `Socket`, …).
public struct HostPathVolumeSource: Codable, Sendable, Hashable {
    public var path: String
    public var type: String?

    public init(path: String, type: String? = nil) {
        self.path = path
        self.type = type
    }

    enum CodingKeys: String, CodingKey { case path, type }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        type = try c.decodeIfPresent(String.self, forKey: .type)
    }
}

/// core/v1 `EmptyDirVolumeSource`: scratch space that lives as long as the pod (`medium: Memory` for tmpfs).
public struct EmptyDirVolumeSource: Codable, Sendable, Hashable {
    public var medium: String?
    public var sizeLimit: Quantity?

    public init(medium: String? = nil, sizeLimit: Quantity? = nil) {
        self.medium = medium
        self.sizeLimit = sizeLimit
    }
}

/// core/v1 `SecretVolumeSource`.
public struct SecretVolumeSource: Codable, Sendable, Hashable {
    public var secretName: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?

    public init(
        secretName: String? = nil,
        items: [KeyToPath]? = nil,
        defaultMode: Int32? = nil,
        optional: Bool? = nil
    ) {
        self.secretName = secretName
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

/// core/v1 `KeyToPath`: project one key to a file path.
public struct KeyToPath: Codable, Sendable, Hashable {
    public var key: String
    public var path: String
    public var mode: Int32?

    public init(key: String, path: String, mode: Int32? = nil) {
        self.key = key
        self.path = path
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey { case key, path, mode }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        mode = try c.decodeIfPresent(Int32.self, forKey: .mode)
    }
}

/// core/v1 `NFSVolumeSource`.
public struct NFSVolumeSource: Codable, Sendable, Hashable {
    public var server: String
    public var path: String
    public var readOnly: Bool?

    public init(server: String, path: String, readOnly: Bool? = nil) {
        self.server = server
        self.path = path
        self.readOnly = readOnly
    }

    enum CodingKeys: String, CodingKey { case server, path, readOnly }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        server = try c.decodeIfPresent(String.self, forKey: .server) ?? ""
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly)
    }
}

/// core/v1 `PersistentVolumeClaimVolumeSource`.
public struct PersistentVolumeClaimVolumeSource: Codable, Sendable, Hashable {
    public var claimName: String
    public var readOnly: Bool?

    public init(claimName: String, readOnly: Bool? = nil) {
        self.claimName = claimName
        self.readOnly = readOnly
    }

    enum CodingKeys: String, CodingKey { case claimName, readOnly }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        claimName = try c.decodeIfPresent(String.self, forKey: .claimName) ?? ""
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly)
    }
}

/// core/v1 `DownwardAPIVolumeSource`: pod fields and resources as files.
public struct DownwardAPIVolumeSource: Codable, Sendable, Hashable {
    public var items: [DownwardAPIVolumeFile]?
    public var defaultMode: Int32?

    public init(items: [DownwardAPIVolumeFile]? = nil, defaultMode: Int32? = nil) {
        self.items = items
        self.defaultMode = defaultMode
    }
}

/// core/v1 `DownwardAPIVolumeFile`.
public struct DownwardAPIVolumeFile: Codable, Sendable, Hashable {
    public var path: String
    public var fieldRef: ObjectFieldSelector?
    public var resourceFieldRef: ResourceFieldSelector?
    public var mode: Int32?

    public init(
        path: String,
        fieldRef: ObjectFieldSelector? = nil,
        resourceFieldRef: ResourceFieldSelector? = nil,
        mode: Int32? = nil
    ) {
        self.path = path
        self.fieldRef = fieldRef
        self.resourceFieldRef = resourceFieldRef
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey { case path, fieldRef, resourceFieldRef, mode }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        fieldRef = try c.decodeIfPresent(ObjectFieldSelector.self, forKey: .fieldRef)
        resourceFieldRef = try c.decodeIfPresent(ResourceFieldSelector.self, forKey: .resourceFieldRef)
        mode = try c.decodeIfPresent(Int32.self, forKey: .mode)
    }
}

/// core/v1 `ConfigMapVolumeSource`.
public struct ConfigMapVolumeSource: Codable, Sendable, Hashable {
    public var name: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?

    public init(
        name: String? = nil,
        items: [KeyToPath]? = nil,
        defaultMode: Int32? = nil,
        optional: Bool? = nil
    ) {
        self.name = name
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

/// core/v1 `ProjectedVolumeSource`: several sources merged into one directory (the service account token volume).
public struct ProjectedVolumeSource: Codable, Sendable, Hashable {
    public var sources: [VolumeProjection]?
    public var defaultMode: Int32?

    public init(sources: [VolumeProjection]? = nil, defaultMode: Int32? = nil) {
        self.sources = sources
        self.defaultMode = defaultMode
    }
}

/// core/v1 `VolumeProjection`: exactly one source.
public struct VolumeProjection: Codable, Sendable, Hashable {
    public var secret: SecretProjection?
    public var downwardAPI: DownwardAPIProjection?
    public var configMap: ConfigMapProjection?
    public var serviceAccountToken: ServiceAccountTokenProjection?
    @Boxed public var clusterTrustBundle: ClusterTrustBundleProjection?
    @Boxed public var podCertificate: JSONValue?

    public init(
        secret: SecretProjection? = nil,
        downwardAPI: DownwardAPIProjection? = nil,
        configMap: ConfigMapProjection? = nil,
        serviceAccountToken: ServiceAccountTokenProjection? = nil,
        clusterTrustBundle: ClusterTrustBundleProjection? = nil,
        podCertificate: JSONValue? = nil
    ) {
        self.secret = secret
        self.downwardAPI = downwardAPI
        self.configMap = configMap
        self.serviceAccountToken = serviceAccountToken
        self.clusterTrustBundle = clusterTrustBundle
        self.podCertificate = podCertificate
    }
}

/// core/v1 `SecretProjection`.
public struct SecretProjection: Codable, Sendable, Hashable {
    public var name: String?
    public var items: [KeyToPath]?
    public var optional: Bool?

    public init(name: String? = nil, items: [KeyToPath]? = nil, optional: Bool? = nil) {
        self.name = name
        self.items = items
        self.optional = optional
    }
}

/// core/v1 `ConfigMapProjection`.
public struct ConfigMapProjection: Codable, Sendable, Hashable {
    public var name: String?
    public var items: [KeyToPath]?
    public var optional: Bool?

    public init(name: String? = nil, items: [KeyToPath]? = nil, optional: Bool? = nil) {
        self.name = name
        self.items = items
        self.optional = optional
    }
}

/// core/v1 `DownwardAPIProjection`.
public struct DownwardAPIProjection: Codable, Sendable, Hashable {
    public var items: [DownwardAPIVolumeFile]?

    public init(items: [DownwardAPIVolumeFile]? = nil) {
        self.items = items
    }
}

/// core/v1 `ServiceAccountTokenProjection`: a bound, expiring service account token.
public struct ServiceAccountTokenProjection: Codable, Sendable, Hashable {
    public var audience: String?
    public var expirationSeconds: Int64?
    public var path: String

    public init(audience: String? = nil, expirationSeconds: Int64? = nil, path: String) {
        self.audience = audience
        self.expirationSeconds = expirationSeconds
        self.path = path
    }

    enum CodingKeys: String, CodingKey { case audience, expirationSeconds, path }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        audience = try c.decodeIfPresent(String.self, forKey: .audience)
        expirationSeconds = try c.decodeIfPresent(Int64.self, forKey: .expirationSeconds)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
    }
}

/// core/v1 `ClusterTrustBundleProjection`: CA certificates from ClusterTrustBundle objects.
public struct ClusterTrustBundleProjection: Codable, Sendable, Hashable {
    public var name: String?
    public var signerName: String?
    public var labelSelector: LabelSelector?
    public var optional: Bool?
    public var path: String

    public init(
        name: String? = nil,
        signerName: String? = nil,
        labelSelector: LabelSelector? = nil,
        optional: Bool? = nil,
        path: String
    ) {
        self.name = name
        self.signerName = signerName
        self.labelSelector = labelSelector
        self.optional = optional
        self.path = path
    }

    enum CodingKeys: String, CodingKey { case name, signerName, labelSelector, optional, path }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        signerName = try c.decodeIfPresent(String.self, forKey: .signerName)
        labelSelector = try c.decodeIfPresent(LabelSelector.self, forKey: .labelSelector)
        optional = try c.decodeIfPresent(Bool.self, forKey: .optional)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
    }
}

/// core/v1 `CSIVolumeSource`: an inline ephemeral CSI volume.
public struct CSIVolumeSource: Codable, Sendable, Hashable {
    public var driver: String
    public var readOnly: Bool?
    public var fsType: String?
    public var volumeAttributes: [String: String]?
    public var nodePublishSecretRef: LocalObjectReference?

    public init(
        driver: String,
        readOnly: Bool? = nil,
        fsType: String? = nil,
        volumeAttributes: [String: String]? = nil,
        nodePublishSecretRef: LocalObjectReference? = nil
    ) {
        self.driver = driver
        self.readOnly = readOnly
        self.fsType = fsType
        self.volumeAttributes = volumeAttributes
        self.nodePublishSecretRef = nodePublishSecretRef
    }

    enum CodingKeys: String, CodingKey { case driver, readOnly, fsType, volumeAttributes, nodePublishSecretRef }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        driver = try c.decodeIfPresent(String.self, forKey: .driver) ?? ""
        readOnly = try c.decodeIfPresent(Bool.self, forKey: .readOnly)
        fsType = try c.decodeIfPresent(String.self, forKey: .fsType)
        volumeAttributes = try c.decodeIfPresent([String: String].self, forKey: .volumeAttributes)
        nodePublishSecretRef = try c.decodeIfPresent(LocalObjectReference.self, forKey: .nodePublishSecretRef)
    }
}

/// core/v1 `EphemeralVolumeSource`: a PVC created for and deleted with the pod.
public struct EphemeralVolumeSource: Codable, Sendable, Hashable {
    public var volumeClaimTemplate: JSONValue?

    public init(volumeClaimTemplate: JSONValue? = nil) {
        self.volumeClaimTemplate = volumeClaimTemplate
    }
}

/// core/v1 `ImageVolumeSource`: an OCI image or artifact mounted read-only.
public struct ImageVolumeSource: Codable, Sendable, Hashable {
    public var reference: String?
    public var pullPolicy: String?

    public init(reference: String? = nil, pullPolicy: String? = nil) {
        self.reference = reference
        self.pullPolicy = pullPolicy
    }
}
