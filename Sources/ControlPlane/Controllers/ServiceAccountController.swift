import KubeAPI
import KubeClient
import Logging

/// Makes sure every active namespace has a `default` ServiceAccount (upstream's `serviceaccount-controller`),
/// re-creating it if deleted.
public struct ServiceAccountController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "serviceaccount-controller"
    static let accountName = "default"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let namespaces: Informer<Namespace>
    let serviceAccounts: Informer<ServiceAccount>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        namespaces = context.informers.informer(Namespace.self)
        serviceAccounts = context.informers.informer(ServiceAccount.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "serviceaccount", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        namespaces.addHandler(.enqueueing(into: queue))
        let queue = queue
        serviceAccounts.addHandler(InformerHandler(onDelete: { account in
            guard account.metadata.name == Self.accountName, let namespace = account.metadata.namespace else { return }
            await queue.add(namespace)
        }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { name in try await syncNamespace(name) }
    }

    /// Creates the namespace's `default` ServiceAccount if it is missing.
    func syncNamespace(_ name: String) async throws {
        guard let namespace = namespaces.get(name), namespace.metadata.deletionTimestamp == nil,
              namespace.status?.phase != "Terminating",
              serviceAccounts.get(name: Self.accountName, namespace: name) == nil else { return }
        do {
            _ = try await client.create(ServiceAccount(metadata: ObjectMeta(name: Self.accountName, namespace: name)))
            logger.debug("created default service account", metadata: ["namespace": "\(name)"])
        } catch let error where error.isAlreadyExists {
            return
        } catch {
            throw ControllerError.api(error)
        }
    }
}
