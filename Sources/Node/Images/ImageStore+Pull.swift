import Foundation
import Logging
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// Pulls `reference` (by tag or digest) and returns its record.
    ///
    /// Resolves an image index / manifest list to this machine's platform, fetches the config and every layer
    /// not already unpacked, verifying the digest of every manifest and blob (and the `Docker-Content-Digest`
    /// header when present) and each layer's uncompressed diff ID, then records the image.
    /// - Throws: `ImageError` (`.notFound` with the registry's message, `.unauthorized`, `.digestMismatch`,
    ///   `.unsupportedMediaType`, `.invalidReference`, `.network`, `.io`).
    public func pull(_ reference: String, credentials: RegistryCredentials?) async throws -> ImageRecord {
        let ref = try ImageReference(parsing: reference)
        let endpoints = registries.endpoints(for: ref.registry)
        let session = RegistrySession(endpoints: endpoints, repository: ref.repository, credentials: credentials,
                                      logger: logger)
        logger.info("pulling image", metadata: ["image": "\(ref)", "endpoints": "\(endpoints.map(\.baseURL))"])
        let started = ContinuousClock.now
        do {
            let top = try await session.manifest(ref.digest?.description ?? ref.tag ?? "latest")
            let record = try await assemble(top: top, provider: session, reference: ref)
            await session.close()
            logger.info("pulled image", metadata: ["image": "\(ref)", "id": "\(record.id)", "size": "\(record.size)",
                                                   "duration": "\(ContinuousClock.now - started)"])
            return record
        } catch {
            await session.close()
            logger.warning("pull failed", metadata: ["image": "\(ref)", "error": "\(error)"])
            throw ImageStore.imageError(error, "pull of \(ref)")
        }
    }

    /// Turns a fetched top-level manifest (or index) into a stored image: platform selection, config, layers,
    /// record. Shared by `pull` and `importArchive`.
    func assemble(top: FetchedManifest, provider: any ContentProvider, reference: ImageReference?) async throws -> ImageRecord {
        var manifest = top
        var blobs: [Digest] = [top.digest]
        var claims: [String] = []
        defer { for key in claims { unclaim(key) } }
        func claim(_ key: String) { claims.append(key); claimed[key, default: 0] += 1 }

        var hops = 0
        while MediaType.isIndex(manifest.mediaType) {
            hops += 1
            guard hops < 4 else { throw ImageError(.invalidContent, "image index nesting too deep") }
            let index = try decode(ImageIndex.self, manifest.bytes, "image index \(manifest.digest)")
            guard let chosen = index.manifest(for: Platform.current) else {
                let available = index.manifests.compactMap { $0.platform?.description }
                throw ImageError(.notFound, "image index \(manifest.digest) has no manifest for \(Platform.current) (has \(available))")
            }
            logger.debug("platform selected", metadata: ["index": "\(manifest.digest)", "manifest": "\(chosen.digest)",
                                                         "platform": "\(chosen.platform?.description ?? "-")"])
            claim(manifest.digest.hex)
            try storeBlob(manifest.bytes, digest: manifest.digest)
            manifest = try await provider.manifest(chosen.digest.description)
            blobs.append(manifest.digest)
        }
        claim(manifest.digest.hex)
        try storeBlob(manifest.bytes, digest: manifest.digest)
        let imageManifest = try decode(ImageManifest.self, manifest.bytes, "manifest \(manifest.digest)")
        guard MediaType.isConfig(imageManifest.config.mediaType) else {
            throw ImageError(.unsupportedMediaType, "manifest \(manifest.digest) has config of type \(imageManifest.config.mediaType)")
        }
        for layer in imageManifest.layers where !MediaType.isSupportedLayer(layer.mediaType) {
            throw ImageError(.unsupportedMediaType, "layer \(layer.digest) has unsupported media type \(layer.mediaType)")
        }

        claim(imageManifest.config.digest.hex)
        try await ensureBlob(imageManifest.config, provider: provider, kind: "config")
        blobs.append(imageManifest.config.digest)
        let configBytes: [UInt8]
        do { configBytes = Array(try Data(contentsOf: URL(fileURLWithPath: blobPath(imageManifest.config.digest)))) } catch {
            throw ImageError(.io, "cannot read config blob \(imageManifest.config.digest)", cause: error)
        }
        let config = try decode(ImageConfigBlob.self, configBytes, "config \(imageManifest.config.digest)")
        let diffIDs = config.rootfs.diffIDs
        guard diffIDs.count == imageManifest.layers.count else {
            throw ImageError(.invalidContent, "config \(imageManifest.config.digest) lists \(diffIDs.count) diff IDs for \(imageManifest.layers.count) layers")
        }

        var chainIDs: [Digest] = []
        for (layer, diffID) in zip(imageManifest.layers, diffIDs) {
            let chainID = chainIDs.last.map { Digest(of: Array("\($0) \(diffID)".utf8)) } ?? diffID
            chainIDs.append(chainID)
            claim(chainID.hex)
            claim(layer.digest.hex)
            try await ensureLayer(layer, diffID: diffID, chainID: chainID, provider: provider)
            blobs.append(layer.digest)
        }

        var repoTags: [String] = []
        var repoDigests: [String] = []
        if let reference {
            if reference.digest == nil, let tagged = reference.taggedName { repoTags.append(tagged) }
            repoDigests.append(reference.digested(top.digest))
        }
        let record = ImageRecord(
            id: imageManifest.config.digest.description, repoTags: repoTags, repoDigests: repoDigests,
            size: UInt64(imageManifest.layers.reduce(0) { $0 + max($1.size, 0) }),
            config: ImageConfig(config.config), layers: chainIDs.map(\.description),
            blobs: Array(Set(blobs.map(\.description))).sorted())
        return try insert(record)
    }

    private func unclaim(_ key: String) {
        if let count = claimed[key], count > 1 { claimed[key] = count - 1 } else { claimed[key] = nil }
    }

    /// Makes sure the layer `chainID` is unpacked, fetching its blob if needed; concurrent pulls of the same
    /// layer share one task.
    func ensureLayer(_ layer: Descriptor, diffID: Digest, chainID: Digest, provider: any ContentProvider) async throws {
        let final = layerPath(chainID.description)
        if FileManager.default.fileExists(atPath: final) {
            logger.debug("layer already present", metadata: ["layer": "\(layer.digest)", "chainID": "\(chainID)"])
            return
        }
        if let running = layerTasks[chainID.hex] {
            try await running.value
            return
        }
        let task = Task {
            try await self.ensureBlob(layer, provider: provider, kind: "layer")
            try await self.unpack(layer, diffID: diffID, chainID: chainID)
        }
        layerTasks[chainID.hex] = task
        defer { layerTasks[chainID.hex] = nil }
        try await task.value
    }

    /// Fetches `descriptor` into the content store unless it is already there (verified on the way in).
    func ensureBlob(_ descriptor: Descriptor, provider: any ContentProvider, kind: String) async throws {
        let path = blobPath(descriptor.digest)
        if FileManager.default.fileExists(atPath: path) { return }
        let temporary = temporaryDirectory + "/blob-" + UUID().uuidString
        let logger = self.logger
        let digest = descriptor.digest
        let total = descriptor.size
        if kind == "layer" {
            logger.info("fetching layer", metadata: ["layer": "\(digest)", "bytes": "\(total)"])
        }
        do {
            try await provider.blob(descriptor, to: temporary) { written in
                if kind == "layer", written < total {
                    logger.debug("layer progress", metadata: ["layer": "\(digest)", "bytes": "\(written)/\(total)"])
                }
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ImageError(.io, "cannot move blob \(digest) into place")
        }
        statistics.blobsFetched += 1
        statistics.bytesFetched += total
        if kind == "layer" { logger.info("fetched layer", metadata: ["layer": "\(digest)", "bytes": "\(total)"]) }
    }

    /// Unpacks the layer blob into `tmp/` and renames it to `layers/<chain id>`; the uncompressed stream must
    /// hash to `diffID`.
    func unpack(_ layer: Descriptor, diffID: Digest, chainID: Digest) async throws {
        let work = temporaryDirectory + "/layer-" + UUID().uuidString
        let blob = blobPath(layer.digest)
        let started = ContinuousClock.now
        do {
            // Blocking file I/O: on NIO's thread pool, not the concurrency pool.
            let entries = try await NIOThreadPool.singleton.runIfActive {
                try ImageStore.unpackLayer(blob: blob, into: work + "/fs", diffID: diffID, name: layer.digest.description)
            }
            let final = layersDirectory + "/" + chainID.hex
            if rename(work, final) != 0 {
                let error = errno
                try? FileManager.default.removeItem(atPath: work)
                if error != EEXIST && error != ENOTEMPTY {
                    throw ImageError(.io, "cannot move layer \(chainID) into place: \(String(cString: strerror(error)))")
                }
            }
            statistics.layersUnpacked += 1
            logger.info("unpacked layer", metadata: ["layer": "\(layer.digest)", "chainID": "\(chainID)",
                                                     "entries": "\(entries)", "duration": "\(ContinuousClock.now - started)"])
        } catch {
            try? FileManager.default.removeItem(atPath: work)
            throw error
        }
    }

    /// The blocking part of `unpack`: gzip (sniffed) or plain tar → directory, with the diff ID checked.
    /// Returns the number of tar entries.
    nonisolated static func unpackLayer(blob: String, into directory: String, diffID: Digest?, name: String) throws -> Int {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ImageError(.io, "cannot create \(directory)", cause: error)
        }
        chmod(directory, 0o755)
        let magic = try FileByteSource(path: blob)
        var head = [UInt8](repeating: 0, count: 4)
        let n = try head.withUnsafeMutableBytes { bytes throws(ImageError) in try magic.read(into: bytes) }
        let source: any ByteSource
        if n >= 2, head[0] == 0x1f, head[1] == 0x8b {
            source = try GzipByteSource(try FileByteSource(path: blob), name: name)
        } else if n == 4, head == [0x28, 0xb5, 0x2f, 0xfd] {
            throw ImageError(.unsupportedMediaType, "layer \(name) is zstd-compressed, which is not supported")
        } else {
            source = try FileByteSource(path: blob)
        }
        let digesting = DigestingByteSource(source)
        var reader = TarReader(digesting, name: name)
        var unpacker = LayerUnpacker(root: directory, name: name)
        try unpacker.unpack(&reader)
        try digesting.drain()
        if let diffID, digesting.digest != diffID {
            throw ImageError(.digestMismatch, "layer \(name) uncompresses to \(digesting.digest), config says \(diffID)")
        }
        return unpacker.entries
    }

    func storeBlob(_ bytes: [UInt8], digest: Digest) throws {
        let path = blobPath(digest)
        guard !FileManager.default.fileExists(atPath: path) else { return }
        try ImageStore.writeAtomically(Data(bytes), to: path, temporaryDirectory: temporaryDirectory)
    }

    func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], _ what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw ImageError(.invalidContent, "malformed \(what)", cause: error)
        }
    }

    /// Any error as an `ImageError`, so callers see one type.
    nonisolated static func imageError(_ error: any Error, _ context: String) -> ImageError {
        if let error = error as? ImageError { return error }
        if error is CancellationError { return ImageError(.io, "\(context) cancelled", cause: error) }
        return ImageError(.io, "\(context) failed", cause: error)
    }
}
