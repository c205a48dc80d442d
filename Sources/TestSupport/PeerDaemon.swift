import Foundation
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// A real peer daemon (containerd, etcd, …) a wire test starts in a throwaway directory, with its
/// output in `daemon.log` there. `stop()` ends it (SIGTERM, then SIGKILL after 10 s) and removes the
/// directory; call it in a `defer` so a failing test cleans up too.
///
/// ```swift
/// let etcd = try PeerDaemon(name: "etcd")
/// defer { etcd.stop() }
/// try etcd.start("/usr/bin/etcd", ["--data-dir", etcd.directory + "/data"])
/// ```
public final class PeerDaemon: @unchecked Sendable {
    /// The throwaway directory; removed by `stop()`.
    public let directory: String
    public let logFile: String
    /// The daemon's pid once started. Spawned with `posix_spawn` and reaped with `waitpid` here, not with
    /// Foundation's `Process`, whose run-loop based reaping can leave a killed child a zombie forever.
    private var pid: pid_t?

    /// Makes the throwaway directory; `start` runs the daemon.
    public init(name: String) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        logFile = directory + "/daemon.log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
    }

    public func start(_ executable: String, _ arguments: [String]) throws {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        let log = open(logFile, O_WRONLY | O_APPEND | O_CLOEXEC)
        defer {
            close(null)
            close(log)
        }
        pid = try Subprocess.start(executable, arguments: arguments, environment: ProcessInfo.processInfo.environment,
                                   descriptors: [null, log, log])
    }

    /// How the process ended (128 + signal for a signal death), once it has been reaped.
    public private(set) var exitStatus: Int32?

    /// Whether the daemon is still running (reaps it if it has exited).
    public var isRunning: Bool {
        guard let pid else { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == 0 { return true }
        if result == pid { exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
        self.pid = nil
        return false
    }

    /// The last part of the daemon's log, for failure messages.
    public var logTail: String {
        String(((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").suffix(3000))
    }

    /// Waits until `path` exists (a socket the daemon creates once it serves).
    public func waitForFile(_ path: String, timeout: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if FileManager.default.fileExists(atPath: path) { return }
            guard isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("\(path) did not appear; daemon log:\n\(logTail)")
    }

    /// Waits until the daemon's log contains `text` (a start-up step it reports); fails if it exits first.
    public func waitForLog(_ text: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").contains(text) { return }
            guard isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError("\(text) did not appear in the log; daemon log:\n\(logTail)")
    }

    /// Sends `signal` and waits up to `timeout` for the daemon to exit; returns its exit status (128 + signal for a
    /// signal death), or nil while it still runs — then `stop()` ends it.
    public func terminate(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async -> Int32? {
        guard let pid, isRunning else { return exitStatus }
        Glibc.kill(pid, signal)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !isRunning { return exitStatus }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Sends `signal` (SIGSTOP to freeze the daemon, SIGCONT to resume it) without waiting for anything.
    public func signal(_ signal: Int32) {
        guard let pid, isRunning else { return }
        Glibc.kill(pid, signal)
    }

    /// SIGKILL, as a crash; the directory and log stay (a later `stop()` removes them).
    public func kill() {
        guard let pid else { return }
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        exitStatus = 128 + SIGKILL
        self.pid = nil
    }

    /// SIGTERM, SIGKILL after 10 s, then removes the directory.
    public func stop() {
        if let pid, isRunning {
            Glibc.kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while isRunning, Date() < deadline { usleep(20_000) }
            if isRunning { kill() }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// Loopback TCP ports that were free a moment ago (bound to port 0 and released), for peers that
/// need fixed ports on their command line. All are distinct.
public func freeLoopbackPorts(_ count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { for fd in sockets { close(fd) } }
    var ports: [Int] = []
    for _ in 0..<count {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        sockets.append(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("bind 127.0.0.1:0: errno \(errno)") }
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
}
