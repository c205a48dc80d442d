import Foundation
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// One Swiftlet daemon (server, runtime, agent) run as a child process: its output appended to a log file, in
/// a session of its own (a terminal's Ctrl-C reaches only the supervisor, which stops the daemons in order),
/// optionally inside a named network namespace the way `nsenter --net=PATH` enters it (setns, then exec:
/// nothing is remounted, unlike `ip netns exec`, so runc still sees the cgroup tree).
///
///     let server = try Daemon.start(name: "server", executable: swiftlet, arguments: ["server", …], logFile: "D/logs/server.log")
///     let status = await server.stop(within: .seconds(30))
public final class Daemon: Sendable {
    public let name: String
    public let pid: pid_t
    public let logFile: String
    /// Reaps the child when it is ours (started by this process); nil for a daemon found by pid (`lab down`).
    private let reaper: Task<Int32, Never>?

    private init(name: String, pid: pid_t, logFile: String, reaper: Task<Int32, Never>?) {
        self.name = name
        self.pid = pid
        self.logFile = logFile
        self.reaper = reaper
    }

    /// Starts `executable arguments` with stdin from /dev/null and stdout and stderr appended to `logFile`.
    public static func start(name: String, executable: String, arguments: [String], logFile: String,
                             networkNamespace: String? = nil) throws(LocalClusterError) -> Daemon {
        let log = Glibc.open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw LocalClusterError(.system, "cannot open \(logFile)", cause: SystemError.lastError("open", context: logFile)) }
        defer { close(log) }
        let null = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        var path = executable, argv = arguments
        if let networkNamespace {
            path = "/usr/bin/nsenter"
            argv = ["--net=\(networkNamespace)", "--", executable] + arguments
        }
        let environment = ProcessInfo.processInfo.environment
        let pid: pid_t
        do {
            pid = try Subprocess.start(path, arguments: argv, environment: environment, descriptors: [null, log, log], newSession: true)
        } catch {
            throw LocalClusterError(.system, "cannot start \(name) (\(path))", cause: error)
        }
        return Daemon(name: name, pid: pid, logFile: logFile, reaper: Task.detached { await Subprocess.exitStatus(of: pid) })
    }

    /// A daemon another process started (its pid recorded in a state file).
    public static func adopt(name: String, pid: pid_t, logFile: String) -> Daemon {
        Daemon(name: name, pid: pid, logFile: logFile, reaper: nil)
    }

    /// Whether the process still runs (a zombie counts as gone).
    public var isRunning: Bool {
        kill(pid, 0) == 0 && ProcessStat(pid: pid)?.isLive ?? false
    }

    /// Waits for the child to exit and gives its status (128 + signal for a signal death); for an adopted daemon, polls.
    public func waitForExit() async -> Int32 {
        if let reaper { return await reaper.value }
        while isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        return 0
    }

    /// SIGTERM (and SIGCONT, as systemd sends it, so a stopped daemon wakes up to handle it), then SIGKILL if it
    /// is still running after `timeout`; returns once it is gone.
    @discardableResult
    public func stop(within timeout: Duration) async -> Int32 {
        guard isRunning else { return await waitForExit() }
        kill(pid, SIGTERM)
        kill(pid, SIGCONT)
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if isRunning { kill(pid, SIGKILL) }
        return await waitForExit()
    }

    /// The last `lines` lines of the log, for error messages.
    public func logTail(lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "(no log at \(logFile))" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// The error for a daemon that exited with `status` when it should be running.
    public func exitedError(status: Int32) -> LocalClusterError {
        LocalClusterError(.daemonExited, "\(name) exited with status \(status); the end of \(logFile):\n\(logTail())")
    }

    /// Resident memory in bytes (`VmRSS`), nil when gone.
    public var residentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kib * 1024
    }
}
