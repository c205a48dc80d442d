/// An OCI image index or a Docker manifest list: one manifest per platform. Also the shape of an OCI
/// image layout's top-level `index.json`.
public struct ImageIndex: Sendable, Codable, Hashable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(schemaVersion: Int = 2, mediaType: String? = MediaType.ociIndex, manifests: [Descriptor],
                annotations: [String: String]? = nil) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }

    /// The manifest for `platform`: the first entry whose platform matches; entries without a platform are
    /// skipped unless nothing else is listed (single-platform indexes written by some tools).
    public func manifest(for platform: Platform) -> Descriptor? {
        let images = manifests.filter { MediaType.isManifest($0.mediaType) || MediaType.isIndex($0.mediaType) }
        if let match = images.first(where: { $0.platform.map(platform.matches) ?? false }) { return match }
        if images.allSatisfy({ $0.platform == nil }), images.count == 1 { return images[0] }
        return nil
    }
}
