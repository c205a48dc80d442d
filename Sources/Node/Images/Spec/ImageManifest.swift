/// An OCI image manifest (`application/vnd.oci.image.manifest.v1+json`) or a Docker schema-2 manifest,
/// which has the same shape.
public struct ImageManifest: Sendable, Codable, Hashable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(schemaVersion: Int = 2, mediaType: String? = MediaType.ociManifest, config: Descriptor, layers: [Descriptor],
                annotations: [String: String]? = nil) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}
