#if canImport(Glibc)
import GRPCCore
import Glibc
#endif
import Foundation
import LinuxSystem
import OCI

/// Starts a container through its monitor, `swiftlet-shim`, and waits for the monitor's report: the
/// container's pid once `runc create` succeeded, or runc's error.
struct ShimLauncher: Sendable {
    let shimPath: String
    let runcPath: String
    let runcRoot: String

    struct Request: Sendable {
        var id: String
        var bundle: String
        var logPath: String?
        var logMaximumSize: Int
        var memoryCgroup: String?
        /// Start it too (`runc run --detach`), as infra containers are.
        var start = false
        /// The container keeps stdin open for attach (CRI `stdin`).
        var stdin = false
        /// The container has a terminal (CRI `tty`; the spec's `process.terminal`).
        var terminal = false
    }

    /// Runs `runc create` (`runc run --detach` with `start`) under a new monitor; returns the container's pid.
    func create(_ request: Request) async throws -> Int32 {
        var command = ["--id", request.id, "--bundle", request.bundle, "--runc", runcPath, "--runc-root", runcRoot,
                         "--pid-file", request.bundle + "/pid", "--exit-file", request.bundle + "/exit.json",
                         "--log-max-size", String(request.logMaximumSize)]
        if let log = request.logPath { command += ["--log-path", log] }
        if let cgroup = request.memoryCgroup { command += ["--memory-cgroup", cgroup] }
        if request.start { command += ["--start", "true"] }
        if request.stdin { command += ["--stdin", "true"] }
        if request.terminal { command += ["--terminal", "true"] }
        let shimPath = shimPath, arguments = command
        // On a thread of its own: many sandboxes and containers start at once, and Dispatch's pool is as small as the CPUs.
        let bundle = request.bundle
        let report = try await DedicatedThread.offload { Result { try Self.spawnAndRead(shimPath, arguments, bundle: bundle) } }.get()
        if report.hasPrefix("ok "), let pid = Int32(report.dropFirst(3)) { return pid }
        if report.hasPrefix("error ") { throw RuntimeError(.unknown, "failed to create container \(request.id): " + report.dropFirst(6)) }
        let shimLog = (try? String(contentsOfFile: request.bundle + "/shim.log", encoding: .utf8)) ?? ""
        throw RuntimeError(.unknown, "container monitor exited without a report: \(shimLog)")
    }

    /// Spawns the monitor (which forks and lets its parent exit at once), reaps that parent and reads the
    /// report line until the monitor closes its end.
    private static func spawnAndRead(_ path: String, _ arguments: [String], bundle: String) throws -> String {
        let sync = try Subprocess.makePipe()
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        let log = open(bundle + "/shim.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer {
            close(null)
            close(log)
            close(sync.read)
        }
        let pid: pid_t
        do {
            pid = try Subprocess.start(path, arguments: arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                       descriptors: [null, log, log, sync.write], newSession: true)
        } catch {
            close(sync.write)
            throw error
        }
        close(sync.write)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(sync.read, &buffer, buffer.count)
            if count > 0 { bytes += buffer[..<count]; continue }
            if count < 0, errno == EINTR { continue }
            break
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}
