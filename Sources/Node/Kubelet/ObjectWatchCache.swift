import KubeAPI
import KubeClient
import Logging
import Synchronization

/// The ConfigMaps (or Secrets) the node's pods refer to, each kept in step by a watch of its own, named by
/// `fieldSelector=metadata.name=NAME` (all the node authorizer lets a node list): upstream's watch-based manager,
/// the kubelet's default `configMapAndSecretChangeDetectionStrategy: Watch`. Starting a pod and re-projecting its
/// volumes read the local copy rather than asking the API server, and an object's watch ends once no pod refers
/// to it any more.
///
/// Over HTTP/1.1 every watch holds one of the client's connections (upstream multiplexes them on one HTTP/2
/// connection), and a client whose connections are all held by watches can send nothing else. So at most
/// `maximumWatches` objects are watched; beyond that an object is read with a GET each time, until watches end.
/// An immutable object cannot change: its watch ends once it has been read, as upstream's does, and the copy serves
/// its pods (even after the object is deleted) without holding a connection.
final class ObjectWatchCache<K: ImmutableCapable>: Sendable {
    private struct Watch: Sendable {
        let informer: Informer<K>
        let task: Task<Void, Never>
        /// UIDs of the pods that read the object.
        var pods: Set<String>
        /// The object is immutable and the watch has ended; the informer keeps the copy.
        var ended = false
    }

    private let client: KubeClient
    private let logger: Logger
    /// How long a read waits for a new watch's first LIST.
    private let syncTimeout: Duration
    private let maximumWatches: Int
    private let watches = Mutex<[String: Watch]>([:])

    init(client: KubeClient, logger: Logger, syncTimeout: Duration = .seconds(5), maximumWatches: Int = 32) {
        self.client = client
        self.logger = logger
        self.syncTimeout = syncTimeout
        self.maximumWatches = maximumWatches
    }

    /// The object `name` in `namespace` as its watch last saw it, nil when it does not exist; the pod `podUID` now
    /// refers to it. The first read of an object starts its watch and waits for the watch's LIST; with
    /// `maximumWatches` objects watched already, the object is read from the API server instead.
    ///
    /// - Throws: `ContainerConfigError` in upstream's words when that LIST does not succeed in time (the API server
    ///   cannot be reached, or forbids it); the client's error when a GET fails.
    func get(name: String, namespace: String, podUID: String) async throws -> K? {
        let key = Informer<K>.key(namespace: namespace, name: name)
        let informer = watches.withLock { watches -> Informer<K>? in
            if let existing = watches[key] {
                watches[key]?.pods.insert(podUID)
                return existing.informer
            }
            guard watches.values.count(where: { !$0.ended }) < maximumWatches else { return nil }
            let informer = Informer<K>(client: client, namespace: namespace, fieldSelector: "metadata.name=\(name)", logger: logger)
            watches[key] = Watch(informer: informer, task: Task { await informer.run() }, pods: [podUID])
            return informer
        }
        guard let informer else {
            logger.debug("every watch in use: read with a GET", metadata: ["kind": "\(K.resource.kind)", "object": "\(key)"])
            do {
                return try await client.get(K.self, name: name, namespace: namespace)
            } catch {
                if error.isNotFound { return nil }
                throw error
            }
        }
        guard try await informer.waitForSync(timeout: syncTimeout) else {
            throw ContainerConfigError(message: "failed to sync \(K.resource.kind.lowercased()) cache: timed out waiting for the condition")
        }
        let object = informer.get(name: name, namespace: namespace)
        if object?.immutable == true {
            let task = watches.withLock { watches -> Task<Void, Never>? in
                guard let watch = watches[key], !watch.ended else { return nil }
                watches[key]?.ended = true
                return watch.task
            }
            task?.cancel()
        }
        return object
    }

    /// Forgets the pod's references; the watches no other pod needs end.
    func release(podUID: String) {
        let ended = watches.withLock { watches in
            var ended: [Task<Void, Never>] = []
            for (key, var watch) in watches where watch.pods.remove(podUID) != nil {
                if watch.pods.isEmpty {
                    watches[key] = nil
                    ended.append(watch.task)
                } else {
                    watches[key] = watch
                }
            }
            return ended
        }
        for task in ended { task.cancel() }
    }

    /// How many objects are watched (immutable ones whose watch ended not counted).
    var count: Int { watches.withLock { $0.values.count(where: { !$0.ended }) } }
}

/// A kind whose objects may be marked immutable (ConfigMap, Secret).
protocol ImmutableCapable: KubeObject {
    var immutable: Bool? { get }
}

extension ConfigMap: ImmutableCapable {}
extension Secret: ImmutableCapable {}
