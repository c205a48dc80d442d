import CSQLite
import Foundation
import Logging
import Store
import Testing

/// What only the embedded backend does: its own retention-driven compaction keeps the file bounded, and its own
/// expirer deletes keys whose time to live is over.
@Suite struct SQLiteStoreTests {
    @Test func retentionCompactsExpiredHistory() async throws {
        try await StoreFixture.with(.sqlite, retention: .init(minimumRevisions: 5, minimumAge: .zero)) { store, _ in
            let sqlite = try #require(store as? SQLiteStore)
            for i in 0..<20 { _ = try await sqlite.create(key: "/k/\(i)", value: data("\(i)")) }
            try await sqlite.compactExpiredHistory()
            #expect(await sqlite.oldestAvailableRevision == 16)
            // Compaction keeps the database bounded under churn of one key.
            for i in 0..<2000 { _ = try await sqlite.update(key: "/k/0", value: data("\(i)"), expectedRevision: nil) }
            try await sqlite.compactExpiredHistory()
            #expect(await sqlite.oldestAvailableRevision == 2016)
        }
    }

    /// 1,007 due keys go in three transactions of at most 500, each key at its own revision, one after the other, with
    /// a watch event each; keys without a ttl or not yet due stay.
    @Test func expiredKeysGoInBatchesAtConsecutiveRevisions() async throws {
        try await StoreFixture.with(.sqlite) { store, _ in
            let sqlite = try #require(store as? SQLiteStore)
            for i in 0..<1007 { _ = try await sqlite.create(key: "/registry/events/ns/e\(i)", value: data("\(i)"), ttl: .seconds(60)) }
            _ = try await sqlite.create(key: "/registry/events/ns/later", value: data("later"), ttl: .seconds(3600))
            _ = try await sqlite.create(key: "/registry/events/ns/kept", value: data("kept"))
            let base = try await sqlite.currentRevision()
            let stream = try await sqlite.watch(prefix: "/registry/events/", afterRevision: base)
            let inTenMinutes = Date().addingTimeInterval(600)
            var batches: [Int] = []
            while true {
                let deleted = try await sqlite.deleteExpiredKeys(now: inTenMinutes)
                if deleted == 0 { break }
                batches.append(deleted)
            }
            #expect(batches == [500, 500, 7])
            #expect(try await sqlite.currentRevision() == base + 1007)
            var revisions: [Int64] = []
            var keys = Set<String>()
            for try await event in stream {
                #expect(event.kind == .delete)
                revisions.append(event.revision)
                keys.insert(event.current.key)
                if revisions.count == 1007 { break }
            }
            #expect(revisions == Array(base + 1...base + 1007))
            #expect(keys == Set((0..<1007).map { "/registry/events/ns/e\($0)" }))
            #expect(try await sqlite.count(prefix: "/registry/events/") == 2)
            #expect(Array(try await sqlite.expirations(prefix: "/").keys) == ["/registry/events/ns/later"])
        }
    }

    @Test func dueTimesSurviveAReopen() async throws {
        try await StoreFixture.with(.sqlite) { store, fixture in
            _ = try await store.create(key: "/registry/events/ns/e", value: data("e"), ttl: .seconds(3600))
            await store.close()
            let reopened = try #require(try await fixture.reopen() as? SQLiteStore)
            let left = try #require(try await reopened.expirations(prefix: "/")["/registry/events/ns/e"])
            #expect(left > .seconds(3500) && left <= .seconds(3600), "\(left)")
            #expect(try await reopened.deleteExpiredKeys() == 0)
            #expect(try await reopened.deleteExpiredKeys(now: Date().addingTimeInterval(7200)) == 1)
            #expect(try await reopened.get(key: "/registry/events/ns/e") == nil)
            await reopened.close()
        }
    }

    /// A database written before keys could expire (no `kv.expires`) opens: its keys stay, and new ones can expire.
    @Test func oldSchemaDatabaseIsUpgraded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-oldschema-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.db"
        var db: OpaquePointer?
        try #require(sqlite3_open(path, &db) == SQLITE_OK)
        let old = """
            CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB NOT NULL,
                create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE log (revision INTEGER PRIMARY KEY, key TEXT NOT NULL, kind INTEGER NOT NULL,
                value BLOB, prev_value BLOB, create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL,
                unix_time INTEGER NOT NULL);
            CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO meta VALUES ('revision', 1), ('compacted', 0);
            INSERT INTO kv VALUES ('/registry/configmaps/ns/old', x'7b7d', 1, 1);
            INSERT INTO log VALUES (1, '/registry/configmaps/ns/old', 0, x'7b7d', NULL, 1, 0, 0);
            """
        let rc = sqlite3_exec(db, old, nil, nil, nil)
        sqlite3_close(db)
        try #require(rc == SQLITE_OK)

        let store = try SQLiteStore(path: path, logger: Logger(label: "test"))
        #expect(try await store.get(key: "/registry/configmaps/ns/old")?.value == data("{}"))
        #expect(try await store.expirations(prefix: "/").isEmpty)
        let revision = try await store.create(key: "/registry/events/ns/e", value: data("e"), ttl: .seconds(1))
        #expect(revision == 2)
        #expect(try await store.deleteExpiredKeys(now: Date().addingTimeInterval(60)) == 1)
        #expect(try await store.get(key: "/registry/configmaps/ns/old") != nil)
        await store.close()
        // Opening the upgraded file again finds the column and leaves it be.
        let again = try SQLiteStore(path: path, logger: Logger(label: "test"))
        #expect(try await again.currentRevision() == 3)
        await again.close()
    }
}
