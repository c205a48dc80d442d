import Foundation
import KubeClient
import Logging
import TestSupport

/// Runs `body` against a fresh bare `swiftlet server` (TestSupport's `ServerProcess`), stopped afterwards.
func withTestServer<T>(_ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer()
    defer { server.process.stop() }
    return try await body(server)
}

/// A server process plus what the client tests need from it: its URL, clients, a logger, a crash-and-restart.
final class TestServer: Sendable {
    let process: ServerProcess
    let logger: Logger

    init() async throws {
        process = try await ServerProcess()
        var logger = Logger(label: "kubeclient-tests")
        logger.logLevel = .info
        self.logger = logger
    }

    var url: URL { URL(string: process.url)! }

    func client(userAgent: String = "kubeclient-tests") throws -> KubeClient {
        try KubeClient(configuration: process.clientConfiguration(userAgent: userAgent), logger: logger)
    }

    /// SIGKILL and start again on the same port and data.
    func restart() async throws { try await process.restart() }
}

/// Polls `condition` until it holds or `timeout` passes; the last answer is returned.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
