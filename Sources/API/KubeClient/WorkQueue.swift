import Logging

/// A queue of keys for controllers, with upstream workqueue's guarantees (client-go `util/workqueue`):
///
/// - a key queued several times before a worker takes it is processed once (dedupe while queued);
/// - a key is never handed to two workers at once: added while being processed, it is queued again only when the
///   worker calls `done`;
/// - failed keys come back after a per-key exponential backoff (`addRateLimited`) until `forget` resets it.
///
/// ```swift
/// let queue = WorkQueue(name: "deployments", logger: logger)
/// informer.addHandler(.enqueueing(into: queue))
/// await queue.process(workers: 2) { key in try await reconcile(key) }   // until shutDown() or cancellation
/// ```
public actor WorkQueue {
    /// Names the queue in logs.
    public nonisolated let name: String
    private let backoff: Backoff
    private let logger: Logger

    private var queue: [String] = []
    private var head = 0
    private var dirty: Set<String> = []
    private var processing: Set<String> = []
    private var failures: [String: Int] = [:]
    private var delayed: [String: (deadline: ContinuousClock.Instant, timer: Task<Void, Never>)] = [:]
    private var getters: [(id: Int, continuation: CheckedContinuation<String?, Never>)] = []
    private var nextGetter = 0
    private var shuttingDown = false

    /// - Parameter backoff: the per-key retry delay of `addRateLimited` (upstream: 5 ms doubling up to 1000 s).
    public init(name: String, backoff: Backoff = Backoff(initial: .milliseconds(5), maximum: .seconds(1000)), logger: Logger) {
        self.name = name
        self.backoff = backoff
        self.logger = logger
    }

    /// Keys waiting for a worker (not counting those being processed or delayed).
    public var count: Int { queue.count - head }

    /// Whether `shutDown()` was called.
    public var isShuttingDown: Bool { shuttingDown }

    /// Queues `key` unless it is already queued; a key being processed is queued again when it is `done`.
    public func add(_ key: String) {
        guard !shuttingDown, dirty.insert(key).inserted else { return }
        if !processing.contains(key) { enqueue(key) }
    }

    /// Queues `key` after `delay`; of several pending delayed adds of one key the earliest wins.
    public func addAfter(_ key: String, delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        let deadline = ContinuousClock.now + delay
        if let pending = delayed[key] {
            if pending.deadline <= deadline { return }
            pending.timer.cancel()
        }
        let timer = Task {
            guard (try? await Task.sleep(until: deadline)) != nil else { return }
            self.fire(key, deadline: deadline)
        }
        delayed[key] = (deadline, timer)
    }

    /// Queues `key` after its backoff, which doubles with each call until `forget(key)`.
    public func addRateLimited(_ key: String) {
        let count = (failures[key] ?? 0) + 1
        failures[key] = count
        addAfter(key, delay: backoff.delay(afterFailures: count))
    }

    /// Resets the backoff of `key` (after it was processed successfully).
    public func forget(_ key: String) {
        failures[key] = nil
    }

    /// How many times `key` has been re-queued by `addRateLimited` since the last `forget`.
    public func requeues(_ key: String) -> Int { failures[key] ?? 0 }

    /// The next key to process, waiting for one; `nil` once the queue is shut down and drained, or when the
    /// calling task is cancelled. Call `done(key)` when finished with it.
    public func get() async -> String? {
        if head < queue.count { return take() }
        if shuttingDown { return nil }
        nextGetter += 1
        let id = nextGetter
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: nil)
                } else {
                    getters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelGetter(id) }
        }
    }

    /// Marks `key` as processed; if it was added meanwhile, it is queued again.
    public func done(_ key: String) {
        processing.remove(key)
        if dirty.contains(key) { enqueue(key) }
    }

    /// Stops accepting keys and drops delayed ones; workers get the keys still queued, then `nil`.
    public func shutDown() {
        shuttingDown = true
        for (_, pending) in delayed { pending.timer.cancel() }
        delayed = [:]
        if head >= queue.count {
            for getter in getters { getter.continuation.resume(returning: nil) }
            getters = []
        }
    }

    /// Runs `workers` concurrent workers until the queue shuts down or the calling task is cancelled. Each takes a
    /// key, calls `reconcile`, then `forget`s the key on success or re-queues it with backoff on failure.
    public nonisolated func process(workers: Int = 1, _ reconcile: @escaping @Sendable (String) async throws -> Void) async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let key = await self.get() {
                        do {
                            try await reconcile(key)
                            await self.forget(key)
                        } catch {
                            await self.addRateLimited(key)
                            let requeues = await self.requeues(key)
                            self.logger.warning("reconcile failed, retrying", metadata: [
                                "queue": "\(self.name)", "key": "\(key)", "error": "\(error)", "requeues": "\(requeues)",
                            ])
                        }
                        await self.done(key)
                    }
                }
            }
        }
    }

    // MARK: Internals

    /// Hands `key` to a waiting worker, or appends it to the queue.
    private func enqueue(_ key: String) {
        if !getters.isEmpty {
            let getter = getters.removeFirst()
            dirty.remove(key)
            processing.insert(key)
            getter.continuation.resume(returning: key)
        } else {
            queue.append(key)
        }
    }

    /// Pops the head of the queue into `processing`.
    private func take() -> String {
        let key = queue[head]
        head += 1
        if head > 64, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        dirty.remove(key)
        processing.insert(key)
        if shuttingDown, head >= queue.count {
            for getter in getters { getter.continuation.resume(returning: nil) }
            getters = []
        }
        return key
    }

    private func fire(_ key: String, deadline: ContinuousClock.Instant) {
        guard delayed[key]?.deadline == deadline else { return }
        delayed[key] = nil
        add(key)
    }

    private func cancelGetter(_ id: Int) {
        guard let index = getters.firstIndex(where: { $0.id == id }) else { return }
        getters.remove(at: index).continuation.resume(returning: nil)
    }
}
