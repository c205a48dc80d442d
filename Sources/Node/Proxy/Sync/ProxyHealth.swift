import Foundation
import Synchronization

/// Whether the proxy keeps its rules current: unhealthy when a sync was wanted (an update queued) longer
/// than `timeout` ago and none has succeeded since, or when the node is going away (deleted, or tainted
/// `ToBeDeletedByClusterAutoscaler`) — upstream's `ProxyHealthServer` logic. ``ProxyHealthServer`` serves it
/// as `/healthz` and `/livez`; the service health checks report it as `serviceProxyHealthy`.
public final class ProxyHealth: Sendable {
    /// The taint the cluster autoscaler puts on a node it is about to delete.
    public static let toBeDeletedTaint = "ToBeDeletedByClusterAutoscaler"

    private struct State {
        var lastQueued: ContinuousClock.Instant?
        var lastUpdated: ContinuousClock.Instant?
        /// Wall-clock time of the last successful sync, for the `lastUpdated` the health endpoints report.
        var lastUpdatedDate: Date?
        var nodeEligible = true
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
    public func updated(at instant: ContinuousClock.Instant = .now, date: Date = Date()) {
        state.withLock {
            $0.lastUpdated = instant
            $0.lastUpdatedDate = date
        }
    }

    /// Healthy unless an update queued more than `timeout` ago is still waiting for a successful sync
    /// (the node's eligibility aside: see ``nodeEligible``).
    public func isHealthy(at now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { s in
            guard let queued = s.lastQueued else { return true }
            if let updated = s.lastUpdated, updated >= queued { return true }
            return now - queued <= timeout
        }
    }

    /// When the rules were last programmed successfully.
    public var lastUpdated: ContinuousClock.Instant? { state.withLock { $0.lastUpdated } }
    /// The same as a wall-clock time.
    public var lastUpdatedDate: Date? { state.withLock { $0.lastUpdatedDate } }

    /// Whether this node should receive load-balancer traffic: false once it is being deleted or the
    /// autoscaler has tainted it for deletion (`/healthz` then answers 503, as upstream's does).
    public var nodeEligible: Bool { state.withLock { $0.nodeEligible } }

    /// Updates ``nodeEligible`` from the node's deletion timestamp and taints.
    public func syncNode(deleting: Bool, taintKeys: [String]) {
        let eligible = !deleting && !taintKeys.contains(Self.toBeDeletedTaint)
        state.withLock { $0.nodeEligible = eligible }
    }
}
