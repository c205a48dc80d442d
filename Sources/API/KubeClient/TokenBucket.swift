import Foundation

/// A token bucket that answers at once, as client-go's `flowcontrol` token-bucket rate limiter's `TryAccept`: it starts
/// full with `burst` tokens, fills again at `qps` tokens a second up to `burst`, and each accepted call takes one.
/// For what upstream drops or refuses past a rate instead of delaying it: the event spam filter, the kubelet's
/// registry QPS.
public struct TokenBucket: Sendable {
    public let qps: Double
    public let burst: Int
    private var tokens: Double
    private var refilled: Date

    public init(qps: Double, burst: Int, now: Date = Date()) {
        self.qps = qps
        self.burst = burst
        tokens = Double(burst)
        refilled = now
    }

    /// Takes a token if there is one at `now`.
    public mutating func tryAccept(now: Date = Date()) -> Bool {
        tokens = min(Double(burst), tokens + max(0, now.timeIntervalSince(refilled)) * qps)
        refilled = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
