import KubeAPI
import KubeClient
import Logging
import Synchronization

/// One `Informer` per kind, shared by every controller that asks for it (upstream's `SharedInformerFactory`), so
/// the API server sees one LIST + WATCH per kind however many controllers use it.
///
/// Ask for informers (`informer(Pod.self)`) before `run()`; `run()` starts every informer created so far. Cached
/// objects carry no `managedFields` (`TrimmedListWatch`).
///
/// Each informer gets its own connection pool (a `KubeClient` with the same configuration): a watch holds an
/// HTTP/1.1 connection for minutes, and a dozen of them would otherwise exhaust the shared client's pool and
/// starve the controllers' requests.
public final class SharedInformers: Sendable {
    private struct State {
        var informers: [String: any Sendable] = [:]
        var runners: [@Sendable () async -> Void] = []
        var syncs: [@Sendable () async throws -> Void] = []
        var started = false
    }

    private let client: KubeClient
    private let logger: Logger
    private let state = Mutex(State())

    public init(client: KubeClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The informer of `K` across all namespaces, created on first use.
    public func informer<K: KubeObject>(_ type: K.Type) -> Informer<K> {
        state.withLock { s in
            let key = K.resource.groupVersion + "/" + K.resource.plural
            if let existing = s.informers[key] as? Informer<K> { return existing }
            if s.started {
                logger.error("informer requested after start; it will not run", metadata: ["kind": "\(K.resource.kind)"])
            }
            let informer = Informer<K>(TrimmedListWatch(source: ListWatch<K>(client: client)), logger: logger)
            s.informers[key] = informer
            s.runners.append { await informer.run() }
            s.syncs.append { try await informer.waitForSync() }
            return informer
        }
    }

    /// Runs every informer created so far until the calling task is cancelled.
    public func run() async {
        let runners = state.withLock { s in
            s.started = true
            return s.runners
        }
        await withDiscardingTaskGroup { group in
            for runner in runners { group.addTask { await runner() } }
        }
    }

    /// Waits until every informer has applied its first LIST.
    public func waitForSync() async throws {
        let syncs = state.withLock { $0.syncs }
        for sync in syncs { try await sync() }
    }
}
