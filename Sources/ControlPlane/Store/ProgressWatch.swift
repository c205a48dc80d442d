/// What a `ProgressWatch` delivers: a change, or word of how far the watch has got.
public enum WatchUpdate: Sendable, Hashable {
    case event(WatchEvent)
    /// Every event of the watch up to and including this revision has been delivered (before this update).
    case progress(Int64)
}

/// A watch that says how far it has got when asked (etcd's progress requests): a consumer following a quiet prefix
/// learns it is current without a write under that prefix.
public struct ProgressWatch: Sendable {
    /// The events, in revision order, and a `.progress` after each `requestProgress` (one may answer several).
    public var updates: AsyncThrowingStream<WatchUpdate, any Error>
    /// Asks for a `.progress(r)`: `r` is the store's revision when the request is served, and the update comes after
    /// every event up to `r`.
    public var requestProgress: @Sendable () async -> Void

    public init(updates: AsyncThrowingStream<WatchUpdate, any Error>, requestProgress: @escaping @Sendable () async -> Void) {
        self.updates = updates
        self.requestProgress = requestProgress
    }
}

/// Where a backend's watch sends what it sees: the stream of a plain watch, or of a progress watch.
enum WatchSink: Sendable {
    case events(AsyncThrowingStream<WatchEvent, any Error>.Continuation)
    case updates(AsyncThrowingStream<WatchUpdate, any Error>.Continuation)

    enum Outcome { case enqueued, dropped, terminated }

    /// Hands `event` to the consumer; `.dropped` when it fell a whole buffer behind (the caller then finishes it).
    func deliver(_ event: WatchEvent) -> Outcome {
        switch self {
        case .events(let c): Self.outcome(c.yield(event))
        case .updates(let c): Self.outcome(c.yield(.event(event)))
        }
    }

    /// Tells a progress watch's consumer every event up to `revision` has been delivered (a plain watch ignores it).
    func progress(_ revision: Int64) -> Outcome {
        guard case .updates(let c) = self else { return .enqueued }
        return Self.outcome(c.yield(.progress(revision)))
    }

    func finish(throwing error: (any Error)? = nil) {
        switch self {
        case .events(let c): c.finish(throwing: error)
        case .updates(let c): c.finish(throwing: error)
        }
    }

    /// Runs `action` once the consumer stops reading (or the stream is finished).
    func onTermination(_ action: @escaping @Sendable () -> Void) {
        switch self {
        case .events(let c): c.onTermination = { _ in action() }
        case .updates(let c): c.onTermination = { _ in action() }
        }
    }

    private static func outcome<T>(_ result: AsyncThrowingStream<T, any Error>.Continuation.YieldResult) -> Outcome {
        switch result {
        case .enqueued: .enqueued
        case .dropped: .dropped
        case .terminated: .terminated
        @unknown default: .terminated
        }
    }
}
