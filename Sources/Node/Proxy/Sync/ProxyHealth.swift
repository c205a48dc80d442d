import Synchronization

/// Whether the proxy keeps its rules current: unhealthy when a sync was wanted (an update queued) longer
/// than `timeout` ago and none has succeeded since (upstream's `ProxierHealthServer` logic). The lead wires
/// ``isHealthy`` to `/healthz`.
public final class ProxyHealth: Sendable {
    private struct State {
        var lastQueued: ContinuousClock.Instant?
        var lastUpdated: ContinuousClock.Instant?
    }

    /// How long a queued update may wait for a successful sync.
    public let timeout: Duration
    private let state = Mutex(State())

    public init(timeout: Duration = .seconds(60)) { self.timeout = timeout }

    /// Records that a change arrived that needs a sync (only the oldest outstanding one counts).
    public func queued(at instant: ContinuousClock.Instant = .now) {
        state.withLock { s in
            if s.lastQueued == nil || (s.lastUpdated.map { s.lastQueued! <= $0 } ?? false) { s.lastQueued = instant }
        }
    }

    /// Records a successful sync.
    public func updated(at instant: ContinuousClock.Instant = .now) {
        state.withLock { $0.lastUpdated = instant }
    }

    /// Healthy unless an update queued more than `timeout` ago is still waiting for a successful sync.
    public func isHealthy(at now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { s in
            guard let queued = s.lastQueued else { return true }
            if let updated = s.lastUpdated, updated >= queued { return true }
            return now - queued <= timeout
        }
    }

    /// When the rules were last programmed successfully.
    public var lastUpdated: ContinuousClock.Instant? { state.withLock { $0.lastUpdated } }
}
