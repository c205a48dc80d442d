/// An image the store holds: what the CRI `Image` message reports, plus what the store needs to find its
/// layers and blobs again.
public struct ImageRecord: Sendable, Codable, Equatable {
    /// `sha256:<config digest hex>`: the image ID.
    public var id: String
    /// `host/repo:tag` for every tag that points at this image.
    public var repoTags: [String]
    /// `host/repo@sha256:<manifest digest>`: the digest pulled (the index digest when the tag named an index).
    public var repoDigests: [String]
    /// Sum of the compressed layer sizes, as containerd reports it.
    public var size: UInt64
    public var config: ImageConfig
    /// Layer chain IDs (`sha256:…`), lowest first; `ImageStore.layerPaths(of:)` turns them into directories.
    public var layers: [String]
    /// Pinned images (the sandbox image) are exempt from the kubelet's image garbage collection.
    public var pinned: Bool
    /// Every blob this image keeps in the content store (indexes, manifests, config, layers), for garbage collection.
    public var blobs: [String]

    public init(id: String, repoTags: [String], repoDigests: [String], size: UInt64, config: ImageConfig,
                layers: [String], pinned: Bool = false, blobs: [String] = []) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.size = size
        self.config = config
        self.layers = layers
        self.pinned = pinned
        self.blobs = blobs
    }
}
