import CRI
import KubeAPI
import KubeClient
import Logging

/// The kubelet's image garbage collector (upstream's `realImageGCManager`). Every 5 minutes it notes the runtime's
/// images (when each was first seen, when a container last used it) and, when the image file system is at least
/// `--image-gc-high-threshold` percent full, removes unused images, least recently used first, until it is down to
/// `--image-gc-low-threshold`; images first seen less than `--minimum-image-ttl-duration` ago (just pulled for a pod
/// about to start), pinned images and images any container uses (running or exited) stay. The eviction manager asks
/// it for every unused image before it evicts pods for disk.
actor ImageGCManager {
    /// Upstream's `ImageGCPeriod`.
    static let period: Duration = .seconds(300)

    /// What is known of one image.
    private struct Record {
        var firstDetected: ContinuousClock.Instant
        var lastUsed: ContinuousClock.Instant?
        var size: Int64
        var pinned: Bool
    }

    private let connection: RuntimeConnection
    private let policy: ImageGCPolicy
    private let events: EventRecorder
    private let nodeName: String
    private let logger: Logger
    private var records: [String: Record] = [:]
    private var imageFSPath: String?

    init(connection: RuntimeConnection, policy: ImageGCPolicy, events: EventRecorder, nodeName: String, logger: Logger) {
        self.connection = connection
        self.policy = policy
        self.events = events
        self.nodeName = nodeName
        self.logger = logger
    }

    /// Collects now and then every ``period``; a failure twice in a row is an `ImageGCFailed` Event on the Node (the
    /// first may be the runtime still starting), as upstream's kubelet reports it.
    func run() async {
        var failedBefore = false
        while !Task.isCancelled {
            do {
                try await garbageCollect()
                failedBefore = false
            } catch {
                logger.error("image garbage collection failed", metadata: ["error": "\(error)", "again": "\(failedBefore)"])
                if failedBefore { events.record(Node.kubeletReference(nodeName), "Warning", reason: "ImageGCFailed", message: "\(error)") }
                failedBefore = true
            }
            try? await Task.sleep(for: Self.period)
        }
    }

    /// Upstream's `GarbageCollect`: above the high threshold, frees enough to get to the low one, or says why not
    /// (`FreeDiskSpaceFailed`).
    func garbageCollect() async throws {
        let unused = try await unusedImages(now: .now)
        guard let path = await imageFilesystem(), let storage = NodeSignals.storage(path) else { return }
        let capacity = storage.bytes.capacity, available = min(storage.bytes.available, capacity)
        guard capacity > 0 else {
            events.record(Node.kubeletReference(nodeName), "Warning", reason: "InvalidDiskCapacity", message: "invalid capacity 0 on image filesystem")
            throw ImageGCError(description: "invalid capacity 0 on image filesystem")
        }
        let usage = 100 - Int(available * 100 / capacity)
        guard usage >= policy.highThresholdPercent else { return }
        let wanted = capacity * Int64(100 - policy.lowThresholdPercent) / 100 - available
        logger.notice("image file system over the high threshold, freeing down to the low one", metadata: [
            "usage": "\(usage)%", "high": "\(policy.highThresholdPercent)%", "low": "\(policy.lowThresholdPercent)%", "bytes": "\(wanted)"])
        let freed = try await free(wanted, from: unused, now: .now)
        if freed < wanted {
            let message = "Failed to garbage collect required amount of images. Attempted to free \(wanted) bytes, but only found \(freed) bytes eligible to free."
            events.record(Node.kubeletReference(nodeName), "Warning", reason: "FreeDiskSpaceFailed", message: message)
            throw ImageGCError(description: message)
        }
    }

    /// Upstream's `DeleteUnusedImages` (the eviction manager's reclaim for disk): every image old enough and unused.
    @discardableResult
    func deleteUnusedImages() async throws -> Int64 {
        let now = ContinuousClock.now
        return try await free(.max, from: try await unusedImages(now: now), now: now)
    }

    /// Where the runtime keeps its images (its ImageFsInfo's first mountpoint), asked once; nil while it does not say.
    func imageFilesystem() async -> String? {
        if let imageFSPath { return imageFSPath }
        let info = try? await connection.images.imageFsInfo(Runtime_V1_ImageFsInfoRequest(), options: RuntimeConnection.options(.seconds(10)))
        imageFSPath = info?.imageFilesystems.first.map(\.fsID.mountpoint).flatMap { $0.isEmpty ? nil : $0 }
        return imageFSPath
    }

    /// Upstream's `detectImages` and `imagesInEvictionOrder`: records the runtime's images and returns the unpinned
    /// ones no container uses, least recently used (then first detected) first.
    private func unusedImages(now: ContinuousClock.Instant) async throws -> [(id: String, record: Record)] {
        let images = try await connection.images.listImages(Runtime_V1_ListImagesRequest(), options: RuntimeConnection.options(.seconds(30))).images
        let containers = try await connection.runtime.listContainers(Runtime_V1_ListContainersRequest(), options: RuntimeConnection.options(.seconds(30))).containers
        let used = Set(containers.flatMap { [$0.imageRef, $0.image.image] })
        var unused: [(id: String, record: Record)] = []
        for image in images {
            var record = records[image.id] ?? Record(firstDetected: now, size: Int64(clamping: image.size), pinned: image.pinned)
            record.size = Int64(clamping: image.size)
            record.pinned = image.pinned
            let inUse = used.contains(image.id) || image.repoTags.contains(where: used.contains) || image.repoDigests.contains(where: used.contains)
            if inUse { record.lastUsed = now }
            records[image.id] = record
            if !inUse && !record.pinned { unused.append((image.id, record)) }
        }
        let present = Set(images.map(\.id))
        records = records.filter { present.contains($0.key) }
        // Never used sorts before any use, as upstream's zero lastUsed time does.
        return unused.sorted { first, second in
            switch (first.record.lastUsed, second.record.lastUsed) {
            case (nil, .some): true
            case (.some, nil): false
            case (.some(let a), .some(let b)) where a != b: a < b
            default: first.record.firstDetected < second.record.firstDetected
            }
        }
    }

    /// Upstream's `freeSpace`: removes images in order until `bytes` are freed, skipping those first seen less than
    /// the minimum age ago; removals that fail are reported together after the others were tried.
    private func free(_ bytes: Int64, from images: [(id: String, record: Record)], now: ContinuousClock.Instant) async throws -> Int64 {
        var freed: Int64 = 0
        var failures: [String] = []
        for (id, record) in images where now - record.firstDetected >= policy.minimumAge {
            var request = Runtime_V1_RemoveImageRequest()
            request.image.image = id
            do {
                _ = try await connection.images.removeImage(request, options: RuntimeConnection.options(.seconds(60)))
            } catch {
                failures.append("\(id): \(PodWorkers.message(error))")
                continue
            }
            logger.notice("removed unused image", metadata: ["image": "\(id)", "bytes": "\(record.size)"])
            records[id] = nil
            freed += record.size
            if freed >= bytes { break }
        }
        guard failures.isEmpty else {
            throw ImageGCError(description: "wanted to free \(bytes) bytes, but freed \(freed) bytes space with errors in image deletion: [\(failures.joined(separator: ", "))]")
        }
        return freed
    }
}

/// When the image garbage collector removes unused images: `--image-gc-high-threshold`, `--image-gc-low-threshold`
/// and `--minimum-image-ttl-duration`, with upstream's defaults.
public struct ImageGCPolicy: Sendable, Hashable {
    public var highThresholdPercent: Int
    public var lowThresholdPercent: Int
    public var minimumAge: Duration

    public init(highThresholdPercent: Int = 85, lowThresholdPercent: Int = 80, minimumAge: Duration = .seconds(120)) {
        self.highThresholdPercent = highThresholdPercent
        self.lowThresholdPercent = lowThresholdPercent
        self.minimumAge = minimumAge
    }

    /// Upstream's kubelet configuration checks, in its words.
    public func validate() throws(KubeletFlagError) {
        for (name, flag, value) in [("imageGCHighThresholdPercent", "image-gc-high-threshold", highThresholdPercent),
                                    ("imageGCLowThresholdPercent", "image-gc-low-threshold", lowThresholdPercent)] where !(0...100).contains(value) {
            throw KubeletFlagError(description: "invalid configuration: \(name) (--\(flag)) \(value) must be between 0 and 100, inclusive")
        }
        guard lowThresholdPercent < highThresholdPercent else {
            throw KubeletFlagError(description: "invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) \(lowThresholdPercent) "
                                   + "must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) \(highThresholdPercent)")
        }
    }
}

/// Why the image garbage collector could not do its work.
struct ImageGCError: Error, CustomStringConvertible {
    let description: String
}
