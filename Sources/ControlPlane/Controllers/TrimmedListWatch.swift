import KubeAPI
import KubeClient

/// A LIST and WATCH whose objects arrive without `metadata.managedFields`, as kube-controller-manager and
/// kube-scheduler strip them from their informers: no controller reads them, and on a large cluster they are most
/// of what a cached pod weighs. A PUT of a cached object without them keeps the stored ones.
struct TrimmedListWatch<K: KubeObject>: ListerWatcher {
    let source: ListWatch<K>

    func list() async throws(KubeClientError) -> ObjectList<K> {
        var list = try await source.list()
        for index in list.items.indices { list.items[index].metadata.managedFields = nil }
        return list
    }

    func watch(resourceVersion: String) -> AsyncThrowingStream<WatchEvent<K>, any Error> {
        let events = source.watch(resourceVersion: resourceVersion)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent<K>.self)
        let task = Task {
            do {
                for try await event in events { continuation.yield(Self.trimmed(event)) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    static func trimmed(_ event: WatchEvent<K>) -> WatchEvent<K> {
        func strip(_ object: K) -> K {
            var object = object
            object.metadata.managedFields = nil
            return object
        }
        switch event {
        case .added(let object): return .added(strip(object))
        case .modified(let object): return .modified(strip(object))
        case .deleted(let object): return .deleted(strip(object))
        case .bookmark: return event
        }
    }
}
