import KubeAPI
import Logging
import Synchronization

/// A watched, local copy of one kind: a `Reflector` keeps it in step with the server, handlers and event streams
/// hear about every change, and lookups never touch the network (upstream's `SharedIndexInformer`).
///
/// ```swift
/// let pods = Informer<Pod>(client: client, namespace: "default", logger: logger)
/// pods.addHandler(.enqueueing(into: queue))
/// async let _ = pods.run()           // until the task is cancelled
/// try await pods.waitForSync()
/// let web = pods.list(labelSelector: try LabelSelectorExpression(parsing: "app=web"))
/// ```
///
/// Changes are applied and announced one at a time by `run()`, so handlers and `events()` see them in order and the
/// cache already holds the new state when they do.
public final class Informer<K: KubeObject>: Sendable {
    /// What `run()` processes, in arrival order.
    private enum Input: Sendable {
        case delta(ReflectorDelta<K>)
        case resync
        case addHandler(InformerHandler<K>)
    }

    private struct State {
        var cache: [String: K] = [:]
        var synced = false
        var running = false
        var stopped = false
        var handlers: [InformerHandler<K>] = []
        var subscribers: [Int: AsyncStream<InformerEvent<K>>.Continuation] = [:]
        var nextSubscriber = 0
    }

    private let reflector: Reflector<K>
    private let resyncPeriod: Duration?
    private let logger: Logger
    private let state = Mutex(State())
    private let inbox: AsyncStream<Input>
    private let inboxContinuation: AsyncStream<Input>.Continuation

    /// An informer over any list/watch source.
    ///
    /// - Parameter resyncPeriod: how often every cached object is re-announced as `updated(old: x, new: x)`, so
    ///   controllers re-check state they do not watch; `nil` never.
    public init(_ source: any ListerWatcher<K>, resyncPeriod: Duration? = nil,
                backoff: Backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30)), logger: Logger) {
        self.reflector = Reflector(source, backoff: backoff, logger: logger)
        self.resyncPeriod = resyncPeriod
        self.logger = logger
        (inbox, inboxContinuation) = AsyncStream.makeStream(of: Input.self)
    }

    /// An informer over `client`, for one namespace (`nil`: all) and optional selectors.
    public convenience init(client: KubeClient, namespace: String? = nil, labelSelector: String? = nil,
                            fieldSelector: String? = nil, resyncPeriod: Duration? = nil, logger: Logger) {
        self.init(ListWatch<K>(client: client, namespace: namespace, labelSelector: labelSelector,
                               fieldSelector: fieldSelector),
                  resyncPeriod: resyncPeriod, logger: logger)
    }

    // MARK: Running

    /// Lists, watches and dispatches until the calling task is cancelled. Call it once.
    public func run() async {
        let first = state.withLock { s in
            defer { s.running = true }
            return !s.running
        }
        guard first else {
            logger.error("Informer.run() called twice", metadata: ["kind": "\(K.resource.kind)"])
            return
        }
        let inbox = self.inboxContinuation
        await withDiscardingTaskGroup { group in
            group.addTask { [reflector] in
                await reflector.run { delta in inbox.yield(.delta(delta)) }
            }
            if let period = resyncPeriod {
                group.addTask {
                    while (try? await Task.sleep(for: period)) != nil { inbox.yield(.resync) }
                }
            }
            for await input in self.inbox { await process(input) }
            group.cancelAll()
        }
        let subscribers = state.withLock { s in
            defer { s.subscribers = [:]; s.stopped = true }
            return Array(s.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// Whether the first LIST has been applied to the cache.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// Waits until the first LIST has been applied.
    ///
    /// - Throws: `CancellationError` when the waiting task is cancelled.
    public func waitForSync() async throws {
        while !hasSynced { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Waits up to `timeout` for the first LIST (checking every 5 ms); whether it was applied.
    ///
    /// - Throws: `CancellationError` when the waiting task is cancelled.
    public func waitForSync(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !hasSynced {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    // MARK: Listening

    /// Registers callbacks; a handler added after the cache is filled first gets `onAdd` for every cached object.
    public func addHandler(_ handler: InformerHandler<K>) {
        inboxContinuation.yield(.addHandler(handler))
    }

    /// A stream of every change from now on, preceded by `added` for every object already cached. It ends when
    /// `run()` returns or the consumer stops iterating.
    public func events() -> AsyncStream<InformerEvent<K>> {
        let (stream, continuation) = AsyncStream.makeStream(of: InformerEvent<K>.self)
        let id = state.withLock { s -> Int? in
            for key in s.cache.keys.sorted() { continuation.yield(.added(s.cache[key]!)) }
            if s.stopped { return nil }
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: Reading the cache

    /// The cache key of an object: `namespace/name`, or `name` for cluster-scoped kinds (upstream's
    /// `MetaNamespaceKeyFunc`).
    public static func key(for object: K) -> String {
        key(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    /// The cache key for `name` in `namespace`.
    public static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    /// The cached object with this key (`namespace/name`).
    public func get(_ key: String) -> K? { state.withLock { $0.cache[key] } }

    /// The cached object `name` in `namespace`.
    public func get(name: String, namespace: String? = nil) -> K? {
        get(Self.key(namespace: namespace, name: name))
    }

    /// Cached objects, sorted by key, optionally only one namespace's and only those matching a label selector.
    public func list(namespace: String? = nil, labelSelector: LabelSelectorExpression = .everything) -> [K] {
        // Sorting the keys and looking the objects up moves strings, not whole objects, while sorting.
        let objects = state.withLock { s in
            s.cache.keys.sorted().map { s.cache[$0]! }
        }
        return objects.filter { object in
            (namespace == nil || object.metadata.namespace == namespace) && labelSelector.matches(object)
        }
    }

    /// The keys of every cached object, sorted.
    public var keys: [String] { state.withLock { $0.cache.keys.sorted() } }

    // MARK: Processing

    private func process(_ input: Input) async {
        let (events, handlers): ([InformerEvent<K>], [InformerHandler<K>])
        switch input {
        case .delta(.replace(let items, _)):
            (events, handlers) = state.withLock { s in
                let fresh = Dictionary(items.map { (Self.key(for: $0), $0) }, uniquingKeysWith: { _, last in last })
                var events: [InformerEvent<K>] = []
                for (key, object) in fresh.sorted(by: { $0.key < $1.key }) {
                    if let old = s.cache[key] {
                        if old != object {
                            events.append(.updated(old: old, new: object))
                        }
                    } else {
                        events.append(.added(object))
                    }
                }
                for (key, old) in s.cache.sorted(by: { $0.key < $1.key }) where fresh[key] == nil {
                    events.append(.deleted(old))
                }
                s.cache = fresh
                s.synced = true
                return Self.announce(events, in: s)
            }
        case .delta(.event(let event)):
            (events, handlers) = state.withLock { s in
                guard let object = event.object else { return ([], []) }
                let key = Self.key(for: object)
                let old = s.cache[key]
                let change: InformerEvent<K>?
                switch event {
                case .added, .modified:
                    s.cache[key] = object
                    change = old.map { .updated(old: $0, new: object) } ?? .added(object)
                case .deleted:
                    s.cache[key] = nil
                    change = old == nil ? nil : .deleted(object)
                case .bookmark:
                    change = nil
                }
                return Self.announce(change.map { [$0] } ?? [], in: s)
            }
        case .resync:
            (events, handlers) = state.withLock { s in
                Self.announce(s.cache.sorted { $0.key < $1.key }.map { .updated(old: $0.value, new: $0.value) }, in: s)
            }
        case .addHandler(let handler):
            let cached = state.withLock { s in
                s.handlers.append(handler)
                return s.cache.sorted { $0.key < $1.key }.map { InformerEvent<K>.added($0.value) }
            }
            (events, handlers) = (cached, [handler])
        }
        for event in events {
            for handler in handlers { await handler(event) }
        }
    }

    /// Yields `events` to the streams (under the lock, so a new subscriber's replay and live events never
    /// interleave) and returns them with the handlers to call.
    private static func announce(_ events: [InformerEvent<K>], in state: State) -> ([InformerEvent<K>], [InformerHandler<K>]) {
        for event in events {
            for subscriber in state.subscribers.values { subscriber.yield(event) }
        }
        return (events, state.handlers)
    }
}
