import Foundation
import LinuxSystem
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The node's image store: pulls images from registries (or imports OCI archives), keeps their blobs in a
/// content store and their layers unpacked, ready to be overlayfs lower directories.
///
/// On disk, under `root`:
/// ```
/// blobs/sha256/<hex>        manifests, indexes, configs and compressed layers, each verified against its digest
/// layers/<chain id hex>/fs  one unpacked layer (its own changes only, whiteouts in overlayfs form)
/// images.json               the image records, replaced atomically on every change
/// tmp/                      downloads and unpacks in progress; emptied on start
/// ```
/// Everything lands in `tmp/` first and is renamed into place, so a crash or a failed verification never
/// leaves a half-written blob or layer under its final name.
///
/// ```swift
/// let store = try ImageStore(root: "/var/lib/swiftlet/runtime/images", registries: .init(), logger: logger)
/// let image = try await store.pull("busybox:1.36", credentials: nil)
/// let lowerdirs = await store.layerPaths(of: image).reversed()   // overlayfs wants the top layer first
/// ```
public actor ImageStore {
    public nonisolated let root: String
    let registries: RegistryConfiguration
    let logger: Logger
    /// Image records by ID.
    var images: [String: ImageRecord] = [:]
    /// Layer fetch-and-unpack tasks in flight, by chain ID, so concurrent pulls share them.
    var layerTasks: [String: Task<Void, any Error>] = [:]
    /// Chain IDs and blob digests an unfinished pull has already made, which garbage collection must keep.
    var claimed: [String: Int] = [:]
    /// Layer chain IDs (hex) that mounted root filesystems use, by holder (a container or sandbox id): garbage
    /// collection keeps them after their image is removed, as containerd keeps a removed image's snapshots while a
    /// container's snapshot still has them as parents.
    var leases: [String: [String]] = [:]
    /// What has been fetched and unpacked since start.
    public internal(set) var statistics = TransferStatistics()

    nonisolated var blobsDirectory: String { root + "/blobs/sha256" }
    nonisolated var layersDirectory: String { root + "/layers" }
    nonisolated var temporaryDirectory: String { root + "/tmp" }
    nonisolated var metadataPath: String { root + "/images.json" }

    /// Opens (or creates) the store at `root` and reloads its image records.
    /// - Throws: `ImageError` `.io` when the directories cannot be made, `.invalidContent` for a corrupt `images.json`.
    public init(root: String, registries: RegistryConfiguration, logger: Logger) throws {
        self.root = root
        self.registries = registries
        self.logger = logger
        let fileManager = FileManager.default
        do {
            try? fileManager.removeItem(atPath: root + "/tmp")
            for directory in [root + "/blobs/sha256", root + "/layers", root + "/tmp"] {
                try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        } catch {
            throw ImageError(.io, "cannot create image store directories under \(root)", cause: error)
        }
        if let data = fileManager.contents(atPath: root + "/images.json") {
            do {
                let records = try JSONDecoder().decode([ImageRecord].self, from: data)
                images = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            } catch {
                throw ImageError(.invalidContent, "corrupt image metadata \(root)/images.json", cause: error)
            }
        }
        let count = images.count
        logger.info("image store opened", metadata: ["root": "\(root)", "images": "\(count)"])
    }

    // MARK: - Queries

    /// The image named by a reference (`busybox`, `docker.io/library/busybox:latest`, a repo digest
    /// `…@sha256:…`), an ID (`sha256:…`) or a unique ID prefix (with or without `sha256:`).
    public func image(_ referenceOrID: String) -> ImageRecord? {
        if let record = images[referenceOrID] { return record }
        if let reference = try? ImageReference(parsing: referenceOrID) {
            if let digest = reference.digest {
                let wanted = reference.digested(digest)
                if let record = images.values.first(where: { $0.repoDigests.contains(wanted) }) { return record }
            } else if let tagged = reference.taggedName,
                      let record = images.values.first(where: { $0.repoTags.contains(tagged) }) {
                return record
            }
        }
        let hex = referenceOrID.hasPrefix("sha256:") ? String(referenceOrID.dropFirst(7)) : referenceOrID
        guard !hex.isEmpty, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        let matches = images.values.filter { $0.id.dropFirst(7).hasPrefix(hex) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// Every image, ordered by first repo tag (then ID).
    public func list() -> [ImageRecord] {
        images.values.sorted { ($0.repoTags.first ?? "~" + $0.id, $0.id) < ($1.repoTags.first ?? "~" + $1.id, $1.id) }
    }

    /// The unpacked layer directories of `image`, lowest first (reverse them for overlayfs `lowerdir=`).
    public nonisolated func layerPaths(of image: ImageRecord) -> [String] {
        image.layers.map { layerPath($0) }
    }

    nonisolated func layerPath(_ chainID: String) -> String {
        layersDirectory + "/" + Self.hex(chainID) + "/fs"
    }

    nonisolated func blobPath(_ digest: Digest) -> String { blobsDirectory + "/" + digest.hex }

    /// Bytes and inodes the store uses, for CRI `ImageFsInfo`. `mountpoint` is the store's root, which is what
    /// containerd reports for its snapshotter.
    public nonisolated func filesystemUsage() -> (bytes: UInt64, inodes: UInt64, mountpoint: String) {
        var bytes: UInt64 = 0
        var inodes: UInt64 = 0
        var seen = Set<UInt64>()
        var stack = [root]
        while let directory = stack.popLast() {
            var info = stat()
            guard lstat(directory, &info) == 0 else { continue }
            if seen.insert(UInt64(info.st_ino)).inserted {
                bytes += UInt64(info.st_blocks) * 512
                inodes += 1
            }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names {
                let path = directory + "/" + name
                guard lstat(path, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    stack.append(path)
                } else if seen.insert(UInt64(info.st_ino)).inserted {
                    bytes += UInt64(info.st_blocks) * 512
                    inodes += 1
                }
            }
        }
        return (bytes, inodes, root)
    }

    // MARK: - Changes

    /// Marks an image as pinned (exempt from kubelet image garbage collection), as containerd does for the
    /// sandbox image.
    public func setPinned(_ referenceOrID: String, _ pinned: Bool) throws {
        guard var record = image(referenceOrID) else { throw ImageError(.notFound, "image \"\(referenceOrID)\" not found") }
        record.pinned = pinned
        images[record.id] = record
        try save()
    }

    /// Removes the image (all its tags) and then every layer and blob no other image uses; layers a lease holds stay
    /// until it ends (a running container keeps its root filesystem). Removing an unknown image is not an error.
    public func remove(_ referenceOrID: String) throws {
        guard let record = image(referenceOrID) else { return }
        images[record.id] = nil
        try save()
        logger.info("image removed", metadata: ["image": "\(record.id)", "tags": "\(record.repoTags)"])
        collectGarbage()
    }

    // MARK: - Leases

    /// The image named by `referenceOrID` (as ``image(_:)``), with its layers leased to `holder` in the same step, so
    /// a removal of the image cannot delete them between the lookup and the mount; nil (and no lease) when there is
    /// no such image.
    public func lease(_ referenceOrID: String, to holder: String) -> ImageRecord? {
        guard let record = image(referenceOrID) else { return nil }
        lease(holder, layers: record.layers)
        return record
    }

    /// Leases layer chain IDs to `holder` (replacing what it held): a restarted runtime restores the leases of the
    /// root filesystems that are still mounted.
    public func lease(_ holder: String, layers: [String]) {
        leases[holder] = layers.map(Self.hex)
    }

    /// Ends `holder`'s lease; layers that no image and no other lease keeps any more are deleted.
    public func release(_ holder: String) {
        guard let released = leases.removeValue(forKey: holder) else { return }
        let referenced = Set(images.values.flatMap { $0.layers.map(Self.hex) }).union(leases.values.joined())
        if released.contains(where: { !referenced.contains($0) }) { collectGarbage() }
    }

    /// A digest or chain ID without its `sha256:` prefix, as the store names its files.
    nonisolated static func hex(_ digest: String) -> String { digest.replacingOccurrences(of: "sha256:", with: "") }

    /// Deletes layer directories and blobs that no image references, no lease holds and no pull in progress has
    /// claimed.
    func collectGarbage() {
        var keep = Set(claimed.keys).union(leases.values.joined())
        for record in images.values {
            keep.formUnion(record.layers.map(Self.hex))
            keep.formUnion(record.blobs.map(Self.hex))
        }
        let fileManager = FileManager.default
        for name in (try? fileManager.contentsOfDirectory(atPath: layersDirectory)) ?? [] where !keep.contains(name) {
            // Renamed away first, so a crash mid-delete never leaves a partial layer under its real name.
            let doomed = temporaryDirectory + "/gc-" + UUID().uuidString
            if rename(layersDirectory + "/" + name, doomed) == 0 {
                try? fileManager.removeItem(atPath: doomed)
                logger.debug("layer removed", metadata: ["layer": "\(name)"])
            }
        }
        for name in (try? fileManager.contentsOfDirectory(atPath: blobsDirectory)) ?? [] where !keep.contains(name) {
            unlink(blobsDirectory + "/" + name)
        }
    }

    /// Writes `images.json` atomically (temp file, fsync, rename).
    func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(images.values.sorted { $0.id < $1.id }) } catch {
            throw ImageError(.io, "cannot encode image metadata", cause: error)
        }
        try ImageStore.writeAtomically(data, to: metadataPath, temporaryDirectory: temporaryDirectory)
    }

    /// Adds `record`, merging with an existing record of the same ID and moving its tags away from other images.
    func insert(_ record: ImageRecord) throws -> ImageRecord {
        var merged = record
        if let existing = images[record.id] {
            merged.repoTags = Array(Set(existing.repoTags + record.repoTags)).sorted()
            merged.repoDigests = Array(Set(existing.repoDigests + record.repoDigests)).sorted()
            merged.blobs = Array(Set(existing.blobs + record.blobs)).sorted()
            merged.pinned = existing.pinned || record.pinned
        }
        for (id, var other) in images where id != record.id {
            let before = other.repoTags.count
            other.repoTags.removeAll { record.repoTags.contains($0) }
            if other.repoTags.count != before { images[id] = other }
        }
        images[record.id] = merged
        try save()
        return merged
    }

    static func writeAtomically(_ data: Data, to path: String, temporaryDirectory: String) throws {
        let temporary = temporaryDirectory + "/write-" + UUID().uuidString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageError(.io, "cannot create \(temporary)", cause: SystemError.lastError("open", context: temporary)) }
        let ok = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return fsync(fd) == 0
        }
        let error = SystemError.lastError("write", context: temporary)
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ImageError(.io, "cannot write \(path)", cause: ok ? SystemError.lastError("rename", context: path) : error)
        }
    }
}
