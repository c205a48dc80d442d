import CRI
import Foundation
import KubeAPI
import LinuxSystem

/// A container's termination message, as upstream's kubelet handles `terminationMessagePath` and
/// `terminationMessagePolicy`: each container gets a file of its own under the pod's directory
/// (`containers/<name>/<8 hex digits>`, mode 0666) bound at its `terminationMessagePath`; once the container exited,
/// the last 4096 bytes written there are its terminated state's `message` (after the runtime's own message, if any).
/// With `FallbackToLogsOnError`, a container that failed (exit code not 0) without writing one gets the end of its
/// log instead: the last 80 lines, at most 2048 bytes.
enum TerminationMessage {
    static let pathAnnotation = "io.kubernetes.container.terminationMessagePath"
    static let policyAnnotation = "io.kubernetes.container.terminationMessagePolicy"
    /// Upstream's `MaxContainerTerminationMessageLength`.
    static let maxLength = 4096
    /// Upstream's `MaxContainerTerminationMessageLogLines` and `MaxContainerTerminationMessageLogLength`.
    static let logLines = 80, logLength = 2048

    /// Creates the empty file a new container's termination message path is bound to, in `podDirectory` (plain
    /// system calls: this runs for every container start).
    static func createFile(podDirectory: String, container: String) throws -> String {
        let directory = "\(podDirectory)/containers/\(container)"
        try FileSystem.makeDirectories(directory, mode: 0o750)
        let hex = String(UInt32.random(in: .min ... .max), radix: 16)
        let path = directory + "/" + String(repeating: "0", count: 8 - hex.count) + hex
        // Any user of the container may write it, whatever the kubelet's umask.
        try FileSystem.createEmptyFile(path, mode: 0o666)
        return path
    }

    /// `status` with the termination message of an exited container appended to its message (upstream's
    /// `getPodContainerStatuses`); a container whose status says nothing of its path (created elsewhere) is left
    /// as it is. `logDirectory`: the pod's log directory, for a log path the runtime gives relative to it.
    static func adding(to status: Runtime_V1_ContainerStatus, logDirectory: String) -> Runtime_V1_ContainerStatus {
        guard status.state == .containerExited else { return status }
        let path = status.annotations[pathAnnotation] ?? ""
        // A container that could not even start has no log to fall back to.
        let fallbackToLogs = status.annotations[policyAnnotation] == "FallbackToLogsOnError" && status.exitCode != 0
            && status.reason != "ContainerCannotRun"
        var (message, checkLogs) = written(path: path, mounts: status.mounts, fallbackToLogs: fallbackToLogs)
        if checkLogs {
            let log = status.logPath.hasPrefix("/") ? status.logPath : logDirectory + "/" + status.logPath
            let tail = CRILogReader(path: log, timestamps: false, tailLines: logLines).readAll()
            message = String(decoding: tail.utf8.suffix(logLength), as: UTF8.self)
        }
        guard !message.isEmpty else { return status }
        var enriched = status
        enriched.message = status.message.isEmpty ? message : status.message + ": " + message
        return enriched
    }

    /// What the container wrote to the file bound at `path` (its last ``maxLength`` bytes), and whether to read
    /// its log instead (upstream's `getTerminationMessage`).
    private static func written(path: String, mounts: [Runtime_V1_Mount], fallbackToLogs: Bool) -> (String, Bool) {
        guard !path.isEmpty, let mount = mounts.first(where: { $0.containerPath == path }) else { return ("", fallbackToLogs) }
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: mount.hostPath)) } catch {
            guard FileManager.default.fileExists(atPath: mount.hostPath) else { return ("", fallbackToLogs) }
            return ("Error on reading termination log \(mount.hostPath): \(error.localizedDescription)", false)
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(maxLength) ? size - UInt64(maxLength) : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        return (String(decoding: data, as: UTF8.self), fallbackToLogs && data.isEmpty)
    }
}
