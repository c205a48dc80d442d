import Foundation
import KubeAPI
import Synchronization

/// Watch events decoded once for every watch of one process that receives the same line: the controllers and the
/// scheduler inside `swiftlet server` each watch pods (and nodes) over their own connection, and the server sends
/// each of them the same bytes for a change. The first watch to read a line decodes it; the others, reading the
/// same bytes moments later, take the decoded event from here.
///
/// A line is only ever reused for a watch of the same kind decoded the same way (with or without managedFields) and
/// only when its bytes are equal, so a watch gets exactly what decoding the line itself would give. Only the last
/// `capacity` lines are kept: the watches of one process read the same change within a moment of each other.
///
/// ```swift
/// let shared = SharedWatchDecoding()
/// var a = configuration, b = configuration
/// a.sharedWatchDecoding = shared; b.sharedWatchDecoding = shared   // two clients, one decode per event
/// ```
public final class SharedWatchDecoding: Sendable {
    private struct Key: Hashable {
        var kind: ObjectIdentifier
        var omitsManagedFields: Bool
        var hash: Int
    }

    private struct Entry {
        var line: [UInt8]
        var event: any Sendable
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Insertion order, oldest first from `next`; a ring of `capacity` keys.
        var order: [Key?]
        var next = 0
        var hits = 0
        var misses = 0
    }

    private let capacity: Int
    private let state: Mutex<State>

    /// - Parameter capacity: how many recently decoded lines are kept.
    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
        state = Mutex(State(order: Array(repeating: nil, count: max(1, capacity))))
    }

    /// Lines served from here and lines decoded, since the start.
    public var counts: (hits: Int, misses: Int) {
        state.withLock { ($0.hits, $0.misses) }
    }

    /// The event `line` decodes to for a watch of `K`, decoding it with `decode` unless another watch already did.
    /// Errors are not kept: every watch that reads a bad or ERROR line throws itself.
    func event<K: KubeObject>(_ type: K.Type, line: [UInt8], omitsManagedFields: Bool,
                              decode: () throws(KubeClientError) -> WatchEvent<K>?) throws(KubeClientError) -> WatchEvent<K>? {
        var hasher = Hasher()
        line.withUnsafeBytes { hasher.combine(bytes: $0) }
        let key = Key(kind: ObjectIdentifier(K.self), omitsManagedFields: omitsManagedFields, hash: hasher.finalize())
        let cached = state.withLock { s -> WatchEvent<K>? in
            guard let entry = s.entries[key], entry.line == line, let event = entry.event as? WatchEvent<K> else { return nil }
            s.hits += 1
            return event
        }
        if let cached { return cached }
        guard let event = try decode() else { return nil }
        state.withLock { s in
            s.misses += 1
            if s.entries[key] != nil { return }
            if let evicted = s.order[s.next] { s.entries[evicted] = nil }
            s.order[s.next] = key
            s.next = (s.next + 1) % capacity
            s.entries[key] = Entry(line: line, event: event)
        }
        return event
    }
}
