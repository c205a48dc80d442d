import Foundation
import Logging
import NIOPosix

extension ImageStore {
    /// Imports every image of an OCI image-layout tar (what `skopeo copy … oci-archive:file.tar:name:tag` writes),
    /// for nodes without registry access. Images are named by their `org.opencontainers.image.ref.name`
    /// annotation when it is a full reference (`swiftlet-test/shell:v1` → `docker.io/swiftlet-test/shell:v1`),
    /// else they are known by ID only. All blobs are verified as with a pull.
    public func importArchive(_ path: String) async throws -> [ImageRecord] {
        let work = temporaryDirectory + "/import-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: work) }
        do {
            logger.info("importing image archive", metadata: ["archive": "\(path)"])
            _ = try await NIOThreadPool.singleton.runIfActive {
                try ImageStore.unpackLayer(blob: path, into: work, diffID: nil, name: path)
            }
            guard let data = FileManager.default.contents(atPath: work + "/index.json") else {
                throw ImageError(.invalidContent, "\(path) is not an OCI image layout archive (no index.json)")
            }
            let index = try decode(ImageIndex.self, Array(data), "index.json of \(path)")
            let provider = LayoutContentProvider(directory: work)
            var records: [ImageRecord] = []
            for descriptor in index.manifests where MediaType.isIndex(descriptor.mediaType) || MediaType.isManifest(descriptor.mediaType) {
                let name = descriptor.annotations?["io.containerd.image.name"]
                    ?? descriptor.annotations?["org.opencontainers.image.ref.name"]
                let reference = name.flatMap { try? ImageReference(parsing: $0) }
                    .flatMap { name?.contains(":") == true || name?.contains("/") == true ? $0 : nil }
                let top = try await provider.manifest(descriptor.digest.description)
                let record = try await assemble(top: top, provider: provider, reference: reference)
                logger.info("imported image", metadata: ["image": "\(reference?.description ?? "-")", "id": "\(record.id)"])
                records.append(record)
            }
            return records
        } catch {
            throw ImageStore.imageError(error, "import of \(path)")
        }
    }
}
