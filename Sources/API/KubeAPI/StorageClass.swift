import Foundation

/// storage.k8s.io/v1 `StorageClass`: a class of storage claims name in `storageClassName`. Its
/// `volumeBindingMode` decides whether claims bind at once (`Immediate`) or when the first pod using them is
/// scheduled (`WaitForFirstConsumer`); the one annotated `storageclass.kubernetes.io/is-default-class: "true"` is
/// given to claims that name no class.
public struct StorageClass: KubeObject, Hashable {
    public static let resource = ResourceInfo(group: "storage.k8s.io", version: "v1", plural: "storageclasses", singular: "storageclass",
                                              kind: "StorageClass", namespaced: false, shortNames: ["sc"])

    public static let defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"
    public static let betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
    /// The pre-`storageClassName` way of naming a class on volumes and claims.
    public static let betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class"
    /// The provisioner of classes whose volumes are created by hand (local volumes).
    public static let noProvisioner = "kubernetes.io/no-provisioner"
    public static let immediate = "Immediate"
    public static let waitForFirstConsumer = "WaitForFirstConsumer"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Required and immutable.
    public var provisioner: String
    public var parameters: [String: String]?
    /// `Delete` (default) or `Retain`, for volumes the provisioner creates.
    public var reclaimPolicy: String?
    public var mountOptions: [String]?
    public var allowVolumeExpansion: Bool?
    /// `Immediate` (default) or `WaitForFirstConsumer`.
    public var volumeBindingMode: String?
    public var allowedTopologies: [TopologySelectorTerm]?

    public init(metadata: ObjectMeta = ObjectMeta(), provisioner: String = "", parameters: [String: String]? = nil,
                reclaimPolicy: String? = nil, mountOptions: [String]? = nil, allowVolumeExpansion: Bool? = nil,
                volumeBindingMode: String? = nil, allowedTopologies: [TopologySelectorTerm]? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.provisioner = provisioner
        self.parameters = parameters
        self.reclaimPolicy = reclaimPolicy
        self.mountOptions = mountOptions
        self.allowVolumeExpansion = allowVolumeExpansion
        self.volumeBindingMode = volumeBindingMode
        self.allowedTopologies = allowedTopologies
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, provisioner, parameters, reclaimPolicy, mountOptions, allowVolumeExpansion, volumeBindingMode, allowedTopologies
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        provisioner = try c.decodeIfPresent(String.self, forKey: .provisioner) ?? ""
        parameters = try c.decodeIfPresent([String: String].self, forKey: .parameters)
        reclaimPolicy = try c.decodeIfPresent(String.self, forKey: .reclaimPolicy)
        mountOptions = try c.decodeIfPresent([String].self, forKey: .mountOptions)
        allowVolumeExpansion = try c.decodeIfPresent(Bool.self, forKey: .allowVolumeExpansion)
        volumeBindingMode = try c.decodeIfPresent(String.self, forKey: .volumeBindingMode)
        allowedTopologies = try c.decodeIfPresent([TopologySelectorTerm].self, forKey: .allowedTopologies)
    }

    /// Upstream's `IsDefaultAnnotation`: the GA or the beta annotation is `"true"`.
    public var isDefault: Bool {
        metadata.annotations?[Self.defaultClassAnnotation] == "true" || metadata.annotations?[Self.betaDefaultClassAnnotation] == "true"
    }

    /// Upstream's `GetDefaultClass`: of the classes annotated as default, the newest (ties: the first by name); nil
    /// if none is.
    public static func defaultClass(among classes: [StorageClass]) -> StorageClass? {
        classes.filter(\.isDefault).newest()
    }

    /// Whether claims of this class wait for a pod before binding.
    public var waitsForFirstConsumer: Bool { volumeBindingMode == Self.waitForFirstConsumer }
}

/// core/v1 `TopologySelectorTerm` (a StorageClass's `allowedTopologies`).
public struct TopologySelectorTerm: Codable, Sendable, Hashable {
    public var matchLabelExpressions: [TopologySelectorLabelRequirement]?

    public init(matchLabelExpressions: [TopologySelectorLabelRequirement]? = nil) {
        self.matchLabelExpressions = matchLabelExpressions
    }
}

/// core/v1 `TopologySelectorLabelRequirement`.
public struct TopologySelectorLabelRequirement: Codable, Sendable, Hashable {
    public var key: String
    public var values: [String]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }

    enum CodingKeys: String, CodingKey { case key, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
        values = try c.decodeIfPresent([String].self, forKey: .values) ?? []
    }
}

extension StorageClass: FieldSelectable {
    /// Cluster-scoped: only `metadata.name`.
    public static let selectableFields: Set<String> = ["metadata.name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? ""] }
}
