import CSQLite
import Foundation
import Logging
import Store
import Testing
import TestSupport

/// `swiftlet store migrate`: a SQLite store with history (updates, deletions) copied into a fresh etcd, every key at
/// the same revision (the objects' resourceVersion) with the same value, and Events with the time to live they had left.
@Suite(.serialized) struct StoreMigrationTests {
    @Test(.timeLimit(.minutes(2)))
    func sqliteToEtcdKeepsEveryResourceVersion() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-migrate-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try SQLiteStore(path: directory + "/state.db", logger: Logger(label: "test"))
        for i in 0..<30 { _ = try await sqlite.create(key: "/registry/configmaps/default/cm-\(i)", value: Data("{\"v\":\(i)}".utf8)) }
        for i in stride(from: 0, to: 30, by: 3) {
            _ = try await sqlite.update(key: "/registry/configmaps/default/cm-\(i)", value: Data("{\"v\":\"updated\"}".utf8), expectedRevision: nil)
        }
        for i in stride(from: 1, to: 30, by: 5) { _ = try await sqlite.delete(key: "/registry/configmaps/default/cm-\(i)", expectedRevision: nil) }
        _ = try await sqlite.create(key: "/bootstrap/abc", value: Data([0, 1, 2, 255]))
        _ = try await sqlite.create(key: "/registry/events/default/hour", value: Data("{}".utf8), ttl: .seconds(3600))
        _ = try await sqlite.create(key: "/registry/events/default/two-hours", value: Data("{}".utf8), ttl: .seconds(7200))
        let before = try await sqlite.list(prefix: "/", startAfter: nil, limit: 0, revision: nil)
        await sqlite.close()

        let etcd = try await EtcdCluster(members: 1)
        defer { etcd.stop() }
        let result = try await runCommand(try BuiltProducts.path(of: "swiftlet"),
                                          ["store", "migrate", "--from", "sqlite:\(directory)/state.db", "--to", etcd.storeArgument])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("migrated \(before.items.count) keys"), "\(result)")
        #expect(result.stdout.contains("2 with the time to live they had left"), "\(result)")

        let target = try await StoreLocation(parsing: etcd.storeArgument).open(logger: Logger(label: "test"))
        let after = try await target.list(prefix: "/", startAfter: nil, limit: 0, revision: nil)
        #expect(after.items.map(\.key) == before.items.map(\.key))
        for (old, new) in zip(before.items, after.items) {
            #expect(new.modRevision == old.modRevision, "\(old.key)")
            #expect(new.value == old.value, "\(old.key)")
        }
        #expect(try await target.get(key: StoreMigration.fillerKey) == nil)
        // The time left, plus at most the reuse window etcd's shared leases get (60 s).
        let expirations = try await target.expirations(prefix: "/")
        #expect(Set(expirations.keys) == ["/registry/events/default/hour", "/registry/events/default/two-hours"])
        let hour = try #require(expirations["/registry/events/default/hour"])
        let twoHours = try #require(expirations["/registry/events/default/two-hours"])
        #expect(hour > .seconds(3400) && hour <= .seconds(3660), "\(hour)")
        #expect(twoHours > .seconds(7000) && twoHours <= .seconds(7260), "\(twoHours)")
        // A write after the move continues past the old history; a second migration into it is refused.
        #expect(try await target.create(key: "/registry/configmaps/default/new", value: Data("{}".utf8)) > before.revision)
        await target.close()
        let again = try await runCommand(try BuiltProducts.path(of: "swiftlet"),
                                         ["store", "migrate", "--from", "sqlite:\(directory)/state.db", "--to", etcd.storeArgument])
        #expect(again.status != 0 && again.stderr.contains("not empty"), "\(again)")
    }

    /// A database from before SQLite stores started at revision 1 holds the cluster's bootstrap data at revision 1,
    /// which a fresh etcd (at revision 1 itself) cannot give a key: that key, not an API object, is written last at a
    /// new revision, and every object keeps its resourceVersion.
    @Test(.timeLimit(.minutes(2)))
    func bootstrapDataAtRevisionOneOfAnOlderDatabaseMovesAndObjectsKeepTheirVersions() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-migrate-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.db"
        let created = try SQLiteStore(path: path, logger: Logger(label: "test"))
        await created.close()
        var db: OpaquePointer?
        try #require(sqlite3_open(path, &db) == SQLITE_OK)
        let rc = sqlite3_exec(db, "UPDATE meta SET value = 0 WHERE name = 'revision'", nil, nil, nil)
        sqlite3_close(db)
        try #require(rc == SQLITE_OK)
        let sqlite = try SQLiteStore(path: path, logger: Logger(label: "test"))
        #expect(try await sqlite.create(key: "/bootstrap/cluster", value: Data([1, 2, 3])) == 1)
        _ = try await sqlite.create(key: "/registry/namespaces/default", value: Data("{}".utf8))
        _ = try await sqlite.create(key: "/registry/configmaps/default/a", value: Data("{\"v\":1}".utf8))
        _ = try await sqlite.update(key: "/registry/configmaps/default/a", value: Data("{\"v\":2}".utf8), expectedRevision: nil)
        let before = try await sqlite.list(prefix: "/registry/", startAfter: nil, limit: 0, revision: nil)
        await sqlite.close()

        let etcd = try await EtcdCluster(members: 1)
        defer { etcd.stop() }
        let result = try await runCommand(try BuiltProducts.path(of: "swiftlet"), ["store", "migrate", "--from", "sqlite:\(path)", "--to", etcd.storeArgument])
        #expect(result.status == 0 && result.stdout.contains("migrated 3 keys")
                && result.stdout.contains("1 without a resourceVersion (bootstrap data) at a new revision"), "\(result)")
        let target = try await StoreLocation(parsing: etcd.storeArgument).open(logger: Logger(label: "test"))
        let after = try await target.list(prefix: "/registry/", startAfter: nil, limit: 0, revision: nil)
        #expect(after.items.map(\.key) == before.items.map(\.key))
        #expect(after.items.map(\.modRevision) == before.items.map(\.modRevision))
        #expect(after.items.map(\.value) == before.items.map(\.value))
        let bootstrap = try #require(try await target.get(key: "/bootstrap/cluster"))
        #expect(bootstrap.value == Data([1, 2, 3]) && bootstrap.modRevision > before.revision)
        await target.close()
    }
}
