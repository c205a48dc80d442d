/// Restart delays per container (CrashLoopBackOff) and per image (ImagePullBackOff): the first failure
/// waits `initial`, each further one twice as long up to `maximum`; a container that ran longer than
/// ten minutes starts over, as upstream's backoff resets.
struct BackOff: Sendable {
    let initial: Duration
    let maximum: Duration
    private var entries: [String: (delay: Duration, until: ContinuousClock.Instant)] = [:]

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Whether `key` is still waiting out its delay.
    func isBackingOff(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        entries[key].map { now < $0.until } ?? false
    }

    /// The remaining wait for `key`.
    func remaining(_ key: String, now: ContinuousClock.Instant = .now) -> Duration {
        entries[key].map { max(.zero, $0.until - now) } ?? .zero
    }

    /// Records a failure: the next attempt waits the next delay.
    mutating func failed(_ key: String, now: ContinuousClock.Instant = .now) {
        let delay = entries[key].map { min($0.delay * 2, maximum) } ?? initial
        entries[key] = (delay, now + delay)
    }

    mutating func reset(_ key: String) { entries[key] = nil }

    mutating func forget(prefix: String) {
        for key in entries.keys where key.hasPrefix(prefix) { entries[key] = nil }
    }
}
