/// What an `ImageStore` has fetched and unpacked since it started: lets callers (and tests) see that a second
/// pull of an image reused its layers.
public struct TransferStatistics: Sendable, Equatable {
    /// Blobs (configs and layers) downloaded from registries; manifests are not counted.
    public var blobsFetched = 0
    /// Bytes of those blobs.
    public var bytesFetched: Int64 = 0
    /// Layers unpacked into layer directories.
    public var layersUnpacked = 0

    public init() {}
}
