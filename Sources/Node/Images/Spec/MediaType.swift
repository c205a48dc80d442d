/// The media types of the OCI image spec and their Docker schema-2 equivalents that a pull understands.
///
/// Registries answer a manifest request with whichever the image was pushed as, so every lookup
/// accepts both families.
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// Everything a manifest GET accepts, in order of preference.
    public static let manifestAccept = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    public static func isIndex(_ type: String) -> Bool { type == ociIndex || type == dockerManifestList }
    public static func isManifest(_ type: String) -> Bool { type == ociManifest || type == dockerManifest }
    public static func isConfig(_ type: String) -> Bool { type == ociConfig || type == dockerConfig }

    /// Layer media types whose blobs are tar or gzip-compressed tar (the unpacker sniffs which).
    public static func isSupportedLayer(_ type: String) -> Bool {
        [ociLayer, ociLayerGzip, ociLayerNondistributableGzip, dockerLayerGzip, dockerForeignLayerGzip,
         "application/vnd.oci.image.layer.nondistributable.v1.tar"].contains(type)
    }
}
