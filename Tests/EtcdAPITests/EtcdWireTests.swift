import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import TestSupport
import Testing

/// Proves the committed etcd v3 client code is wire-compatible with a real etcd: Debian's etcd
/// (etcd-server, 3.4) is started on free loopback ports with a throwaway data directory, and our
/// generated KV, Watch and Maintenance clients talk to it over plaintext HTTP/2.
@Suite("etcd v3 wire compatibility", .serialized)
struct EtcdWireTests {
    @Test("Status, Put, Range, Txn compare-and-swap and Watch against etcd", .timeLimit(.minutes(2)))
    func etcdAnswersGeneratedClients() async throws {
        let etcd = try #require(which("etcd"), "etcd is not installed (etcd-server in hack/install-deps.sh)")
        let daemon = try PeerDaemon(name: "etcd")
        defer { daemon.stop() }
        let ports = try freeLoopbackPorts(2)
        let client = "http://127.0.0.1:\(ports[0])", peer = "http://127.0.0.1:\(ports[1])"
        try daemon.start(etcd, [
            "--name", "swiftlet-test", "--data-dir", daemon.directory + "/data",
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "swiftlet-test=\(peer)", "--initial-cluster-state", "new",
            "--logger", "zap", "--log-outputs", "stderr",
        ])

        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: ports[0]),
            transportSecurity: .plaintext)
        var options = CallOptions.defaults
        options.timeout = .seconds(10)
        let callOptions = options
        do {
            try await withGRPCClient(transport: transport) { grpc in
                let kv = Etcdserverpb_KV.Client(wrapping: grpc)
                let watch = Etcdserverpb_Watch.Client(wrapping: grpc)
                let maintenance = Etcdserverpb_Maintenance.Client(wrapping: grpc)

                // Maintenance.Status doubles as the readiness probe while etcd elects itself.
                var status: Etcdserverpb_StatusResponse?
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(30)
                while status == nil, clock.now < deadline {
                    status = try? await maintenance.status(Etcdserverpb_StatusRequest(), options: callOptions)
                    if status == nil { try await Task.sleep(for: .milliseconds(100)) }
                }
                let ready = try #require(status, "etcd did not answer Status")
                #expect(ready.version.hasPrefix("3."))
                #expect(ready.leader != 0)
                #expect(ready.header.clusterID != 0)

                let key = Data("/registry/swiftlet/wire".utf8)
                var put = Etcdserverpb_PutRequest()
                put.key = key
                put.value = Data("one".utf8)
                let putResponse = try await kv.put(put, options: callOptions)
                let created = putResponse.header.revision
                #expect(created > 1)

                var range = Etcdserverpb_RangeRequest()
                range.key = key
                let got = try await kv.range(range, options: callOptions)
                #expect(got.count == 1)
                let stored = try #require(got.kvs.first)
                #expect(stored.key == key)
                #expect(stored.value == Data("one".utf8))
                #expect(stored.modRevision == created)
                #expect(stored.createRevision == created)
                #expect(stored.version == 1)

                // Compare-and-swap on mod_revision, the way an API server's optimistic update works.
                func swap(expecting revision: Int64, to value: String) async throws -> Etcdserverpb_TxnResponse {
                    var compare = Etcdserverpb_Compare()
                    compare.key = key
                    compare.target = .mod
                    compare.result = .equal
                    compare.modRevision = revision
                    var write = Etcdserverpb_RequestOp()
                    write.requestPut.key = key
                    write.requestPut.value = Data(value.utf8)
                    var read = Etcdserverpb_RequestOp()
                    read.requestRange.key = key
                    var txn = Etcdserverpb_TxnRequest()
                    txn.compare = [compare]
                    txn.success = [write]
                    txn.failure = [read]
                    return try await kv.txn(txn, options: callOptions)
                }
                let swapped = try await swap(expecting: created, to: "two")
                #expect(swapped.succeeded)
                #expect(swapped.header.revision == created + 1)
                guard case .responsePut = swapped.responses.first?.response else {
                    Issue.record("success branch did not answer with a put: \(swapped)")
                    return
                }
                let stale = try await swap(expecting: created, to: "three")
                #expect(!stale.succeeded)
                guard case .responseRange(let current) = stale.responses.first?.response else {
                    Issue.record("failure branch did not answer with a range: \(stale)")
                    return
                }
                #expect(current.kvs.first?.value == Data("two".utf8))
                #expect(current.kvs.first?.modRevision == created + 1)

                // Watch (a bidirectional stream): create a watch from the current revision, write,
                // and receive the event.
                let (stop, stopper) = AsyncStream.makeStream(of: Void.self)
                let event = try await watch.watch(options: .defaults) { writer in
                    var create = Etcdserverpb_WatchRequest()
                    create.createRequest.key = key
                    create.createRequest.prevKv = true
                    try await writer.write(create)
                    for await _ in stop {}
                } onResponse: { response -> Mvccpb_Event? in
                    defer { stopper.finish() }
                    for try await message in response.messages {
                        if message.created {
                            var next = Etcdserverpb_PutRequest()
                            next.key = key
                            next.value = Data("four".utf8)
                            _ = try await kv.put(next, options: callOptions)
                        }
                        if let event = message.events.first { return event }
                    }
                    return nil
                }
                let seen = try #require(event, "the watch ended without an event")
                #expect(seen.type == .put)
                #expect(seen.kv.value == Data("four".utf8))
                #expect(seen.prevKv.value == Data("two".utf8))
                #expect(seen.kv.modRevision == created + 2)
            }
        } catch {
            Issue.record("etcd calls failed: \(error)\netcd log:\n\(daemon.logTail)")
        }
    }
}
