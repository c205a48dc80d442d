import Foundation

/// A `swiftlet server` started from the build folder for a test, on a free port with a throwaway data
/// directory; `stop()` (or `kill()`) ends it and removes the directory.
public final class ServerProcess: @unchecked Sendable {
    public let dataDirectory: String
    public let kubeconfig: String
    public private(set) var url: String = ""
    private var process = Process()
    private let logFile: String
    private let arguments: [String]

    /// Starts the server and waits until it serves (its kubeconfig is written once it listens).
    /// `controllers: false` (the default) runs the bare API server, so a test's own controllers or writes are the
    /// only ones acting on its objects.
    public init(controllers: Bool = false, extraArguments: [String] = [], dataDirectory: String? = nil) async throws {
        let dir = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.dataDirectory = dir
        kubeconfig = dir + "/admin.kubeconfig"
        logFile = dir + "/server.log"
        FileManager.default.createFile(atPath: logFile, contents: nil)
        arguments = ["server", "--data-dir", dir] + (controllers ? [] : ["--controllers", "", "--no-scheduler"]) + extraArguments
        try await launch(listen: "127.0.0.1:0")
    }

    /// SIGKILL, then start again on the same address with the same data: clients see their connections drop and the
    /// same server come back, as after a crash.
    public func restart() async throws {
        kill()
        let address = url.replacingOccurrences(of: "http://", with: "")
        try await launch(listen: address)
    }

    /// Runs the server listening on `listen` and waits for its kubeconfig.
    private func launch(listen: String) async throws {
        try? FileManager.default.removeItem(atPath: kubeconfig)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.path(of: "swiftlet"))
        process.arguments = arguments + ["--listen", listen]
        let log = FileHandle(forWritingAtPath: logFile)
        log?.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: kubeconfig, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.contains("server:") }) {
                url = line.split(separator: " ").last.map(String.init) ?? ""
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        stop()
        throw TestSupportError("swiftlet server did not start: \(output.suffix(2000))")
    }

    /// The server's log so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { process.isRunning }

    /// SIGKILL without cleanup: the data directory stays, for restart tests.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits up to `timeout`; true if the server exited by itself (its exit status is then 0).
    public func terminate(within timeout: Duration) async -> Bool {
        guard process.isRunning else { return true }
        process.terminate()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !process.isRunning && process.terminationStatus == 0
    }

    /// SIGTERM, wait, and remove the data directory.
    public func stop(keepData: Bool = false) {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            kill()
        }
        if !keepData { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }

    deinit { stop() }
}

/// Finds executables built by SwiftPM next to the test bundle (`.build/debug/swiftlet`).
public enum BuiltProducts {
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["SWIFTLET_BUILD_DIR"] { return override }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // The test runner is `.build/<config>/<Package>PackageTests.xctest`; products sit beside it.
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("swiftlet").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }

    public static func path(of product: String) throws -> String {
        let path = directory + "/" + product
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("\(product) is not built at \(path); run `swift build` first")
        }
        return path
    }
}

/// A test helper failure with its reason.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
