import Foundation
import Logging

/// Copies every key of one store into another, empty one, keeping each key's modification revision — the
/// objects' `resourceVersion`s — so clients' caches, watches from a known version and optimistic-concurrency
/// updates stay valid across the move (`swiftlet store migrate --from sqlite:PATH --to etcd://…`).
///
/// A store's revision only ever grows by one per write, so the target is brought to each source revision in turn:
/// keys are written in revision order, and the gaps the source's history left (updates, deletions) are filled by
/// rewriting one placeholder key, which is deleted at the end. The target ends a little past the source's revision.
/// A key with a time to live (an Event) is created with the time it had left, at least a second. A key outside
/// `/registry/` (no API object, so no resourceVersion: the cluster's sealed bootstrap data) that the target's starting
/// revision has already passed — a fresh etcd starts at revision 1, where an SQLite store wrote its bootstrap data — is
/// written after the others, at a new revision.
public struct StoreMigration: Sendable {
    /// What a migration did.
    public struct Report: Sendable, Equatable {
        public var keys: Int
        /// Keys created with the time to live they had left.
        public var expiring: Int
        /// Keys outside `/registry/` written at a new revision, after the others.
        public var moved: Int
        public var fillerWrites: Int
        public var sourceRevision: Int64
        public var targetRevision: Int64
    }

    /// The placeholder key the gaps are written to.
    public static let fillerKey = "/swiftlet/migration-filler"

    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func migrate(from source: any Store, to target: any Store, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        guard try await target.count(prefix: "/") == 0 else {
            throw StoreError.backend("the target store is not empty: migrate into a new one")
        }
        // The time left is read first, so a key that expires in between is missing from the snapshot (etcd) or copied
        // with the least time (SQLite, whose expirer does not run during a migration), never copied without its expiry.
        let expirations = try await source.expirations(prefix: "/")
        // One consistent snapshot of the source, paged.
        var items: [KeyValue] = []
        var startAfter: String?
        var revision: Int64?
        repeat {
            let page = try await source.list(prefix: "/", startAfter: startAfter, limit: 1000, revision: revision)
            revision = page.revision
            items += page.items
            startAfter = page.hasMore ? page.items.last?.key : nil
        } while startAfter != nil
        items.sort { $0.modRevision < $1.modRevision }
        let sourceRevision = revision ?? 0
        var current = try await target.currentRevision()
        let start = current
        let moved = items.filter { $0.modRevision <= start && !$0.key.hasPrefix("/registry/") }
        items.removeAll { $0.modRevision <= start && !$0.key.hasPrefix("/registry/") }
        if let first = items.first, first.modRevision <= current {
            throw StoreError.backend("the target is already at revision \(current), past the first key's revision \(first.modRevision): migrate into a new store")
        }
        var fillers = 0
        var expiring = 0
        var fillerExists = false
        for (index, item) in items.enumerated() {
            while current < item.modRevision - 1 {
                current = fillerExists
                    ? try await target.update(key: Self.fillerKey, value: Data(), expectedRevision: nil)
                    : try await target.create(key: Self.fillerKey, value: Data())
                fillerExists = true
                fillers += 1
            }
            let ttl = expirations[item.key].map { max($0, .seconds(1)) }
            current = try await target.create(key: item.key, value: item.value, ttl: ttl)
            if ttl != nil { expiring += 1 }
            guard current == item.modRevision else {
                throw StoreError.backend("\(item.key) landed at revision \(current), not \(item.modRevision): another client wrote to the target during the migration")
            }
            if index % 500 == 0 { progress(index + 1, items.count + moved.count) }
        }
        if fillerExists { current = try await target.delete(key: Self.fillerKey, expectedRevision: nil).modRevision }
        for item in moved {
            let ttl = expirations[item.key].map { max($0, .seconds(1)) }
            current = try await target.create(key: item.key, value: item.value, ttl: ttl)
            if ttl != nil { expiring += 1 }
        }
        let keys = items.count + moved.count
        progress(keys, keys)
        logger.info("migrated", metadata: ["keys": "\(keys)", "expiring": "\(expiring)", "moved": "\(moved.count)", "fillers": "\(fillers)",
                                           "revision": "\(current)"])
        return Report(keys: keys, expiring: expiring, moved: moved.count, fillerWrites: fillers, sourceRevision: sourceRevision,
                      targetRevision: current)
    }
}
