import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Content from an OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`), such as an
/// unpacked `oci-archive` tar. Every blob is hashed while it is copied.
struct LayoutContentProvider: ContentProvider {
    let directory: String

    func manifest(_ reference: String) async throws -> FetchedManifest {
        guard let digest = Digest(reference) else {
            throw ImageError(.invalidReference, "OCI layout manifests are looked up by digest, not \(reference)")
        }
        let path = directory + "/blobs/sha256/" + digest.hex
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError(.notFound, "blob \(digest) missing from OCI layout \(directory)")
        }
        let bytes = Array(data)
        let actual = Digest(of: bytes)
        guard actual == digest else { throw ImageError(.digestMismatch, "layout blob \(digest) has digest \(actual)") }
        struct Probe: Decodable {
            var mediaType: String?
            var manifests: [Descriptor]?
        }
        let probe = try? JSONDecoder().decode(Probe.self, from: data)
        let mediaType = probe?.mediaType ?? (probe?.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest)
        return FetchedManifest(bytes: bytes, mediaType: mediaType, digest: digest)
    }

    func blob(_ descriptor: Descriptor, to path: String, progress: @Sendable (Int64) -> Void) async throws {
        let source = directory + "/blobs/sha256/" + descriptor.digest.hex
        guard FileManager.default.fileExists(atPath: source) else {
            throw ImageError(.notFound, "blob \(descriptor.digest) missing from OCI layout \(directory)")
        }
        let input = DigestingByteSource(try FileByteSource(path: source))
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageError(.io, "cannot create \(path)") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let n = try input.read(into: buffer)
            if n == 0 { break }
            var offset = 0
            while offset < n {
                let w = write(fd, buffer.baseAddress! + offset, n - offset)
                if w < 0 { if errno == EINTR { continue }; throw ImageError(.io, "cannot write \(path)") }
                offset += w
            }
        }
        progress(input.count)
        guard input.digest == descriptor.digest, input.count == descriptor.size else {
            throw ImageError(.digestMismatch, "layout blob \(descriptor.digest) has digest \(input.digest) (\(input.count) bytes)")
        }
    }
}
