import Foundation
import Store
import Testing

/// A fresh database in a temporary directory, removed when the test ends.
func withTemporaryStore(retention: SQLiteStore.Retention = .init(), _ body: (SQLiteStore, String) async throws -> Void) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try SQLiteStore(path: dir.appendingPathComponent("state.db").path, retention: retention)
    try await body(store, dir.path)
    await store.close()
}

private func data(_ s: String) -> Data { Data(s.utf8) }

@Suite struct SQLiteStoreTests {
    @Test func createGetUpdateDelete() async throws {
        try await withTemporaryStore { store, _ in
            let r1 = try await store.create(key: "/registry/pods/a/x", value: data("one"))
            #expect(r1 == 1)
            await #expect(throws: StoreError.keyExists(key: "/registry/pods/a/x")) {
                _ = try await store.create(key: "/registry/pods/a/x", value: data("again"))
            }
            let r2 = try await store.update(key: "/registry/pods/a/x", value: data("two"), expectedRevision: r1)
            #expect(r2 == 2)
            let got = try await store.get(key: "/registry/pods/a/x")
            #expect(got == KeyValue(key: "/registry/pods/a/x", value: data("two"), createRevision: 1, modRevision: 2))
            await #expect {
                _ = try await store.update(key: "/registry/pods/a/x", value: data("stale"), expectedRevision: r1)
            } throws: { error in
                guard case StoreError.conflict(_, let expected, let current) = error else { return false }
                return expected == 1 && current.modRevision == 2
            }
            let deleted = try await store.delete(key: "/registry/pods/a/x", expectedRevision: nil)
            #expect(deleted.modRevision == 3)
            #expect(deleted.value == data("two"))
            #expect(try await store.get(key: "/registry/pods/a/x") == nil)
            await #expect(throws: StoreError.keyNotFound(key: "/registry/pods/a/x")) {
                _ = try await store.delete(key: "/registry/pods/a/x", expectedRevision: nil)
            }
        }
    }

    @Test func listPagesAndListsAtAnOlderRevision() async throws {
        try await withTemporaryStore { store, _ in
            for i in 0..<10 { _ = try await store.create(key: "/registry/pods/ns/p\(i)", value: data("v\(i)")) }
            _ = try await store.create(key: "/registry/pods/other/q", value: data("q"))
            _ = try await store.create(key: "/registry/services/ns/s", value: data("s"))
            let page1 = try await store.list(prefix: "/registry/pods/ns/", startAfter: nil, limit: 4, revision: nil)
            #expect(page1.items.map(\.key) == (0..<4).map { "/registry/pods/ns/p\($0)" })
            #expect(page1.hasMore)
            // Changes after the first page must not show in later pages of the same list.
            _ = try await store.delete(key: "/registry/pods/ns/p5", expectedRevision: nil)
            _ = try await store.update(key: "/registry/pods/ns/p6", value: data("changed"), expectedRevision: nil)
            _ = try await store.create(key: "/registry/pods/ns/p55", value: data("new"))
            let page2 = try await store.list(prefix: "/registry/pods/ns/", startAfter: page1.items.last!.key, limit: 4,
                                             revision: page1.revision)
            #expect(page2.items.map(\.key) == ["/registry/pods/ns/p4", "/registry/pods/ns/p5", "/registry/pods/ns/p6", "/registry/pods/ns/p7"])
            #expect(page2.items[2].value == data("v6"))
            #expect(page2.revision == page1.revision)
            let page3 = try await store.list(prefix: "/registry/pods/ns/", startAfter: page2.items.last!.key, limit: 4,
                                             revision: page1.revision)
            #expect(page3.items.map(\.key) == ["/registry/pods/ns/p8", "/registry/pods/ns/p9"])
            #expect(!page3.hasMore)
            let now = try await store.list(prefix: "/registry/pods/ns/", startAfter: nil, limit: 0, revision: nil)
            #expect(now.items.count == 10)
            #expect(now.items.contains { $0.key == "/registry/pods/ns/p55" })
            #expect(try await store.count(prefix: "/registry/pods/") == 11)
        }
    }

    @Test func watchReplaysHistoryThenDeliversLiveEventsInOrder() async throws {
        try await withTemporaryStore { store, _ in
            _ = try await store.create(key: "/registry/pods/a", value: data("1"))
            _ = try await store.create(key: "/registry/services/b", value: data("x"))
            let stream = try await store.watch(prefix: "/registry/pods/", afterRevision: 0)
            let writer = Task {
                for i in 0..<200 { _ = try await store.update(key: "/registry/pods/a", value: data("\(i)"), expectedRevision: nil) }
                _ = try await store.delete(key: "/registry/pods/a", expectedRevision: nil)
            }
            var revisions: [Int64] = []
            var kinds: [WatchEvent.Kind] = []
            for try await event in stream {
                revisions.append(event.revision)
                kinds.append(event.kind)
                if event.kind == .delete { break }
            }
            try await writer.value
            #expect(revisions.count == 202)
            #expect(revisions == revisions.sorted())
            #expect(Set(revisions).count == revisions.count)
            #expect(kinds.first == .create && kinds.last == .delete)
            #expect(!revisions.contains(2))
        }
    }

    @Test func compactionMakesOldRevisionsGone() async throws {
        try await withTemporaryStore(retention: .init(minimumRevisions: 5, minimumAge: .zero)) { store, _ in
            for i in 0..<20 { _ = try await store.create(key: "/k/\(i)", value: data("\(i)")) }
            try await store.compactExpiredHistory()
            #expect(await store.oldestAvailableRevision == 15)
            await #expect(throws: StoreError.compacted(requested: 3, compactedRevision: 15)) {
                _ = try await store.watch(prefix: "/k/", afterRevision: 3)
            }
            await #expect(throws: StoreError.compacted(requested: 3, compactedRevision: 15)) {
                _ = try await store.list(prefix: "/k/", startAfter: nil, limit: 1, revision: 3)
            }
            var seen = 0
            for try await _ in try await store.watch(prefix: "/k/", afterRevision: 15) {
                seen += 1
                if seen == 5 { break }
            }
            #expect(seen == 5)
            // Compaction keeps the database bounded under churn of one key.
            for i in 0..<2000 { _ = try await store.update(key: "/k/0", value: data("\(i)"), expectedRevision: nil) }
            try await store.compactExpiredHistory()
            #expect(await store.oldestAvailableRevision == 2015)
        }
    }

    @Test func concurrentWritersNeverLoseAnAcknowledgedWrite() async throws {
        try await withTemporaryStore { store, path in
            let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        var keys: [String] = []
                        for i in 0..<50 {
                            let key = "/registry/configmaps/w\(writer)/c\(i)"
                            _ = try await store.create(key: key, value: data("\(writer)-\(i)"))
                            keys.append(key)
                        }
                        return keys
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(acknowledged.count == 800)
            await store.close()
            // A second connection (a restarted server) sees every acknowledged write.
            let reopened = try SQLiteStore(path: path + "/state.db")
            let listed = try await reopened.list(prefix: "/registry/configmaps/", startAfter: nil, limit: 0, revision: nil)
            #expect(Set(listed.items.map(\.key)) == Set(acknowledged))
            #expect(try await reopened.currentRevision() == 800)
            await reopened.close()
        }
    }
}
