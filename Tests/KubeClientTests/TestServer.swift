import Foundation
import KubeClient
import Logging
import Synchronization
import Testing

/// A real `swiftlet server` on a free port with a throwaway data directory, for the duration of `body`.
///
/// The binary is `$SWIFTLET_BINARY`, else `.build/debug/swiftlet` of the package these tests live in (build it
/// with `swift build --product swiftlet`). The process is killed and the directory removed when `body` returns or
/// throws.
func withTestServer<T>(_ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start()
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

final class TestServer: Sendable {
    private let process: Mutex<Process>
    let directory: URL
    let url: URL
    let logger: Logger

    private init(process: Process, directory: URL, url: URL, logger: Logger) {
        self.process = Mutex(process)
        self.directory = directory
        self.url = url
        self.logger = logger
    }

    /// A new client for this server.
    func client(userAgent: String = "kubeclient-tests") throws -> KubeClient {
        try KubeClient(configuration: KubeClient.Configuration(server: url, userAgent: userAgent), logger: logger)
    }

    static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["SWIFTLET_BINARY"] { return URL(fileURLWithPath: path) }
        // Tests/KubeClientTests/TestServer.swift → the package root (through the symlinks of a private test package).
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("swiftlet"),
            root.appendingPathComponent(".build/debug/swiftlet"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestServerError("no swiftlet binary at \(candidates.map(\.path)); run `swift build --product swiftlet`")
        }
        return found
    }

    static func start() async throws -> TestServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeclient-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let (process, url) = try await launch(in: directory, listen: "127.0.0.1:0")
            var logger = Logger(label: "kubeclient-tests")
            logger.logLevel = .info
            return TestServer(process: process, directory: directory, url: url, logger: logger)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Kills the server (as a crash would) and starts a new one on the same port and data, so clients see their
    /// connections drop.
    func restart() async throws {
        let old = process.withLock { $0 }
        kill(old.processIdentifier, SIGKILL)
        old.waitUntilExit()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("admin.kubeconfig"))
        let (process, _) = try await Self.launch(in: directory, listen: "\(url.host ?? "127.0.0.1"):\(url.port ?? 0)")
        self.process.withLock { $0 = process }
    }

    /// Runs `swiftlet server` and waits for the kubeconfig it writes once it listens.
    private static func launch(in directory: URL, listen: String) async throws -> (Process, URL) {
        let process = Process()
        do {
            process.executableURL = try binary()
            // The bare API server: no controller writes to the objects these tests compare.
            process.arguments = ["server", "--data-dir", directory.path, "--listen", listen, "--controllers", ""]
            let log = directory.appendingPathComponent("server.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let kubeconfig = directory.appendingPathComponent("admin.kubeconfig")
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let text = try? String(contentsOf: kubeconfig, encoding: .utf8), let url = serverURL(in: text) {
                    return (process, url)
                }
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw TestServerError("server did not write \(kubeconfig.path): \(output.suffix(2000))")
        } catch {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            throw error
        }
    }

    /// The `server:` of the kubeconfig the server writes (a fixed, known layout; commands decode it with Yams).
    static func serverURL(in kubeconfig: String) -> URL? {
        for line in kubeconfig.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("server:") {
                return URL(string: trimmed.dropFirst("server:".count).trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }

    /// Kills the server and removes its data.
    func stop() async {
        await terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    private func terminate() async {
        let process = self.process.withLock { $0 }
        if process.isRunning {
            // SIGTERM first; a server still draining watch streams after a second is killed (its data is thrown away).
            process.terminate()
            let deadline = ContinuousClock.now + .seconds(1)
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}

struct TestServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
