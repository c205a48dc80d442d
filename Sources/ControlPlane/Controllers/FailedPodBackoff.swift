import Synchronization

/// Per-key exponential backoff for replacing failed pods (upstream's `flowcontrol.Backoff` as the DaemonSet
/// controller's `failedPodsBackoff` uses it: 1 s, doubling up to 15 min), so a controller does not hot-loop
/// against a kubelet that keeps rejecting its pods.
///
/// A key quiet for twice the maximum starts over at the initial delay.
final class FailedPodBackoff: Sendable {
    private struct Entry {
        var delay: Duration
        var lastUpdate: ContinuousClock.Instant
    }

    private let entries = Mutex([String: Entry]())
    private let initial: Duration
    private let maximum: Duration

    init(initial: Duration = .seconds(1), maximum: Duration = .seconds(900)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Whether `key` was bumped less than its current delay ago.
    func isInBackoff(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        entries.withLock { e in
            guard let entry = e[key], !isExpired(entry, now: now) else { return false }
            return now - entry.lastUpdate < entry.delay
        }
    }

    /// The current delay of `key` (the initial one if it has none).
    func delay(_ key: String) -> Duration {
        entries.withLock { $0[key]?.delay ?? initial }
    }

    /// Records a failure of `key`: the first waits the initial delay, each further one twice as long as the last.
    func next(_ key: String, now: ContinuousClock.Instant = .now) {
        entries.withLock { e in
            e = e.filter { !isExpired($0.value, now: now) }
            if let entry = e[key] {
                e[key] = Entry(delay: min(entry.delay * 2, maximum), lastUpdate: now)
            } else {
                e[key] = Entry(delay: initial, lastUpdate: now)
            }
        }
    }

    private func isExpired(_ entry: Entry, now: ContinuousClock.Instant) -> Bool {
        now - entry.lastUpdate > maximum * 2
    }
}
