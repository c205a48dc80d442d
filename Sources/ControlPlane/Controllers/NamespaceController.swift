import Foundation
import KubeAPI
import KubeClient
import Logging

/// Empties namespaces being deleted and then finalizes them (upstream's `namespace-controller`).
///
/// For a namespace with a deletionTimestamp and the `kubernetes` finalizer in `spec.finalizers`, every object of
/// every namespaced kind the server stores is deleted (live LISTs, not caches, so nothing created meanwhile is
/// missed); while some remain — pods in their grace period, objects with finalizers — the namespace is checked
/// again shortly. When it is empty, the `kubernetes` finalizer is removed through `PUT
/// /api/v1/namespaces/{name}/finalize` and the server removes the namespace.
public struct NamespaceController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "namespace-controller"
    static let finalizer = "kubernetes"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let namespaces: Informer<Namespace>
    let queue: WorkQueue
    let recheck: Duration
    let logger: Logger
    let metrics: ControllerMetrics

    /// - Parameter recheck: how soon a namespace with objects still terminating is looked at again.
    public init(context: ControllerContext, recheck: Duration = .seconds(2)) {
        client = context.client
        namespaces = context.informers.informer(Namespace.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "namespace", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        self.recheck = recheck
        let queue = queue
        namespaces.addHandler(InformerHandler(
            onAdd: { ns in if ns.metadata.deletionTimestamp != nil { await queue.add(Informer.key(for: ns)) } },
            onUpdate: { _, ns in if ns.metadata.deletionTimestamp != nil { await queue.add(Informer.key(for: ns)) } }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { name in try await syncNamespace(name) }
    }

    /// Deletes the contents of a terminating namespace; finalizes it once nothing is left.
    func syncNamespace(_ name: String) async throws {
        guard let namespace = namespaces.get(name), namespace.metadata.deletionTimestamp != nil,
              (namespace.spec?.finalizers ?? []).contains(Self.finalizer) else { return }
        var remaining = 0
        for kind in KubeKinds.all where kind.resource.namespaced {
            remaining += try await deleteAll(kind, in: name)
        }
        if remaining > 0 {
            logger.debug("namespace not empty yet", metadata: ["namespace": "\(name)", "remaining": "\(remaining)"])
            await queue.addAfter(name, delay: recheck)
            return
        }
        var finalized = namespace
        finalized.spec?.finalizers = (namespace.spec?.finalizers ?? []).filter { $0 != Self.finalizer }
        do {
            try await client.finalize(finalized)
        } catch let error where error.isNotFound {
            return
        } catch {
            throw ControllerError.api(error)
        }
        logger.info("namespace finalized", metadata: ["namespace": "\(name)"])
    }

    /// Deletes every object of `K` in the namespace; returns how many still exist.
    private func deleteAll<K: KubeObject>(_ type: K.Type, in namespace: String) async throws -> Int {
        do {
            let objects = try await client.list(K.self, namespace: namespace).items
            for object in objects where object.metadata.deletionTimestamp == nil {
                do {
                    try await client.delete(K.self, name: object.metadata.name ?? "", namespace: namespace)
                } catch let error where error.isNotFound {
                    continue
                }
            }
            return objects.count
        } catch {
            throw ControllerError.api(error)
        }
    }
}
