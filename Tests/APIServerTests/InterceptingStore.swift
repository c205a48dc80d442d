import Foundation
import Store

/// A store that forwards every call to `base`, running `beforeList` (with the listed prefix) before each list and
/// `beforeUpdate` (with the key and `base`) before each update: the admission tests shape their slow reads, counts
/// and lost-write races with it.
struct InterceptingStore: Store {
    let base: any Store
    var beforeList: @Sendable (String) async throws -> Void = { _ in }
    var beforeUpdate: @Sendable (String, any Store) async throws -> Void = { _, _ in }

    func create(key: String, value: Data, ttl: Duration?) async throws -> Int64 { try await base.create(key: key, value: value, ttl: ttl) }
    func get(key: String) async throws -> KeyValue? { try await base.get(key: key) }
    func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?, counting: Bool) async throws -> ListResult {
        try await beforeList(prefix)
        return try await base.list(prefix: prefix, startAfter: startAfter, limit: limit, revision: revision, counting: counting)
    }
    func count(prefix: String) async throws -> Int { try await base.count(prefix: prefix) }
    func update(key: String, value: Data, expectedRevision: Int64?, ttl: Duration?) async throws -> Int64 {
        try await beforeUpdate(key, base)
        return try await base.update(key: key, value: value, expectedRevision: expectedRevision, ttl: ttl)
    }
    func delete(key: String, expectedRevision: Int64?) async throws -> KeyValue { try await base.delete(key: key, expectedRevision: expectedRevision) }
    func watch(prefix: String, afterRevision revision: Int64) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try await base.watch(prefix: prefix, afterRevision: revision)
    }
    func watchWithProgress(prefix: String, afterRevision revision: Int64) async throws -> ProgressWatch {
        try await base.watchWithProgress(prefix: prefix, afterRevision: revision)
    }
    func currentRevision() async throws -> Int64 { try await base.currentRevision() }
    func compact(revision: Int64) async throws { try await base.compact(revision: revision) }
    func expirations(prefix: String) async throws -> [String: Duration] { try await base.expirations(prefix: prefix) }
}
