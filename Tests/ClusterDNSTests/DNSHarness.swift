import ClusterDNS
import Foundation
import KubeAPI
import KubeClient
import Logging
import TestSupport

/// A real `swiftlet server` (bare API server), a client for it, a fake upstream resolver on loopback, and a
/// ``ClusterDNSServer`` in this process on 127.0.0.1 and a free port, reading the API server over HTTP.
final class DNSHarness: @unchecked Sendable {
    let server: ServerProcess
    let client: KubeClient
    let upstream: FakeUpstream
    let dns: ClusterDNSServer
    let port: Int
    private let task: Task<Void, any Error>

    private init() async throws {
        server = try await ServerProcess()
        client = try KubeClient(configuration: server.clientConfiguration(userAgent: "cluster-dns-tests"), logger: Self.logger("client"))
        upstream = try await FakeUpstream()
        dns = try ClusterDNSServer(configuration: ClusterDNSConfiguration(
            host: "127.0.0.1", port: 0, upstreams: ["127.0.0.1:\(upstream.port)"],
            forwardAttemptTimeout: .milliseconds(500), forwardDeadline: .seconds(1)), client: client, logger: Self.logger("dns"))
        let dns = self.dns
        task = Task { try await dns.run() }
        port = try await dns.waitUntilServing()
        try await dns.records.waitForSync()
    }

    /// Runs `body` with a fresh harness and stops everything afterwards, also when `body` throws.
    static func with(_ body: (DNSHarness) async throws -> Void) async throws {
        let harness = try await DNSHarness()
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["DNS_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        await upstream.stop()
        try? await client.shutdown()
        server.stop()
    }

    func dig(_ name: String, _ type: String = "A", _ options: [String] = []) async throws -> Dig {
        try await Dig.query(name, type, port: port, options: options)
    }
}

/// Asks again until `accept` holds (the informers see API changes within moments, not at once).
func eventually(_ what: String, timeout: Duration = .seconds(10), _ ask: () async throws -> Dig,
                until accept: (Dig) -> Bool) async throws -> Dig {
    let deadline = ContinuousClock.now + timeout
    var last = try await ask()
    while !accept(last) {
        guard ContinuousClock.now < deadline else { throw TestSupportError("\(what) never happened; last answer:\n\(last)") }
        try await Task.sleep(for: .milliseconds(100))
        last = try await ask()
    }
    return last
}
