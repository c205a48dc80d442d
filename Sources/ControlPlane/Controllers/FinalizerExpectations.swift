import Synchronization

/// The pods whose Job tracking finalizer a controller has asked to remove but not yet seen removed in its
/// informer (upstream's `uidTrackingExpectations` as the Job controller uses it), by the owning Job's key.
///
/// A pod whose removal is expected is already counted in the Job's status, so a sync that runs before the watch
/// catches up must not count it a second time.
final class FinalizerExpectations: Sendable {
    private let entries = Mutex([String: Set<String>]())

    /// The pod UIDs of `key` whose finalizer removal is pending.
    func expected(_ key: String) -> Set<String> {
        entries.withLock { $0[key] ?? [] }
    }

    /// Expects the finalizers of these pods (by UID) to be removed.
    func expectRemovals(_ key: String, uids: [String]) {
        entries.withLock { $0[key, default: []].formUnion(uids) }
    }

    /// The finalizer of `uid` is gone (or the pod is), or its removal failed.
    func removalObserved(_ key: String, uid: String) {
        entries.withLock { e in
            e[key]?.remove(uid)
            if e[key]?.isEmpty == true { e[key] = nil }
        }
    }

    /// Forgets `key` (its Job was deleted).
    func remove(_ key: String) {
        entries.withLock { _ = $0.removeValue(forKey: key) }
    }
}
