import Logging

/// Runs a sync function whenever asked, coalescing bursts: syncs limited to one per `minInterval` on average
/// with a burst of `burst` (a token bucket, as upstream's `BoundedFrequencyRunner`, which kube-proxy creates with
/// `burstSyncs = 2`: a change right after a sync is programmed at once, not a `minInterval` later), at least one
/// per `maxInterval`, failures retried with exponential back-off.
///
/// Unlike upstream's runner, a sync that found nothing to program (``Outcome/unchanged``: an endpoint that is not
/// ready yet, one removed after it had stopped serving, or only the deletion of chains an earlier sync emptied)
/// gives its token back: the rate limit is there to bound the cost of rewriting rules, and such a sync changed none.
/// So the change that matters next — the endpoint turning ready — is not held back by up to `minInterval` behind
/// changes that did not alter how traffic is handled.
///
/// For the same reason a sync whose cost grew with the change alone (``Outcome/programmedIncrementally``: an
/// nftables partial sync, a few chains and elements in one netlink batch, well under a millisecond of the kernel's
/// time) is charged only ``incrementalCost`` of a token: with the default tenth, a stream of endpoint changes is
/// programmed at most `minInterval / 10` apart instead of a whole `minInterval`, while syncs that rewrite whole
/// tables (full syncs, `iptables-restore`) stay as upstream paces them. Upstream's runner charges every sync alike
/// because its iptables backend makes the kernel replace whole tables on every sync.
///
/// ``requestSync()`` never waits: it only marks that a sync is wanted, so informer handlers are never held
/// up by a slow sync. Any number of requests during a sync (or while waiting for the rate limit) lead to
/// exactly one more sync.
///
///     let runner = SyncRunner(minInterval: .seconds(1), maxInterval: .seconds(30), logger: logger) {
///         await proxier.sync()   // .programmed, .programmedIncrementally, .unchanged or .failed
///     }
///     runner.requestSync()
///     await runner.run()         // until the task is cancelled
public actor SyncRunner {
    /// How one sync ended.
    public enum Outcome: Sendable {
        /// Rules were written, at a cost that grows with the ruleset.
        case programmed
        /// Rules were written at a cost that grew with the change alone: ``incrementalCost`` of a token is kept.
        case programmedIncrementally
        /// Nothing that steers traffic needed writing: the sync's token is given back.
        case unchanged
        /// It failed: retried with back-off.
        case failed
    }

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
    /// Syncs that may run back to back before `minInterval` paces them.
    public let burst: Int
    /// The share of a token an ``Outcome/programmedIncrementally`` sync uses (0…1).
    public let incrementalCost: Double
    public let backoff: Backoff
    private let body: @Sendable () async -> Outcome
    private let logger: Logger
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private var consecutiveFailures = 0
    /// How many syncs ran (for tests and logs).
    public private(set) var syncCount = 0

    /// - Parameter body: one sync; returns how it ended.
    public init(minInterval: Duration = .seconds(1), maxInterval: Duration = .seconds(30), burst: Int = 2, incrementalCost: Double = 0.1,
                backoff: Backoff = Backoff(), logger: Logger, body: @escaping @Sendable () async -> Outcome) {
        self.minInterval = minInterval
        self.maxInterval = maxInterval
        self.burst = max(1, burst)
        self.incrementalCost = min(1, max(0, incrementalCost))
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
        // Token bucket: `burst` tokens, one more every `minInterval`; a sync needs one and keeps what it did not use.
        var tokens = Double(burst)
        var refilled = clock.now
        for await _ in signals {
            if Task.isCancelled { break }
            tokens = minInterval > .zero ? min(Double(burst), tokens + (clock.now - refilled) / minInterval) : Double(burst)
            refilled = clock.now
            if tokens < 1 {
                // Whatever arrives while waiting for the next token becomes this one sync.
                do {
                    try await clock.sleep(for: minInterval * (1 - tokens))
                } catch {
                    break
                }
                tokens = 1
                refilled = clock.now
            }
            tokens -= 1
            syncCount += 1
            let outcome = await body()
            retry?.cancel()
            retry = nil
            switch outcome {
            case .unchanged: tokens = min(Double(burst), tokens + 1)
            case .programmedIncrementally: tokens = min(Double(burst), tokens + 1 - incrementalCost)
            case .programmed, .failed: break
            }
            if outcome != .failed {
                consecutiveFailures = 0
            } else {
                consecutiveFailures += 1
                let delay = retryDelay()
                logger.warning("sync failed, retrying", metadata: ["in": "\(delay)", "failures": "\(consecutiveFailures)"])
                retry = Task { [signal] in
                    if (try? await Task.sleep(for: delay)) != nil { signal.yield() }
                }
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
