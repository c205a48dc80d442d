import Foundation
import Logging
import Metrics

/// The embedded `Store`: one SQLite database in WAL mode.
///
/// Two tables keep reads off the history: `kv` holds the latest version of each key (found by primary key),
/// `log` holds one row per revision with the previous value, which serves watches and lists at an older revision
/// (undoing the few changes made since). `compactor` trims `log` so the file stays bounded under churn.
///
/// A key written with a time to live carries its due time in `kv.expires` (Unix milliseconds, wall clock, so it
/// survives a restart; NULL = never); the expirer started with the compactor deletes due keys every
/// `retention.expiryInterval`, each as an ordinary deletion with its log entry and watch event.
///
/// A new database starts at revision 1, as etcd does, so its first write is revision 2 there as here and
/// `swiftlet store migrate` can keep every key's revision in a fresh etcd.
public actor SQLiteStore: ManagedStore {
    private let connection: SQLiteConnection
    private let logger: Logger
    private let retention: StoreRetention
    private var revision: Int64 = 0
    private var compactedRevision: Int64 = 0
    private var watchers = WatcherSet()
    private var compactor: Task<Void, Never>?
    private var expirer: Task<Void, Never>?
    private var closed = false
    /// Keys deleted per expiry transaction (soonest due first); a full batch is followed at once by another.
    public static let expiryBatch = 500
    private let expiredKeys = Counter(label: "sqlite_store_expired_keys_total")

    /// Opens (creating if needed) the database at `path`.
    public init(path: String, retention: StoreRetention = StoreRetention(), logger: Logger = Logger(label: "swiftlet.store")) throws {
        connection = try SQLiteConnection(path: path)
        self.logger = logger
        self.retention = retention
        try connection.execute("""
            PRAGMA auto_vacuum = INCREMENTAL;
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS kv (
                key TEXT PRIMARY KEY, value BLOB NOT NULL,
                create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL, expires INTEGER) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS log (
                revision INTEGER PRIMARY KEY, key TEXT NOT NULL, kind INTEGER NOT NULL,
                value BLOB, prev_value BLOB, create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL,
                unix_time INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS log_time ON log(unix_time);
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            INSERT OR IGNORE INTO meta VALUES ('revision', 1), ('compacted', 0);
            """)
        // A database from before keys could expire gains the column (NULL: every existing key is kept).
        var hasExpires = false
        try connection.query("SELECT 1 FROM pragma_table_info('kv') WHERE name = 'expires'") { _ in hasExpires = true }
        if !hasExpires {
            try connection.execute("ALTER TABLE kv ADD COLUMN expires INTEGER")
            logger.info("added the expiry column to the store", metadata: ["path": "\(path)"])
        }
        try connection.execute("CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL")
        var revision: Int64 = 0
        var compacted: Int64 = 0
        try connection.query("SELECT name, value FROM meta") { row in
            switch row.text(0) {
            case "revision": revision = row.int(1)
            case "compacted": compacted = row.int(1)
            default: break
            }
        }
        self.revision = revision
        self.compactedRevision = compacted
    }

    /// Starts trimming history in the background, every `retention.interval`, and deleting keys whose time to live
    /// is over, every `retention.expiryInterval`.
    public func startCompactor() {
        startExpirer()
        guard compactor == nil else { return }
        let interval = retention.interval
        compactor = Task { [weak self] in
            while !Task.isCancelled {
                // Cancelled (the store is closing): stop before another round, which would use a closed client.
                guard (try? await Task.sleep(for: interval)) != nil, let self else { return }
                do { try await self.compactExpiredHistory() } catch {
                    self.logger.error("compaction failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Stops the compactor, ends every watch and refuses new ones.
    public func close() {
        closed = true
        compactor?.cancel()
        compactor = nil
        expirer?.cancel()
        expirer = nil
        watchers.finishAll()
    }

    // MARK: Reads

    public func get(key: String) throws -> KeyValue? {
        var result: KeyValue?
        try connection.query("SELECT value, create_revision, mod_revision FROM kv WHERE key = ?", [.text(key)]) { row in
            result = KeyValue(key: key, value: row.blob(0), createRevision: row.int(1), modRevision: row.int(2))
        }
        return result
    }

    public func currentRevision() -> Int64 { revision }

    public func count(prefix: String) throws -> Int {
        var n = 0
        try connection.query("SELECT COUNT(*) FROM kv WHERE key >= ? AND key < ?",
                             [.text(prefix), .text(prefix.prefixUpperBound)]) { n = Int($0.int(0)) }
        return n
    }

    public func list(prefix: String, startAfter: String?, limit: Int, revision requested: Int64?, counting: Bool) throws -> ListResult {
        let at = requested ?? revision
        if at > revision { throw StoreError.futureRevision(requested: at, current: revision) }
        if at < compactedRevision { throw StoreError.compacted(requested: at, compactedRevision: compactedRevision) }
        let lower = startAfter ?? ""
        let upper = prefix.prefixUpperBound
        let from = max(lower, prefix)

        // Keys changed since `at`: their state at `at` comes from the first later log entry's previous value.
        var overlay: [String: KeyValue?] = [:]
        if at < revision {
            try connection.query("""
                SELECT key, kind, prev_value, create_revision, prev_revision FROM log
                WHERE revision > ? AND key >= ? AND key < ? ORDER BY revision
                """, [.int(at), .text(from), .text(upper)]) { row in
                let key = row.text(0)
                guard key > lower, overlay[key] == nil else { return }
                if WatchEvent.Kind(rawValue: Int(row.int(1))) == .create {
                    overlay[key] = .some(nil)
                } else {
                    overlay[key] = KeyValue(key: key, value: row.blob(2), createRevision: row.int(3), modRevision: row.int(4))
                }
            }
        }
        let fetch = limit > 0 ? limit + overlay.count + 1 : -1
        var items: [KeyValue] = []
        // One lower bound only: given both `key > ?` and `key >= ?`, SQLite seeks by the first, so a list of a prefix
        // that sorts late (priorityclasses after pods) read every key before it, once per pod created.
        let (bound, bottom) = lower >= prefix ? (">", lower) : (">=", prefix)
        try connection.query("""
            SELECT key, value, create_revision, mod_revision FROM kv
            WHERE key \(bound) ? AND key < ? ORDER BY key LIMIT ?
            """, [.text(bottom), .text(upper), .int(Int64(fetch))]) { row in
            let key = row.text(0)
            guard overlay[key] == nil else { return }
            items.append(KeyValue(key: key, value: row.blob(1), createRevision: row.int(2), modRevision: row.int(3)))
        }
        if !overlay.isEmpty {
            items.append(contentsOf: overlay.values.compactMap { $0 })
            items.sort { $0.key < $1.key }
        }
        guard limit > 0, items.count > limit else { return ListResult(items: items, revision: at, hasMore: false, count: counting ? items.count : nil) }
        items.removeLast(items.count - limit)
        guard counting else { return ListResult(items: items, revision: at, hasMore: true) }
        // The range's size at `at`, as etcd counts it: the keys unchanged since, plus those that existed then among
        // the changed ones.
        var unchanged = 0
        try connection.query("""
            SELECT COUNT(*) FROM kv WHERE key \(bound) ? AND key < ?
            AND key NOT IN (SELECT key FROM log WHERE revision > ? AND key \(bound) ? AND key < ?)
            """, [.text(bottom), .text(upper), .int(at), .text(bottom), .text(upper)]) { unchanged = Int($0.int(0)) }
        return ListResult(items: items, revision: at, hasMore: true, count: unchanged + overlay.values.count { $0 != nil })
    }

    // MARK: Writes

    public func create(key: String, value: Data, ttl: Duration?) throws -> Int64 {
        try write { next in
            if try get(key: key) != nil { throw StoreError.keyExists(key: key) }
            try connection.query("INSERT INTO kv VALUES (?, ?, ?, ?, ?)",
                                 [.text(key), .blob(value), .int(next), .int(next), Self.expiry(after: ttl)])
            try appendLog(next, key: key, kind: .create, value: value, previous: nil, createRevision: next, previousRevision: 0)
            return WatchEvent(kind: .create, current: KeyValue(key: key, value: value, createRevision: next, modRevision: next),
                              previous: nil)
        }
    }

    public func update(key: String, value: Data, expectedRevision: Int64?, ttl: Duration?) throws -> Int64 {
        try write { next in
            guard let current = try get(key: key) else { throw StoreError.keyNotFound(key: key) }
            if let expectedRevision, current.modRevision != expectedRevision {
                throw StoreError.conflict(key: key, expected: expectedRevision, current: current)
            }
            try connection.query("UPDATE kv SET value = ?, mod_revision = ?, expires = ? WHERE key = ?",
                                 [.blob(value), .int(next), Self.expiry(after: ttl), .text(key)])
            try appendLog(next, key: key, kind: .update, value: value, previous: current.value,
                          createRevision: current.createRevision, previousRevision: current.modRevision)
            return WatchEvent(kind: .update,
                              current: KeyValue(key: key, value: value, createRevision: current.createRevision, modRevision: next),
                              previous: current.value, previousRevision: current.modRevision)
        }
    }

    public func delete(key: String, expectedRevision: Int64?) throws -> KeyValue {
        let event = try writeEvent { next in
            guard let current = try get(key: key) else { throw StoreError.keyNotFound(key: key) }
            if let expectedRevision, current.modRevision != expectedRevision {
                throw StoreError.conflict(key: key, expected: expectedRevision, current: current)
            }
            return try remove(current, at: next)
        }
        return event.current
    }

    /// Deletes `current`'s key at revision `next` with its log entry; the event to publish once committed.
    private func remove(_ current: KeyValue, at next: Int64) throws -> WatchEvent {
        try connection.query("DELETE FROM kv WHERE key = ?", [.text(current.key)])
        try appendLog(next, key: current.key, kind: .delete, value: nil, previous: current.value,
                      createRevision: current.createRevision, previousRevision: current.modRevision)
        return WatchEvent(kind: .delete,
                          current: KeyValue(key: current.key, value: current.value, createRevision: current.createRevision, modRevision: next),
                          previous: current.value, previousRevision: current.modRevision)
    }

    /// `kv.expires` for a write with `ttl`: now plus the ttl in Unix milliseconds, or NULL.
    private static func expiry(after ttl: Duration?) -> SQLiteConnection.Value {
        guard let ttl else { return .null }
        let (seconds, attoseconds) = ttl.components
        return .int(unixMilliseconds(Date()) + seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    private static func unixMilliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Runs one write at the next revision in a transaction, then publishes its event to watchers.
    private func write(_ body: (Int64) throws -> WatchEvent) throws -> Int64 {
        try writeEvent(body).revision
    }

    private func writeEvent(_ body: (Int64) throws -> WatchEvent) throws -> WatchEvent {
        let next = revision + 1
        let event = try connection.transaction(immediate: true) {
            let event = try body(next)
            try connection.query("UPDATE meta SET value = ? WHERE name = 'revision'", [.int(next)])
            return event
        }
        revision = next
        watchers.publish(event)
        return event
    }

    private func appendLog(_ revision: Int64, key: String, kind: WatchEvent.Kind, value: Data?, previous: Data?,
                           createRevision: Int64, previousRevision: Int64) throws {
        try connection.query("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            .int(revision), .text(key), .int(Int64(kind.rawValue)), value.map { .blob($0) } ?? .null,
            previous.map { .blob($0) } ?? .null, .int(createRevision), .int(previousRevision),
            .int(Int64(Date().timeIntervalSince1970)),
        ])
    }

    // MARK: Expiry

    public func expirations(prefix: String) throws -> [String: Duration] {
        let now = Self.unixMilliseconds(Date())
        var result: [String: Duration] = [:]
        try connection.query("SELECT key, expires FROM kv WHERE key >= ? AND key < ? AND expires IS NOT NULL",
                             [.text(prefix), .text(prefix.prefixUpperBound)]) { row in
            result[row.text(0)] = .milliseconds(max(row.int(1) - now, 0))
        }
        return result
    }

    /// Deletes up to `expiryBatch` keys due at `now` (soonest first) in one transaction, at consecutive revisions,
    /// each with its log entry and watch event as `delete` makes them. Returns how many it deleted.
    @discardableResult
    public func deleteExpiredKeys(now: Date = Date()) throws -> Int {
        var due: [KeyValue] = []
        try connection.query("""
            SELECT key, value, create_revision, mod_revision FROM kv WHERE expires <= ? ORDER BY expires LIMIT ?
            """, [.int(Self.unixMilliseconds(now)), .int(Int64(Self.expiryBatch))]) { row in
            due.append(KeyValue(key: row.text(0), value: row.blob(1), createRevision: row.int(2), modRevision: row.int(3)))
        }
        guard !due.isEmpty else { return 0 }
        var next = revision
        let events = try connection.transaction(immediate: true) {
            var events: [WatchEvent] = []
            for current in due {
                next += 1
                events.append(try remove(current, at: next))
            }
            try connection.query("UPDATE meta SET value = ? WHERE name = 'revision'", [.int(next)])
            return events
        }
        revision = next
        for event in events { watchers.publish(event) }
        expiredKeys.increment(by: events.count)
        logger.debug("deleted expired keys", metadata: ["keys": "\(events.count)", "revision": "\(next)"])
        return events.count
    }

    /// Deletes due keys every `retention.expiryInterval`: one batch per actor turn, so writes get in between batches.
    private func startExpirer() {
        guard expirer == nil else { return }
        let interval = retention.expiryInterval
        expirer = Task { [weak self] in
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: interval)) != nil, let self else { return }
                do {
                    while !Task.isCancelled, try await self.deleteExpiredKeys() == Self.expiryBatch {}
                } catch {
                    self.logger.error("deleting expired keys failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    // MARK: Watch

    public func watch(prefix: String, afterRevision after: Int64) throws -> AsyncThrowingStream<WatchEvent, any Error> {
        let history = try history(prefix: prefix, after: after)
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(history.count + WatcherSet.liveBufferLimit))
        for event in history { continuation.yield(event) }
        register(prefix: prefix, .events(continuation))
        return stream
    }

    /// A watch whose progress requests are answered in the actor, after every event already published: exact.
    public func watchWithProgress(prefix: String, afterRevision after: Int64) throws -> ProgressWatch {
        let history = try history(prefix: prefix, after: after)
        let (stream, continuation) = AsyncThrowingStream<WatchUpdate, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(history.count + WatcherSet.liveBufferLimit))
        for event in history { continuation.yield(.event(event)) }
        let id = register(prefix: prefix, .updates(continuation))
        return ProgressWatch(updates: stream) { [weak self] in await self?.reportProgress(id) }
    }

    /// The events under `prefix` after `after`, checked against the retained history.
    private func history(prefix: String, after: Int64) throws -> [WatchEvent] {
        if closed { throw StoreError.backend("the store is shutting down") }
        if after < compactedRevision { throw StoreError.compacted(requested: after, compactedRevision: compactedRevision) }
        if after > revision { throw StoreError.futureRevision(requested: after, current: revision) }
        var history: [WatchEvent] = []
        try connection.query("""
            SELECT revision, key, kind, value, prev_value, create_revision, prev_revision FROM log
            WHERE revision > ? AND key >= ? AND key < ? ORDER BY revision
            """, [.int(after), .text(prefix), .text(prefix.prefixUpperBound)]) { row in
            let kind = WatchEvent.Kind(rawValue: Int(row.int(2))) ?? .update
            let value = kind == .delete ? row.blob(4) : row.blob(3)
            history.append(WatchEvent(
                kind: kind, current: KeyValue(key: row.text(1), value: value, createRevision: row.int(5), modRevision: row.int(0)),
                previous: row.isNull(4) ? nil : row.blob(4), previousRevision: row.isNull(4) ? nil : row.int(6)))
        }
        return history
    }

    /// Adds a watcher whose history is already in its stream. History and registration happen in one actor turn, so
    /// no write falls between them.
    @discardableResult
    private func register(prefix: String, _ sink: WatchSink) -> Int {
        let id = watchers.add(prefix: prefix, sink: sink)
        sink.onTermination { [weak self] in Task { await self?.removeWatcher(id) } }
        return id
    }

    private func reportProgress(_ id: Int) { watchers.progress(id, revision: revision) }

    private func removeWatcher(_ id: Int) { watchers.remove(id) }

    /// The number of open watches (for metrics and tests).
    public var watcherCount: Int { watchers.count }

    // MARK: Compaction

    public func compact(revision target: Int64) throws {
        guard target > compactedRevision else { return }
        let bounded = min(target, revision)
        try connection.transaction(immediate: true) {
            try connection.query("DELETE FROM log WHERE revision <= ?", [.int(bounded)])
            try connection.query("UPDATE meta SET value = ? WHERE name = 'compacted'", [.int(bounded)])
        }
        compactedRevision = bounded
        try connection.execute("PRAGMA incremental_vacuum")
        logger.debug("compacted", metadata: ["revision": "\(bounded)"])
    }

    /// The revision history is trimmed to: everything but the newest `minimumRevisions` that is also older than `minimumAge`.
    public func compactExpiredHistory() throws {
        let byCount = revision - retention.minimumRevisions
        guard byCount > compactedRevision else { return }
        let cutoff = Int64(Date().timeIntervalSince1970) - retention.minimumAge.components.seconds
        var byAge: Int64 = 0
        try connection.query("SELECT MAX(revision) FROM log WHERE unix_time <= ?", [.int(cutoff)]) { row in
            byAge = row.isNull(0) ? 0 : row.int(0)
        }
        let target = min(byCount, byAge)
        if target > compactedRevision { try compact(revision: target) }
    }

    /// The oldest revision a watch or list can still start from.
    public var oldestAvailableRevision: Int64 { compactedRevision }
}

/// The open watches of a store and the prefix each follows.
struct WatcherSet {
    /// Events a watcher may fall behind by before it is closed (the client then re-watches from its last revision).
    static let liveBufferLimit = 10_000

    private var next = 0
    private var entries: [Int: (prefix: String, sink: WatchSink)] = [:]

    var count: Int { entries.count }

    mutating func add(prefix: String, sink: WatchSink) -> Int {
        next += 1
        entries[next] = (prefix, sink)
        return next
    }

    mutating func remove(_ id: Int) { entries[id] = nil }

    mutating func publish(_ event: WatchEvent) {
        for (id, entry) in entries where event.current.key.hasPrefix(entry.prefix) {
            if case .dropped = entry.sink.deliver(event) {
                entry.sink.finish()
                entries[id] = nil
            }
        }
    }

    /// Tells watcher `id` it has been sent everything up to `revision` (the store's current one).
    mutating func progress(_ id: Int, revision: Int64) {
        guard let entry = entries[id] else { return }
        if case .dropped = entry.sink.progress(revision) {
            entry.sink.finish()
            entries[id] = nil
        }
    }

    mutating func finishAll() {
        for entry in entries.values { entry.sink.finish() }
        entries.removeAll()
    }
}
