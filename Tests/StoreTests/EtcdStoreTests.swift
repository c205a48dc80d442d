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

    /// 1,100 writes with a time to live at once share leases as kube-apiserver's have them share: they wait for one
    /// LeaseGrant instead of each granting one, and a lease holds 1,000 keys at most.
    @Test(.timeLimit(.minutes(2)))
    func writesWithATimeToLiveShareLeases() async throws {
        let cluster = try await EtcdCluster(members: 1)
        defer { cluster.stop() }
        let store = try await EtcdStore.connect(endpoints: try StoreLocation(parsing: cluster.storeArgument).etcdEndpoints,
                                                logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1100 {
                group.addTask { _ = try await store.create(key: "/registry/events/default/e\(i)", value: data("\(i)"), ttl: .seconds(3600)) }
            }
            try await group.waitForAll()
        }
        let expirations = try await store.expirations(prefix: "/registry/events/")
        #expect(expirations.count == 1100)
        #expect(expirations.values.allSatisfy { $0 > .seconds(3000) })
        // etcd's own count, through its HTTP gateway.
        let answer = try await runCommand("/usr/bin/curl", ["-s", "-X", "POST", "http://\(cluster.clientEndpoints[0])/v3/lease/leases", "-d", "{}"])
        let leases = try #require(try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any])["leases"] as? [[String: Any]]
        #expect((2...3).contains(leases?.count ?? 0), "\(answer.stdout)")
        // Revoked behind the store's back (its keys go with it), the shared lease is replaced on the next write.
        for lease in leases ?? [] {
            let id = "\(lease["ID"] ?? "")"
            let revoked = try await runCommand("/usr/bin/curl", ["-s", "-X", "POST", "http://\(cluster.clientEndpoints[0])/v3/lease/revoke",
                                                                 "-d", #"{"ID":"\#(id)"}"#])
            #expect(revoked.status == 0 && !revoked.stdout.contains("error"), "\(revoked)")
        }
        #expect(try await store.count(prefix: "/registry/events/") == 0)
        _ = try await store.create(key: "/registry/events/default/after", value: data("after"), ttl: .seconds(3600))
        #expect(try await store.expirations(prefix: "/registry/events/").keys.sorted() == ["/registry/events/default/after"])
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
