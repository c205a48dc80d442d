import Synchronization

/// Something derived from recent object versions of one kind — a version is a key and the revision it was stored at —
/// so that what one request or watcher worked out serves the next one instead of being derived again from the stored
/// bytes. Bounded: the oldest versions are forgotten first.
///
///     let cache = VersionCache<Pod>(capacity: 256)
///     cache.remember(pod, key: key, revision: 42)
///     cache.value(key: key, revision: 42)   // the pod; nil for any other revision
final class VersionCache<Value: Sendable>: Sendable {
    private struct Version: Hashable {
        let key: String
        let revision: Int64
    }

    private struct State {
        var values: [Version: Value] = [:]
        /// Insertion order, as a ring of `capacity` slots: the slot at `next` holds the oldest version once full.
        var order: [Version?]
        var next = 0
    }

    let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        state = Mutex(State(order: Array(repeating: nil, count: max(1, capacity))))
    }

    /// What was remembered for the version of `key` stored at `revision`, if anything.
    func value(key: String, revision: Int64) -> Value? {
        state.withLock { $0.values[Version(key: key, revision: revision)] }
    }

    /// Remembers `value` for the version of `key` stored at `revision` (a version remembered already keeps its
    /// value), forgetting the oldest version when full.
    func remember(_ value: Value, key: String, revision: Int64) {
        let version = Version(key: key, revision: revision)
        state.withLock { state in
            guard state.values[version] == nil else { return }
            state.values[version] = value
            if let oldest = state.order[state.next] { state.values[oldest] = nil }
            state.order[state.next] = version
            state.next = (state.next + 1) % capacity
        }
    }

    /// Forgets everything.
    func removeAll() {
        state.withLock { state in
            state.values.removeAll()
            state.order = Array(repeating: nil, count: capacity)
            state.next = 0
        }
    }

    /// How many versions are remembered.
    var count: Int { state.withLock { $0.values.count } }
}
