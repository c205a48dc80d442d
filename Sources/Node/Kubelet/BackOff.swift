/// Restart delays per container (CrashLoopBackOff) and per image (ImagePullBackOff): the first failure
/// waits `initial`, each further one twice as long up to `maximum`; a container that ran longer than
/// ten minutes starts over, as upstream's backoff resets. An image pull's delay counts from the failure that set
/// it (upstream's `IsInBackOffSinceUpdate`), a crashed container's from the time it finished (`IsInBackOffSince`
/// with the container's `finishedAt`), so a container that crashes after running a while still waits the whole
/// delay once it has exited.
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

    /// Whether an event `age` ago (a container's exit) is still inside `key`'s current delay.
    func isBackingOff(_ key: String, eventAge age: Duration) -> Bool {
        entries[key].map { age < $0.delay } ?? false
    }

    /// The current delay of `key` (what upstream's CrashLoopBackOff message names: `back-off 20s …`).
    func delay(_ key: String) -> Duration? { entries[key]?.delay }

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
