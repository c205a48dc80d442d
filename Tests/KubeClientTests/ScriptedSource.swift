import KubeAPI
import KubeClient
import Synchronization

/// A `ListerWatcher` that plays back scripted LIST results and WATCH streams, recording how it was called.
final class ScriptedSource: ListerWatcher, Sendable {
    /// How a scripted watch ends after its events.
    enum End: Sendable {
        case finish
        case fail(KubeClientError)
        /// Stays open until the consumer goes away.
        case hang
    }

    struct Script: Sendable {
        var events: [WatchEvent<ConfigMap>]
        var end: End
    }

    private struct State {
        var lists: [Result<ObjectList<ConfigMap>, KubeClientError>]
        var watches: [Script]
        var listCalls = 0
        var watchedFrom: [String] = []
        var open: [AsyncThrowingStream<WatchEvent<ConfigMap>, any Error>.Continuation] = []
    }

    private let state: Mutex<State>

    init(lists: [Result<ObjectList<ConfigMap>, KubeClientError>], watches: [Script]) {
        state = Mutex(State(lists: lists, watches: watches))
    }

    var listCalls: Int { state.withLock { $0.listCalls } }
    var watchedFrom: [String] { state.withLock { $0.watchedFrom } }

    func list() async throws(KubeClientError) -> ObjectList<ConfigMap> {
        let next = state.withLock { s -> Result<ObjectList<ConfigMap>, KubeClientError>? in
            s.listCalls += 1
            return s.lists.isEmpty ? nil : s.lists.removeFirst()
        }
        guard let next else {
            // Out of script: behave like a server that never answers.
            try? await Task.sleep(for: .seconds(3600))
            throw .transport(request: "LIST", cause: CancellationError())
        }
        return try next.get()
    }

    func watch(resourceVersion: String) -> AsyncThrowingStream<WatchEvent<ConfigMap>, any Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent<ConfigMap>, any Error>.makeStream()
        let script = state.withLock { s -> Script in
            s.watchedFrom.append(resourceVersion)
            return s.watches.isEmpty ? Script(events: [], end: .hang) : s.watches.removeFirst()
        }
        for event in script.events { continuation.yield(event) }
        switch script.end {
        case .finish: continuation.finish()
        case .fail(let error): continuation.finish(throwing: error)
        case .hang: state.withLock { $0.open.append(continuation) }
        }
        return stream
    }
}

func configMap(_ name: String, rv: String, data: [String: String]? = nil, labels: [String: String]? = nil) -> ConfigMap {
    ConfigMap(metadata: ObjectMeta(name: name, namespace: "default", resourceVersion: rv, labels: labels), data: data)
}

func list(_ items: [ConfigMap], rv: String) -> Result<ObjectList<ConfigMap>, KubeClientError> {
    .success(ObjectList(metadata: ListMeta(resourceVersion: rv), items: items))
}

let goneError = KubeClientError.gone(status: Status.gone("too old resource version: 10 (50)"), request: "GET /watch")
