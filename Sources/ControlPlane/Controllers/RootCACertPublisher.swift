import Foundation
import KubeAPI
import KubeClient
import Logging

/// Keeps a `kube-root-ca.crt` ConfigMap holding the cluster CA (`ca.crt`) in every namespace, re-writing it when
/// deleted or changed (upstream's `root-ca-certificate-publisher-controller`): what a pod's `kube-api-access-*`
/// volume projects so the pod can verify the API server. The CA is the controller manager's client CA, as upstream
/// uses when `--root-ca-file` is not given; over plain HTTP there is none and the controller does nothing.
public struct RootCACertPublisher: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "root-ca-certificate-publisher-controller"
    static let configMapName = "kube-root-ca.crt"
    static let descriptionAnnotation = "kubernetes.io/description"
    static let description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. "
        + "No other usage is guaranteed across distributions of Kubernetes clusters."

    public var name: String { Self.controllerName }
    let client: KubeClient
    let rootCA: String?
    let namespaces: Informer<Namespace>
    let configMaps: Informer<ConfigMap>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        rootCA = context.client.configuration.certificateAuthority.map { String(decoding: $0, as: UTF8.self) }
        namespaces = context.informers.informer(Namespace.self)
        configMaps = context.informers.informer(ConfigMap.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "root_ca_cert_publisher", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        namespaces.addHandler(InformerHandler(onAdd: { await queue.add($0.metadata.name ?? "") },
                                              onUpdate: { _, new in await queue.add(new.metadata.name ?? "") }))
        let changed: @Sendable (ConfigMap) async -> Void = { map in
            guard map.metadata.name == Self.configMapName, let namespace = map.metadata.namespace else { return }
            await queue.add(namespace)
        }
        configMaps.addHandler(InformerHandler(onUpdate: { _, new in await changed(new) }, onDelete: changed))
    }

    public func run(workers: Int) async {
        guard rootCA != nil else { return }
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { name in try await syncNamespace(name) }
    }

    /// Creates the namespace's ConfigMap, or restores its data and description annotation.
    func syncNamespace(_ name: String) async throws {
        guard let rootCA, let namespace = namespaces.get(name), namespace.metadata.deletionTimestamp == nil else { return }
        let data = ["ca.crt": rootCA]
        guard var map = configMaps.get(name: Self.configMapName, namespace: name) else {
            do {
                _ = try await client.create(ConfigMap(metadata: ObjectMeta(name: Self.configMapName, namespace: name,
                                                                           annotations: [Self.descriptionAnnotation: Self.description]),
                                                      data: data))
                logger.debug("published root CA", metadata: ["namespace": "\(name)"])
            } catch let error where error.isAlreadyExists || error.isNotFound
                || (error.status?.details?.causes ?? []).contains(where: { $0.reason == "NamespaceTerminating" }) {
                // Already there (the informer will tell), or the namespace is gone or going: nothing to retry.
            } catch {
                throw ControllerError.api(error)
            }
            return
        }
        if map.data == data, !(map.metadata.annotations?[Self.descriptionAnnotation] ?? "").isEmpty { return }
        map.data = data
        map.metadata.annotations = (map.metadata.annotations ?? [:]).merging([Self.descriptionAnnotation: Self.description]) { _, new in new }
        do {
            _ = try await client.update(map)
        } catch {
            throw ControllerError.api(error)
        }
    }
}
