import Foundation

/// A real peer daemon (containerd) a wire test starts in a throwaway directory.
/// `stop()` ends it (SIGTERM, then SIGKILL after 10 s) and removes the directory; call it in a
/// `defer` so a failing test cleans up too.
final class PeerDaemon: @unchecked Sendable {
    let directory: String
    let logFile: String
    private let process = Process()

    /// Makes the throwaway directory; `start` runs the daemon.
    init(name: String) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlet-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        logFile = directory + "/daemon.log"
        FileManager.default.createFile(atPath: logFile, contents: nil)
    }

    func start(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let log = FileHandle(forWritingAtPath: logFile)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// The last part of the daemon's log, for failure messages.
    var logTail: String {
        String(((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").suffix(3000))
    }

    /// Waits until `path` exists (a socket the daemon creates once it serves).
    func waitForFile(_ path: String, timeout: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if FileManager.default.fileExists(atPath: path) { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw PeerDaemonError("\(path) did not appear; daemon log:\n\(logTail)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

struct PeerDaemonError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Finds an executable in the usual system directories and on PATH.
func findExecutable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let dirs = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs a program to completion and returns its standard output; throws with its output when it
/// exits non-zero. Waits by sleeping the task, not by blocking a thread.
func runTool(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-tool-\(UUID().uuidString.prefix(8))").path
    FileManager.default.createFile(atPath: output, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: output) }
    let handle = FileHandle(forWritingAtPath: output)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while process.isRunning, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        throw PeerDaemonError("\(executable) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
    }
    return text
}
