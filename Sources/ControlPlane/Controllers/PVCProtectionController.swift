import KubeAPI
import KubeClient
import Logging

/// Upstream's `persistentvolumeclaim-protection-controller`: a claim being deleted keeps its
/// `kubernetes.io/pvc-protection` finalizer while a scheduled pod that has not finished uses it, and loses it (so
/// the deletion completes) once none does.
public struct PVCProtectionController: Controller {
    public static let controllerName = "persistentvolumeclaim-protection-controller"
    public var name: String { Self.controllerName }
    let client: KubeClient
    let claims: Informer<PersistentVolumeClaim>
    let pods: Informer<Pod>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        claims = context.informers.informer(PersistentVolumeClaim.self)
        pods = context.informers.informer(Pod.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "pvcprotection", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        claims.addHandler(InformerHandler(onAdd: { await queue.add(Informer.key(for: $0)) },
                                          onUpdate: { _, new in await queue.add(Informer.key(for: new)) }))
        // A pod that goes away or finishes may release its claims.
        let podChanged: @Sendable (Pod) async -> Void = { pod in
            for claim in pod.claimNames { await queue.add("\(pod.metadata.namespace ?? "")/\(claim)") }
        }
        pods.addHandler(InformerHandler(onUpdate: { _, new in await podChanged(new) }, onDelete: { await podChanged($0) }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let claim = claims.get(key), claim.metadata.deletionTimestamp != nil,
              let finalizers = claim.metadata.finalizers, finalizers.contains(VolumeBinding.pvcProtectionFinalizer) else { return }
        let name = claim.metadata.name ?? ""
        let inUse = pods.list(namespace: claim.metadata.namespace).contains { pod in
            let phase = pod.status?.phase
            return !(pod.spec?.nodeName ?? "").isEmpty && phase != "Succeeded" && phase != "Failed" && pod.claimNames.contains(name)
        }
        if inUse {
            logger.debug("claim still in use", metadata: ["claim": "\(key)"])
            return
        }
        var updated = claim
        updated.metadata.finalizers = finalizers.filter { $0 != VolumeBinding.pvcProtectionFinalizer }
        _ = try await client.update(updated)
        logger.info("removed pvc-protection finalizer", metadata: ["claim": "\(key)"])
    }
}
