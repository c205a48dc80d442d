import CZlib
import Foundation
import KubeAPI
import LinuxSystem

/// How the kubelet bounds running containers' logs: `--container-log-max-size` (10Mi), `--container-log-max-files` (5),
/// `--container-log-max-workers` (1) and `--container-log-monitor-interval` (10s), with upstream's defaults and
/// refusals. A negative size turns rotation off, as upstream's.
public struct ContainerLogPolicy: Sendable, Hashable {
    /// The size as given (`10Mi`), for `/configz`.
    public let maxSize: String
    /// The size in bytes a log is rotated at; negative: never.
    public let maxBytes: Int64
    /// Files kept per container, the one being written included.
    public let maxFiles: Int
    /// Containers whose logs are looked at concurrently.
    public let maxWorkers: Int
    /// How often running containers' logs are looked at.
    public let monitorInterval: Duration

    /// Upstream's defaults.
    public init() {
        self.init(maxSize: "10Mi", maxBytes: 10 * 1024 * 1024, maxFiles: 5, maxWorkers: 1, monitorInterval: .seconds(10))
    }

    private init(maxSize: String, maxBytes: Int64, maxFiles: Int, maxWorkers: Int, monitorInterval: Duration) {
        self.maxSize = maxSize
        self.maxBytes = maxBytes
        self.maxFiles = maxFiles
        self.maxWorkers = maxWorkers
        self.monitorInterval = monitorInterval
    }

    /// The policy the flags give, refused in upstream kubelet's words (its configuration checks first, then the log
    /// manager's own).
    public static func parse(maxSize: String, maxFiles: Int, maxWorkers: Int, monitorInterval: Duration) throws(KubeletFlagError) -> ContainerLogPolicy {
        guard maxWorkers >= 1 else {
            throw KubeletFlagError(description: "invalid configuration: containerLogMaxWorkers must be greater than or equal to 1")
        }
        guard monitorInterval >= .seconds(3) else {
            throw KubeletFlagError(description: "invalid configuration: containerLogMonitorInterval must be a positive time duration greater than or equal to 3s")
        }
        let failed = "failed to create kubelet: failed to initialize container log manager: "
        guard maxFiles > 1 else { throw KubeletFlagError(description: failed + "invalid MaxFiles \(maxFiles), must be > 1") }
        let quantity: Quantity
        do { quantity = try KubeletFlagSyntax.quantity(maxSize) } catch {
            throw KubeletFlagError(description: failed + "failed to parse container log max size \"\(maxSize)\": \(error)")
        }
        return ContainerLogPolicy(maxSize: maxSize, maxBytes: quantity.value, maxFiles: maxFiles, maxWorkers: maxWorkers, monitorInterval: monitorInterval)
    }
}

/// Why a container's log could not be rotated, worded as upstream's container log manager words it.
struct ContainerLogRotationError: Error, CustomStringConvertible {
    let description: String
}

/// One rotation of a container's log, as upstream's `rotateLog` does it: the log files next to `<n>.log` named
/// `<n>.log.<suffix>` are the rotated ones; temporary files and uncompressed logs that also exist compressed (left by
/// an interrupted compression) are removed; the oldest rotated logs are removed so that, with the new rotated one and
/// the new log, at most `maxFiles` remain (oldest first, so a `kubectl logs -f` of a newer one is not broken); the
/// rotated logs left are compressed (`.gz`); then the log is renamed to `<n>.log.<YYYYMMDD-hhmmss>` and the runtime
/// asked to reopen it (CRI `ReopenContainerLog`), which creates a new `<n>.log`. If the runtime cannot, the log is
/// renamed back, to be tried again next round. The newest rotated log stays uncompressed until the next rotation, so
/// that what a reader had open keeps its name.
struct ContainerLogRotation {
    static let compressedSuffix = ".gz"
    static let temporarySuffix = ".tmp"

    let log: String
    let maxFiles: Int

    /// The rotated logs beside ``log``, in name order (oldest first: the suffixes are timestamps).
    func rotatedLogs() -> [String] {
        let directory = (log as NSString).deletingLastPathComponent
        let prefix = (log as NSString).lastPathComponent + "."
        return FileSystem.entries(of: directory).filter { $0.hasPrefix(prefix) }.sorted().map { directory + "/" + $0 }
    }

    /// Rotates the log now; `reopen` asks the runtime to open the log path again.
    func rotate(at now: Date = Date(), reopen: () async throws -> Void) async throws(ContainerLogRotationError) {
        var logs = try removeUnused(rotatedLogs())
        logs = try removeExcess(logs)
        for rotated in logs where !rotated.hasSuffix(Self.compressedSuffix) {
            do { try Self.compress(rotated) } catch {
                throw ContainerLogRotationError(description: "failed to compress log \"\(rotated)\": \(error)")
            }
        }
        let rotated = log + "." + Self.timestamp(now)
        guard rename(log, rotated) == 0 else {
            throw ContainerLogRotationError(description: "failed to rotate log \"\(log)\" to \"\(rotated)\": \(SystemError.lastError("rename", context: log))")
        }
        do {
            try await reopen()
        } catch {
            // Back to its name, so that the next round tries again (and the runtime, if it still writes, writes there).
            rename(rotated, log)
            throw ContainerLogRotationError(description: "failed to reopen container log: \(error)")
        }
    }

    /// Upstream's `cleanupUnusedLogs`: temporary files, and uncompressed logs whose compressed copy exists, go.
    private func removeUnused(_ logs: [String]) throws(ContainerLogRotationError) -> [String] {
        let names = Set(logs)
        var inUse: [String] = []
        for path in logs {
            let unused = path.hasSuffix(Self.temporarySuffix)
                || (!path.hasSuffix(Self.compressedSuffix) && names.contains(path + Self.compressedSuffix))
            if unused {
                try remove(path, what: "unused log")
            } else {
                inUse.append(path)
            }
        }
        return inUse
    }

    /// Upstream's `removeExcessLogs`: room for the log being rotated and the new one within `maxFiles`.
    private func removeExcess(_ logs: [String]) throws(ContainerLogRotationError) -> [String] {
        let keep = max(maxFiles - 2, 0)
        let excess = max(logs.count - keep, 0)
        for path in logs.prefix(excess) { try remove(path, what: "old log") }
        return Array(logs.dropFirst(excess))
    }

    private func remove(_ path: String, what: String) throws(ContainerLogRotationError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ContainerLogRotationError(description: "failed to remove \(what) \"\(path)\": \(SystemError.lastError("unlink", context: path))")
        }
    }

    /// Go's `20060102-150405` layout in local time, the rotated log's suffix.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// Compresses `path` to `path.gz` through `path.gz.tmp` (renamed into place once complete), then removes `path`:
    /// an interruption leaves either the uncompressed log or both, never a partial `.gz`.
    static func compress(_ path: String) throws {
        let temporary = path + compressedSuffix + temporarySuffix
        let input = try SystemError.check(open(path, O_RDONLY | O_CLOEXEC), "open", context: path)
        defer { close(input) }
        let output = try SystemError.check(open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640), "open", context: temporary)
        do {
            let result = swiftlet_gzip_copy(input, output)
            if result == Z_ERRNO { throw SystemError.lastError("gzip", context: path) }
            guard result == Z_OK else { throw ContainerLogRotationError(description: "gzip: zlib error \(result) compressing \(path)") }
            try SystemError.check(fsync(output), "fsync", context: temporary)
            close(output)
        } catch {
            close(output)
            unlink(temporary)
            throw error
        }
        try SystemError.check(rename(temporary, path + compressedSuffix), "rename", context: temporary)
        try SystemError.check(unlink(path), "unlink", context: path)
    }
}
