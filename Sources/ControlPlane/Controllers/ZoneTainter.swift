import Foundation

/// The nodes of one zone waiting for a NoExecute taint, released at a limited rate (upstream's
/// `RateLimitedTimedQueue` with a token bucket of burst 1): in a zone that loses many nodes at once, pods are
/// evicted gradually, and not at all while the zone is judged disrupted (rate 0).
///
/// A value type, kept under its controller's lock.
struct ZoneTainter {
    private(set) var rate: Double
    private var tokens: Double = 1
    private var refilled = Date()
    /// Node names in arrival order, each with the earliest time it may be tried.
    private var queue: [(node: String, due: Date)] = []

    /// - Parameter rate: nodes per second; 0 or less never releases any.
    init(rate: Double) {
        self.rate = rate
    }

    /// Queues `node` unless it is queued already. Returns whether it was added.
    @discardableResult
    mutating func add(_ node: String, now: Date = Date()) -> Bool {
        guard !queue.contains(where: { $0.node == node }) else { return false }
        queue.append((node, now))
        return true
    }

    /// Drops `node` from the queue. Returns whether it was queued.
    @discardableResult
    mutating func remove(_ node: String) -> Bool {
        guard let index = queue.firstIndex(where: { $0.node == node }) else { return false }
        queue.remove(at: index)
        return true
    }

    /// Takes the due nodes at the head of the queue, one token each, while tokens last.
    mutating func take(now: Date = Date()) -> [String] {
        var taken: [String] = []
        while let head = queue.first, head.due <= now, tryAccept(now: now) {
            taken.append(head.node)
            queue.removeFirst()
        }
        return taken
    }

    /// Puts a node whose tainting failed back, to be tried again after `delay`.
    mutating func retry(_ node: String, after delay: TimeInterval, now: Date = Date()) {
        remove(node)
        queue.append((node, now.addingTimeInterval(delay)))
    }

    /// Changes the rate; a bucket that is empty now starts empty at the new rate (upstream's `SwapLimiter`).
    mutating func swapRate(_ newRate: Double, now: Date = Date()) {
        guard newRate != rate else { return }
        let wasEmpty = !hasToken(now: now)
        rate = newRate
        tokens = wasEmpty ? 0 : 1
        refilled = now
    }

    private mutating func refill(now: Date) {
        guard rate > 0 else { return }
        tokens = min(1, tokens + now.timeIntervalSince(refilled) * rate)
        refilled = now
    }

    private mutating func hasToken(now: Date) -> Bool {
        refill(now: now)
        return rate > 0 && tokens >= 1
    }

    private mutating func tryAccept(now: Date) -> Bool {
        guard hasToken(now: now) else { return false }
        tokens -= 1
        return true
    }
}
