import Foundation

/// storage.k8s.io/v1 `VolumeAttachment`: a request (by the attach/detach controller, for a CSI attacher) to attach a
/// volume to a node. Cluster-scoped; its spec never changes, its status is written by the attacher. The Node
/// authorizer lets a node `get` the attachments whose `spec.nodeName` is that node.
public struct VolumeAttachment: KubeObject, Hashable {
    public static let resource = ResourceInfo(group: "storage.k8s.io", version: "v1", plural: "volumeattachments",
                                              singular: "volumeattachment", kind: "VolumeAttachment", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: VolumeAttachmentSpec
    public var status: VolumeAttachmentStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: VolumeAttachmentSpec = VolumeAttachmentSpec(), status: VolumeAttachmentStatus? = nil) {
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
        spec = try c.decodeIfPresent(VolumeAttachmentSpec.self, forKey: .spec) ?? VolumeAttachmentSpec()
        status = try c.decodeIfPresent(VolumeAttachmentStatus.self, forKey: .status)
    }
}

/// storage.k8s.io/v1 `VolumeAttachmentSpec`: which attacher attaches which volume to which node.
public struct VolumeAttachmentSpec: Codable, Sendable, Hashable {
    /// The volume driver's name (a CSI driver's `GetPluginName()`).
    public var attacher: String
    public var source: VolumeAttachmentSource
    public var nodeName: String

    public init(attacher: String = "", source: VolumeAttachmentSource = VolumeAttachmentSource(), nodeName: String = "") {
        self.attacher = attacher
        self.source = source
        self.nodeName = nodeName
    }

    enum CodingKeys: String, CodingKey { case attacher, source, nodeName }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attacher = try c.decodeIfPresent(String.self, forKey: .attacher) ?? ""
        source = try c.decodeIfPresent(VolumeAttachmentSource.self, forKey: .source) ?? VolumeAttachmentSource()
        nodeName = try c.decodeIfPresent(String.self, forKey: .nodeName) ?? ""
    }
}

/// storage.k8s.io/v1 `VolumeAttachmentSource`: exactly one of a PersistentVolume's name or an inline volume's spec
/// (CSI migration).
public struct VolumeAttachmentSource: Codable, Sendable, Hashable {
    public var persistentVolumeName: String?
    public var inlineVolumeSpec: PersistentVolumeSpec?

    public init(persistentVolumeName: String? = nil, inlineVolumeSpec: PersistentVolumeSpec? = nil) {
        self.persistentVolumeName = persistentVolumeName
        self.inlineVolumeSpec = inlineVolumeSpec
    }
}

/// storage.k8s.io/v1 `VolumeAttachmentStatus`, written by the attacher.
public struct VolumeAttachmentStatus: Codable, Sendable, Hashable {
    public var attached: Bool
    public var attachmentMetadata: [String: String]?
    public var attachError: VolumeError?
    public var detachError: VolumeError?

    public init(attached: Bool = false, attachmentMetadata: [String: String]? = nil, attachError: VolumeError? = nil, detachError: VolumeError? = nil) {
        self.attached = attached
        self.attachmentMetadata = attachmentMetadata
        self.attachError = attachError
        self.detachError = detachError
    }

    enum CodingKeys: String, CodingKey { case attached, attachmentMetadata, attachError, detachError }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attached = try c.decodeIfPresent(Bool.self, forKey: .attached) ?? false
        attachmentMetadata = try c.decodeIfPresent([String: String].self, forKey: .attachmentMetadata)
        attachError = try c.decodeIfPresent(VolumeError.self, forKey: .attachError)
        detachError = try c.decodeIfPresent(VolumeError.self, forKey: .detachError)
    }
}

/// storage.k8s.io/v1 `VolumeError`: an attach or detach failure.
public struct VolumeError: Codable, Sendable, Hashable {
    public var time: Time?
    public var message: String?
    public var errorCode: Int32?

    public init(time: Time? = nil, message: String? = nil, errorCode: Int32? = nil) {
        self.time = time
        self.message = message
        self.errorCode = errorCode
    }
}

extension VolumeAttachment: FieldSelectable {
    /// Cluster-scoped: only `metadata.name`.
    public static let selectableFields: Set<String> = ["metadata.name"]
    public var fieldValues: [String: String] { ["metadata.name": metadata.name ?? ""] }
}
