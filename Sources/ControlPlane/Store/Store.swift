import Foundation

/// A revisioned key-value store with the semantics the API server needs from etcd v3:
/// one global revision counter, compare-and-swap on a key's modification revision,
/// consistent paginated lists at a revision, and watches that replay history from a revision.
///
/// The embedded SQLite backend (`SQLiteStore`) is the default; an etcd v3 backend implements the same protocol.
///
/// A key written with a time to live (`ttl`) is deleted that long after the write, as an ordinary deletion at a new
/// revision that watches see, unless a later write replaced it: a write with a ttl starts the key's time again, a
/// write without one keeps the key for good (as etcd drops a key's lease on a put without one). The deletion happens
/// at the expiry or shortly after (SQLite looks every `StoreRetention.expiryInterval`, etcd expires leases itself).
public protocol Store: Sendable {
    /// Creates `key`, deleted `ttl` after this write if given; fails with `StoreError.keyExists` if it is present.
    /// Returns the new revision.
    func create(key: String, value: Data, ttl: Duration?) async throws -> Int64
    /// The current value of `key`, or `nil`.
    func get(key: String) async throws -> KeyValue?
    /// Keys with `prefix`, in key order, strictly after `startAfter`, at most `limit` (0 = no limit), as they were at
    /// `revision` (nil = now). Fails with `StoreError.compacted` if that revision's history is gone. `counting` asks for
    /// `ListResult.count` too (SQLite counts with a query of its own).
    func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?, counting: Bool) async throws -> ListResult
    /// Counts the keys with `prefix` now.
    func count(prefix: String) async throws -> Int
    /// Replaces `key`'s value if its modification revision is `expectedRevision` (nil: unconditionally, but the
    /// key must exist); the key is then deleted `ttl` after this write, or (nil) kept. Returns the new revision.
    func update(key: String, value: Data, expectedRevision: Int64?, ttl: Duration?) async throws -> Int64
    /// Deletes `key` if its modification revision is `expectedRevision` (nil: unconditionally).
    /// Returns the deleted value with the revision of the deletion as `modRevision`.
    func delete(key: String, expectedRevision: Int64?) async throws -> KeyValue
    /// Events for keys with `prefix` after `revision` (history first, then live), in revision order.
    /// Fails with `StoreError.compacted` if `revision` is older than the retained history.
    func watch(prefix: String, afterRevision revision: Int64) async throws -> AsyncThrowingStream<WatchEvent, any Error>
    /// `watch(prefix:afterRevision:)` that also answers progress requests (`ProgressWatch`), for a consumer that must
    /// know when it has seen everything up to a revision even though nothing under `prefix` changed.
    func watchWithProgress(prefix: String, afterRevision revision: Int64) async throws -> ProgressWatch
    /// The latest revision.
    func currentRevision() async throws -> Int64
    /// Drops history up to and including `revision`.
    func compact(revision: Int64) async throws
    /// The time left before each key with `prefix` that was written with a ttl is deleted (zero once due); keys
    /// without one are absent. For moving keys to another store with the time they had left.
    func expirations(prefix: String) async throws -> [String: Duration]
}

extension Store {
    /// Creates `key` for good (no time to live).
    public func create(key: String, value: Data) async throws -> Int64 {
        try await create(key: key, value: value, ttl: nil)
    }

    /// Replaces `key`'s value and keeps the key for good (no time to live).
    public func update(key: String, value: Data, expectedRevision: Int64?) async throws -> Int64 {
        try await update(key: key, value: value, expectedRevision: expectedRevision, ttl: nil)
    }
}

/// A `Store` a server owns for its lifetime: it trims history in the background and ends its watches on close.
public protocol ManagedStore: Store {
    /// Starts trimming history in the background, as the store's `StoreRetention` says.
    func startCompactor() async
    /// Stops the compactor, ends every watch and refuses new ones.
    func close() async
}

/// How much history watches can rely on: revisions newer than `minimumRevisions` or `minimumAge` are kept;
/// compaction runs every `interval`. Keys whose time to live is over are looked for every `expiryInterval` (by the
/// stores that expire keys themselves: SQLite; etcd expires its leases on its own).
public struct StoreRetention: Sendable {
    public var minimumRevisions: Int64
    public var minimumAge: Duration
    public var interval: Duration
    public var expiryInterval: Duration

    public init(minimumRevisions: Int64 = 1000, minimumAge: Duration = .seconds(300), interval: Duration = .seconds(60),
                expiryInterval: Duration = .seconds(1)) {
        self.minimumRevisions = minimumRevisions
        self.minimumAge = minimumAge
        self.interval = interval
        self.expiryInterval = expiryInterval
    }
}

/// One key with its value and revisions (etcd's `mvccpb.KeyValue`).
public struct KeyValue: Sendable, Hashable {
    public var key: String
    public var value: Data
    /// The revision that created the key.
    public var createRevision: Int64
    /// The revision of the last change (the object's `resourceVersion`).
    public var modRevision: Int64

    public init(key: String, value: Data, createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

extension Store {
    /// A list without `ListResult.count`.
    public func list(prefix: String, startAfter: String?, limit: Int, revision: Int64?) async throws -> ListResult {
        try await list(prefix: prefix, startAfter: startAfter, limit: limit, revision: revision, counting: false)
    }
}

/// The answer to `Store.list`.
public struct ListResult: Sendable {
    public var items: [KeyValue]
    /// The revision the list reflects.
    public var revision: Int64
    /// Whether more keys follow the last one returned.
    public var hasMore: Bool
    /// How many keys the listed range held at `revision`, those returned included (etcd's range `count`), when the
    /// list asked for it: the API server's `remainingItemCount` is this less the page's limit.
    public var count: Int?

    public init(items: [KeyValue], revision: Int64, hasMore: Bool, count: Int? = nil) {
        self.items = items
        self.revision = revision
        self.hasMore = hasMore
        self.count = count
    }
}

/// A change to one key.
public struct WatchEvent: Sendable, Hashable {
    public enum Kind: Int, Sendable { case create = 0, update = 1, delete = 2 }
    public var kind: Kind
    /// For create/update the new value; for delete the last value, with `modRevision` = the deletion's revision.
    public var current: KeyValue
    /// The value before the change (update and delete), if known.
    public var previous: Data?
    /// The modification revision of `previous`, when the store knows it (an object version is identified by its
    /// key and this revision: the API server's watches share what they derive from one version).
    public var previousRevision: Int64?

    public init(kind: Kind, current: KeyValue, previous: Data?, previousRevision: Int64? = nil) {
        self.kind = kind
        self.current = current
        self.previous = previous
        self.previousRevision = previousRevision
    }

    public var revision: Int64 { current.modRevision }
}

/// What can go wrong in a `Store`, with the key or revision concerned.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case keyExists(key: String)
    case keyNotFound(key: String)
    /// The key's modification revision was not the expected one; `current` is what is stored now.
    case conflict(key: String, expected: Int64, current: KeyValue)
    /// The requested revision is older than the retained history.
    case compacted(requested: Int64, compactedRevision: Int64)
    /// A revision in the future was requested.
    case futureRevision(requested: Int64, current: Int64)
    /// The backend failed (I/O, corruption, connection); the message says what it was doing.
    case backend(String)

    public var description: String {
        switch self {
        case .keyExists(let key): "key exists: \(key)"
        case .keyNotFound(let key): "key not found: \(key)"
        case .conflict(let key, let expected, let current):
            "revision mismatch on \(key): expected \(expected), found \(current.modRevision)"
        case .compacted(let requested, let compacted):
            "required revision \(requested) has been compacted (compacted revision \(compacted))"
        case .futureRevision(let requested, let current):
            "revision \(requested) is in the future (current revision \(current))"
        case .backend(let message): message
        }
    }
}

extension String {
    /// The smallest string greater than every string with this prefix (for range scans).
    var prefixUpperBound: String {
        var scalars = Array(unicodeScalars)
        while let last = scalars.popLast() {
            if last.value < 0x10FFFF, let next = Unicode.Scalar(last.value + 1) {
                scalars.append(next)
                return String(String.UnicodeScalarView(scalars))
            }
        }
        return "\u{10FFFF}"
    }
}
