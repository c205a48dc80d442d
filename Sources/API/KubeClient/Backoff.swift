/// Exponential backoff: `initial`, doubled on each consecutive failure, capped at `maximum`.
///
/// The reflector re-lists with it (upstream: 800 ms up to 30 s) and the work queue retries keys with it
/// (upstream's per-item limiter: 5 ms up to 1000 s).
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait before retrying after `failures` consecutive failures (`1` → `initial`).
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = initial
        for _ in 1..<min(failures, 64) {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}
