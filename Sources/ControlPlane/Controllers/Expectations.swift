import Synchronization

/// Creations and deletions a controller has asked for but not yet seen in its informer (upstream's
/// `UIDTrackingControllerExpectations`).
///
/// A ReplicaSet that just created three pods must not count pods again until its cache shows them, or a slow watch
/// would make it create three more. So the controller records what it expects before writing, the pod handlers
/// mark each arrival, and the ReplicaSet syncs replicas only once `isSatisfied` — or after `timeout`, in case an
/// event was lost.
final class Expectations: Sendable {
    private struct Entry {
        var adds = 0
        var deletions: Set<String> = []
        var since = ContinuousClock.now
    }

    private let entries = Mutex([String: Entry]())
    private let timeout: Duration

    /// - Parameter timeout: after this, unmet expectations no longer block (upstream: 5 minutes).
    init(timeout: Duration = .seconds(300)) {
        self.timeout = timeout
    }

    /// Whether the controller of `key` may count its pods: nothing pending, nothing recorded, or expired.
    func isSatisfied(_ key: String) -> Bool {
        entries.withLock { e in
            guard let entry = e[key] else { return true }
            return (entry.adds <= 0 && entry.deletions.isEmpty) || ContinuousClock.now - entry.since > timeout
        }
    }

    /// Expects `count` creations (replacing any previous expectation of `key`).
    func expectCreations(_ key: String, count: Int) {
        expect(key, creations: count, deletions: [])
    }

    /// Expects the deletion of these pods (`namespace/name` keys).
    func expectDeletions(_ key: String, podKeys: [String]) {
        expect(key, creations: 0, deletions: podKeys)
    }

    /// Expects creations and deletions at once (replacing any previous expectation of `key`), for a controller
    /// that does both in one sync, as the DaemonSet controller does across nodes.
    func expect(_ key: String, creations: Int, deletions podKeys: [String]) {
        entries.withLock { $0[key] = Entry(adds: creations, deletions: Set(podKeys)) }
    }

    /// One expected creation was seen, or will never happen (its create failed).
    func creationObserved(_ key: String) {
        entries.withLock { e in e[key]?.adds -= 1 }
    }

    /// The pod `podKey` is gone or going, or its delete failed.
    func deletionObserved(_ key: String, podKey: String) {
        entries.withLock { e in _ = e[key]?.deletions.remove(podKey) }
    }

    /// Forgets `key` (its owner was deleted).
    func remove(_ key: String) {
        entries.withLock { _ = $0.removeValue(forKey: key) }
    }
}
