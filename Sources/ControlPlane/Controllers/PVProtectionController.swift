import KubeAPI
import KubeClient
import Logging

/// Upstream's `persistentvolume-protection-controller`: a volume being deleted keeps its
/// `kubernetes.io/pv-protection` finalizer while it is `Bound` to a claim, and loses it once it is not.
public struct PVProtectionController: Controller {
    public static let controllerName = "persistentvolume-protection-controller"
    public var name: String { Self.controllerName }
    let client: KubeClient
    let volumes: Informer<PersistentVolume>
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        volumes = context.informers.informer(PersistentVolume.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "pvprotection", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        volumes.addHandler(InformerHandler(onAdd: { await queue.add($0.metadata.name ?? "") },
                                           onUpdate: { _, new in await queue.add(new.metadata.name ?? "") }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await sync(key) }
    }

    func sync(_ name: String) async throws {
        guard let volume = volumes.get(name: name), volume.metadata.deletionTimestamp != nil,
              let finalizers = volume.metadata.finalizers, finalizers.contains(VolumeBinding.pvProtectionFinalizer),
              volume.status?.phase != PersistentVolume.phaseBound else { return }
        var updated = volume
        updated.metadata.finalizers = finalizers.filter { $0 != VolumeBinding.pvProtectionFinalizer }
        _ = try await client.update(updated)
        logger.info("removed pv-protection finalizer", metadata: ["volume": "\(name)"])
    }
}
