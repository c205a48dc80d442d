import KubeAPI

/// A change to an informer's cache, as handlers and `Informer.events()` see it.
public enum InformerEvent<K: KubeObject>: Sendable, Equatable {
    case added(K)
    /// `old` is the cached object before the change; on a periodic resync `old == new`.
    case updated(old: K, new: K)
    /// The last state the cache held (or the server's final state, from a DELETED event).
    case deleted(K)

    /// The object the event is about (the new state for updates).
    public var object: K {
        switch self {
        case .added(let o), .deleted(let o), .updated(_, let o): o
        }
    }
}

/// Callbacks for an informer's changes. They run one at a time, in the order of the changes, on the informer's
/// task, so they should be quick: record the key in a `WorkQueue` and reconcile elsewhere.
public struct InformerHandler<K: KubeObject>: Sendable {
    public var onAdd: @Sendable (K) async -> Void
    public var onUpdate: @Sendable (_ old: K, _ new: K) async -> Void
    public var onDelete: @Sendable (K) async -> Void

    public init(onAdd: @escaping @Sendable (K) async -> Void = { _ in },
                onUpdate: @escaping @Sendable (_ old: K, _ new: K) async -> Void = { _, _ in },
                onDelete: @escaping @Sendable (K) async -> Void = { _ in }) {
        self.onAdd = onAdd
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }

    /// A handler that adds the `namespace/name` key of every changed object to `queue`: the usual controller wiring.
    public static func enqueueing(into queue: WorkQueue) -> InformerHandler<K> {
        let enqueue: @Sendable (K) async -> Void = { await queue.add(Informer<K>.key(for: $0)) }
        return InformerHandler(onAdd: enqueue, onUpdate: { _, new in await enqueue(new) }, onDelete: enqueue)
    }

    func callAsFunction(_ event: InformerEvent<K>) async {
        switch event {
        case .added(let o): await onAdd(o)
        case .updated(let old, let new): await onUpdate(old, new)
        case .deleted(let o): await onDelete(o)
        }
    }
}
