/// Where a pull or an import gets manifests and blobs from: a registry (`RegistrySession`) or an unpacked OCI
/// image layout (`LayoutContentProvider`). Implementations verify every digest before returning.
protocol ContentProvider: Sendable {
    /// The manifest or index named by `reference` (a tag or `sha256:` digest): its bytes, media type and digest.
    func manifest(_ reference: String) async throws -> FetchedManifest
    /// Writes the blob `descriptor` names to `path` (a new file), verified against its digest and size;
    /// `progress` is called with the bytes written so far.
    func blob(_ descriptor: Descriptor, to path: String, progress: @Sendable (Int64) -> Void) async throws
}

/// A manifest or index as fetched, digest verified.
struct FetchedManifest: Sendable {
    var bytes: [UInt8]
    var mediaType: String
    var digest: Digest
}
