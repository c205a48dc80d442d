import Logging

/// Runs a sync function whenever asked, coalescing bursts: at most one sync per `minInterval`, at least
/// one per `maxInterval`, failures retried with exponential back-off (upstream's `BoundedFrequencyRunner`).
///
/// ``requestSync()`` never waits: it only marks that a sync is wanted, so informer handlers are never held
/// up by a slow sync. Any number of requests during a sync (or during the `minInterval` after one) lead to
/// exactly one more sync.
///
///     let runner = SyncRunner(minInterval: .seconds(1), maxInterval: .seconds(30), logger: logger) {
///         await proxier.sync()   // returns false on failure
///     }
///     runner.requestSync()
///     await runner.run()         // until the task is cancelled
public actor SyncRunner {
    /// Back-off after failed syncs: doubling from `initial` up to `maximum`.
    public struct Backoff: Sendable {
        public var initial: Duration
        public var maximum: Duration
        public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30)) {
            self.initial = initial
            self.maximum = maximum
        }
    }

    public let minInterval: Duration
    public let maxInterval: Duration
    public let backoff: Backoff
    private let body: @Sendable () async -> Bool
    private let logger: Logger
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private var consecutiveFailures = 0
    /// How many syncs ran (for tests and logs).
    public private(set) var syncCount = 0

    /// - Parameter body: one sync; returns whether it succeeded.
    public init(minInterval: Duration = .seconds(1), maxInterval: Duration = .seconds(30), backoff: Backoff = Backoff(),
                logger: Logger, body: @escaping @Sendable () async -> Bool) {
        self.minInterval = minInterval
        self.maxInterval = maxInterval
        self.backoff = backoff
        self.logger = logger
        self.body = body
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a sync soon; returns at once. Safe from any task.
    public nonisolated func requestSync() {
        signal.yield()
    }

    /// Syncs on request until the calling task is cancelled. Call it once.
    public func run() async {
        let clock = ContinuousClock()
        let ticker = Task { [maxInterval, signal] in
            while (try? await Task.sleep(for: maxInterval)) != nil { signal.yield() }
        }
        defer { ticker.cancel() }
        var retry: Task<Void, Never>?
        for await _ in signals {
            if Task.isCancelled { break }
            let started = clock.now
            syncCount += 1
            let succeeded = await body()
            retry?.cancel()
            retry = nil
            if succeeded {
                consecutiveFailures = 0
            } else {
                consecutiveFailures += 1
                let delay = retryDelay()
                logger.warning("sync failed, retrying", metadata: ["in": "\(delay)", "failures": "\(consecutiveFailures)"])
                retry = Task { [signal] in
                    if (try? await Task.sleep(for: delay)) != nil { signal.yield() }
                }
            }
            // Coalesce: whatever arrives before the minimum interval is over becomes one sync.
            do {
                try await clock.sleep(until: started + minInterval)
            } catch {
                break
            }
        }
        retry?.cancel()
    }

    /// The back-off before the next retry.
    private func retryDelay() -> Duration {
        var delay = backoff.initial
        for _ in 1..<max(consecutiveFailures, 1) {
            delay *= 2
            if delay >= backoff.maximum { return backoff.maximum }
        }
        return min(delay, backoff.maximum)
    }
}
