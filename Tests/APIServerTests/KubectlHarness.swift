import Foundation
import Testing
import TestSupport

/// A running server and the real kubectl pointed at it.
final class KubectlHarness: @unchecked Sendable {
    let server: ServerProcess
    let kubectlPath: String
    let workDirectory: String

    /// `controllers: false` runs the bare API server, for checking server-side semantics no controller acts on;
    /// `serverArguments` go to `swiftlet server` (e.g. `--store etcd://…`).
    init(controllers: Bool = true, serverArguments: [String] = []) async throws {
        guard let kubectl = which("kubectl") else { throw TestSupportError("kubectl is not installed") }
        kubectlPath = kubectl
        server = try await ServerProcess(controllers: controllers, extraArguments: serverArguments)
        workDirectory = server.dataDirectory + "/work"
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
    }

    deinit { server.stop() }

    /// Runs kubectl; `stdin` is passed for `-f -`.
    @discardableResult
    func kubectl(_ arguments: String..., stdin: String? = nil) async throws -> CommandResult {
        try await kubectl(arguments, stdin: stdin)
    }

    func kubectl(_ arguments: [String], stdin: String? = nil) async throws -> CommandResult {
        try await runCommand(kubectlPath, ["--kubeconfig", server.kubeconfig] + arguments, stdin: stdin,
                       environment: ["HOME": workDirectory], timeout: 60)
    }

    /// Runs kubectl and expects success, returning stdout.
    @discardableResult
    func ok(_ arguments: String..., stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await kubectl(arguments, stdin: stdin)
        #expect(result.status == 0, "kubectl \(arguments.joined(separator: " ")) failed: \(result)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Starts kubectl in the background (e.g. `get configmaps -w --output-watch-events`), its output collected in a file of
    /// the work directory; stop it with `stop()` (a `defer` right after).
    func watch(_ arguments: String...) throws -> BackgroundKubectl {
        let output = workDirectory + "/watch-\(UUID().uuidString.prefix(8)).out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kubectlPath)
        process.arguments = ["--kubeconfig", server.kubeconfig] + arguments
        process.environment = ["HOME": workDirectory, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle(forWritingAtPath: output)
        try process.run()
        return BackgroundKubectl(process: process, output: output)
    }

    /// Writes a file in the work directory and returns its path.
    func file(_ name: String, _ content: String) throws -> String {
        let path = workDirectory + "/" + name
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A raw HTTP request to the server with curl (for what kubectl will not send).
    func curl(_ method: String, _ path: String, body: String? = nil, contentType: String = "application/json") async throws -> (code: Int, body: String) {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", "Content-Type: \(contentType)"] + server.curlTLSArguments + [server.url + path]
        if body != nil { args += ["--data-binary", "@-"] }
        let result = try await runCommand(which("curl") ?? "/usr/bin/curl", args, stdin: body)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}

/// A kubectl started by `KubectlHarness.watch`.
final class BackgroundKubectl: @unchecked Sendable {
    private let process: Process
    private let output: String

    init(process: Process, output: String) {
        self.process = process
        self.output = output
    }

    /// What it has printed so far.
    var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

    /// Waits until its output contains `needle` or `timeout` passes; returns the output either way.
    @discardableResult
    func waitForOutput(containing needle: String, timeout: Duration = .seconds(10)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var text = self.text
        while !text.contains(needle), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            text = self.text
        }
        return text
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
