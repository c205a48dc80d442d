import Foundation
import KubeAPI
import KubeClient
import Logging
import Testing
import TestSupport

/// kill -9 of the server during 1,000 concurrent writes: every write the server acknowledged is there after a restart.
@Suite struct DurabilityTests {
    @Test(.timeLimit(.minutes(3)), arguments: ["sqlite", "etcd"])
    func killDuringWritesLosesNoAcknowledgedWrite(store: String) async throws {
        let etcd = store == "etcd" ? try await EtcdCluster(members: 1) : nil
        defer { etcd?.stop() }
        let storeArguments = etcd.map { ["--store", $0.storeArgument] } ?? []
        let server = try await ServerProcess(extraArguments: storeArguments)
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        let acknowledged = AcknowledgedWrites()
        // 1,000 creates issued at once; the server is killed once a quarter of them have been acknowledged.
        let writes = Task {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<1000 {
                    group.addTask {
                        let name = "w-\(i)"
                        guard (try? await client.create(ConfigMap(metadata: ObjectMeta(name: name), data: ["i": String(i)]))) != nil else { return }
                        await acknowledged.add(name)
                    }
                }
            }
        }
        while await acknowledged.names.count < 250 { try await Task.sleep(for: .milliseconds(10)) }
        server.kill()
        await writes.value
        try await client.shutdown()

        let restarted = try await ServerProcess(extraArguments: storeArguments, dataDirectory: server.dataDirectory)
        defer { restarted.stop() }
        let after = try KubeClient(configuration: restarted.clientConfiguration(), logger: Logger(label: "test"))
        let stored = Set(try await after.list(ConfigMap.self, namespace: "default").items.compactMap(\.metadata.name))
        let expected = await acknowledged.names
        #expect(expected.count >= 250 && expected.count < 1000, "the kill came while writes were in flight: \(expected.count) acknowledged")
        print("\(store): \(expected.count) of 1,000 concurrent writes acknowledged before the kill, \(stored.intersection((0..<1000).map { "w-\($0)" }).count) stored")
        #expect(expected.subtracting(stored).isEmpty, "lost \(expected.subtracting(stored).count) acknowledged writes")
        // The restarted server keeps serving writes at a higher revision.
        let fresh = try await after.create(ConfigMap(metadata: ObjectMeta(name: "after-restart")))
        #expect(Int(fresh.metadata.resourceVersion ?? "0")! > expected.count)
        try await after.shutdown()
    }
}

extension DurabilityTests {
    /// SIGTERM stops the controllers (releasing their Lease), ends open watches and drains the HTTP server promptly.
    @Test func sigtermShutsDownPromptlyWithControllersAndOpenWatches() async throws {
        let server = try await ServerProcess(controllers: true)
        defer { server.stop() }
        let client = try KubeClient(configuration: server.clientConfiguration(), logger: Logger(label: "test"))
        let watch = Task { for try await _ in client.watch(Pod.self) {} }
        try await Task.sleep(for: .seconds(2))
        #expect(await server.terminate(within: .seconds(5)), "\(server.log.suffix(2000))")
        #expect(server.log.contains("released leadership"))
        watch.cancel()
        try await client.shutdown()
    }
}

extension DurabilityTests {
    /// A TLS client that closes its side (close_notify) before sending a request is answered with the server's
    /// close_notify, and such a connection does not hold SIGTERM's drain (NIOSSL reports the close only as input
    /// closed, so the connection's first-request reader has to act on it).
    @Test func aTLSClientThatClosesBeforeItsFirstRequestDoesNotHoldShutdown() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let port = try #require(URL(string: server.url)?.port)
        let script = """
        import socket, ssl, sys
        context = ssl.create_default_context(cafile=sys.argv[1])
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        connection = context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[4]))), server_hostname="localhost")
        connection.settimeout(10)
        connection.unwrap().close()
        """
        let closed = try await runCommand("/usr/bin/python3", ["-c", script, server.caFile, server.adminCertificateFile, server.adminKeyFile,
                                                               String(port)], timeout: 30)
        #expect(closed.status == 0, "the server did not answer the client's close_notify: \(closed)")
        #expect(await server.terminate(within: .seconds(5)), "\(server.log.suffix(2000))")
    }
}

/// The names the server acknowledged, shared by the writer tasks.
actor AcknowledgedWrites {
    private(set) var names: Set<String> = []
    func add(_ name: String) { names.insert(name) }
}
