import Foundation
import Logging
import Store
import TestSupport
import Testing

/// What only the etcd backend does: reach a cluster by its members, survive a member's death, say clearly when
/// there is no etcd.
@Suite("EtcdStore", .serialized)
struct EtcdStoreTests {
    @Test func parsesStoreLocations() throws {
        #expect(try StoreLocation(parsing: "etcd://127.0.0.1:2379,127.0.0.1:22379")
            == .etcd(endpoints: [.init(host: "127.0.0.1", port: 2379), .init(host: "127.0.0.1", port: 22379)]))
        #expect(try StoreLocation(parsing: "sqlite:/var/lib/x/state.db") == .sqlite(path: "/var/lib/x/state.db"))
        for bad in ["etcd://", "etcd://127.0.0.1", "etcd://127.0.0.1:0", "etcd://a:1,", "mysql://x", "sqlite:"] {
            #expect(throws: StoreError.self) { _ = try StoreLocation(parsing: bad) }
        }
    }

    @Test func unreachableClusterIsAClearError() async throws {
        let port = try freeLoopbackPorts(1)[0]
        let started = ContinuousClock.now
        await #expect {
            _ = try await EtcdStore.connect(endpoints: [.init(host: "127.0.0.1", port: port)], timeout: .seconds(2),
                                            logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("etcd at 127.0.0.1:\(port) is unreachable") && "\(error)".contains("unavailable")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    /// Three members; the one the store is connected to is killed in the middle of writes and a watch: writes keep
    /// being acknowledged, the watch delivers every revision once, and reads see every acknowledged write.
    @Test(.timeLimit(.minutes(3)))
    func survivesTheDeathOfAMember() async throws {
        let cluster = try await EtcdCluster(members: 3)
        defer { cluster.stop() }
        let store = try await EtcdStore.connect(endpoints: try StoreLocation(parsing: cluster.storeArgument).etcdEndpoints,
                                                logger: Logger(label: "test"))
        let base = try await store.currentRevision()
        let stream = try await store.watch(prefix: "/registry/configmaps/", afterRevision: base)
        let (killNow, kill) = AsyncStream.makeStream(of: Void.self)
        let writer = Task {
            var acknowledged: [String] = []
            for i in 0..<300 {
                if i == 100 { kill.yield(); kill.finish() }
                let key = "/registry/configmaps/default/c\(i)"
                _ = try await store.create(key: key, value: data("\(i)"))
                acknowledged.append(key)
            }
            return acknowledged
        }
        for await _ in killNow { break }
        // pick-first connects to the first endpoint: that member goes.
        cluster.kill(member: 0)
        let acknowledged = try await writer.value
        #expect(acknowledged.count == 300)
        var revisions: [Int64] = []
        for try await event in stream {
            revisions.append(event.revision)
            if revisions.count == 300 { break }
        }
        #expect(revisions == revisions.sorted() && Set(revisions).count == 300)
        let listed = try await store.list(prefix: "/registry/configmaps/", startAfter: nil, limit: 0, revision: nil)
        #expect(Set(listed.items.map(\.key)) == Set(acknowledged))
        await store.close()
    }
}

extension StoreLocation {
    var etcdEndpoints: [EtcdStore.Endpoint] {
        get throws {
            guard case .etcd(let endpoints) = self else { throw StoreError.backend("not etcd: \(self)") }
            return endpoints
        }
    }
}
