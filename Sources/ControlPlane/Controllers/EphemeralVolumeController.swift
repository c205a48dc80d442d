import Foundation
import KubeAPI
import KubeClient
import Logging

/// Creates the PersistentVolumeClaim of each generic ephemeral volume (`volumes[].ephemeral.volumeClaimTemplate`)
/// of a pod (upstream's `ephemeral-volume-controller`): named `<pod>-<volume>`, with the template's labels,
/// annotations and spec, controlled by the pod, so the binder and the scheduler treat it as any claim and the garbage
/// collector deletes it with the pod. A claim of that name the pod does not own is left alone, with upstream's
/// `FailedBinding` Warning on the pod; pods being deleted are skipped.
public struct EphemeralVolumeController: Controller {
    /// Upstream's name, for `--controllers`.
    public static let controllerName = "ephemeral-volume-controller"

    public var name: String { Self.controllerName }
    let client: KubeClient
    let pods: Informer<Pod>
    let claims: Informer<PersistentVolumeClaim>
    let events: EventRecorder
    let queue: WorkQueue
    let logger: Logger
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        pods = context.informers.informer(Pod.self)
        claims = context.informers.informer(PersistentVolumeClaim.self)
        logger = context.logger(for: Self.controllerName)
        queue = WorkQueue(name: "ephemeral_volume", logger: logger)
        events = EventRecorder(client: context.client, component: "ephemeral_volume", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue
        let podChanged: @Sendable (Pod) async -> Void = { pod in
            guard pod.spec?.volumes?.contains(where: { $0.ephemeral != nil }) == true else { return }
            await queue.add(Informer.key(for: pod))
        }
        pods.addHandler(InformerHandler(onAdd: podChanged, onUpdate: { _, new in await podChanged(new) }))
        // A claim deleted while its pod still needs it is made again.
        let pods = pods
        claims.addHandler(InformerHandler(onDelete: { claim in
            for owner in claim.metadata.ownerReferences ?? [] where owner.kind == "Pod" && owner.controller == true {
                if pods.get(Informer<Pod>.key(namespace: claim.metadata.namespace, name: owner.name)) != nil {
                    await queue.add(Informer<Pod>.key(namespace: claim.metadata.namespace, name: owner.name))
                }
            }
        }))
    }

    public func run(workers: Int) async {
        await queue.processSyncs(workers: workers, metrics: metrics, logger: logger) { key in try await syncPod(key) }
    }

    func syncPod(_ key: String) async throws {
        guard let pod = pods.get(key), pod.metadata.deletionTimestamp == nil else { return }
        let namespace = pod.metadata.namespace ?? "default"
        for volume in pod.spec?.volumes ?? [] {
            guard let source = volume.ephemeral else { continue }
            let claimName = pod.ephemeralClaimName(volume)
            if let existing = claims.get(Informer<PersistentVolumeClaim>.key(namespace: namespace, name: claimName)) {
                if let problem = pod.ephemeralClaimProblem(existing) {
                    events.record(pod, "Warning", reason: "FailedBinding", message: "ephemeral volume \(volume.name): \(problem)")
                    throw ControllerError.retryLater(key: key, reason: "ephemeral volume \(volume.name): \(problem)")
                }
                continue
            }
            var claim = try Self.claim(from: source.volumeClaimTemplate)
            claim.setTypeMeta()
            claim.metadata.name = claimName
            claim.metadata.namespace = namespace
            claim.metadata.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Pod", name: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "",
                                                             controller: true, blockOwnerDeletion: true)]
            do {
                _ = try await client.create(claim)
            } catch let error where error.isAlreadyExists {
                continue
            } catch {
                events.record(pod, "Warning", reason: "FailedBinding", message: "ephemeral volume \(volume.name): create PVC \(claimName): \(error)")
                throw ControllerError.api(error)
            }
        }
    }

    /// The claim a `volumeClaimTemplate` describes: its labels, annotations and spec.
    static func claim(from template: JSONValue?) throws(ControllerError) -> PersistentVolumeClaim {
        do { return try decodedClaim(template) } catch {
            throw .invalidObject(key: "volumeClaimTemplate", reason: "\(error)")
        }
    }

    private static func decodedClaim(_ template: JSONValue?) throws -> PersistentVolumeClaim {
        let metadata = template?["metadata"]
        var claim = PersistentVolumeClaim()
        claim.metadata.labels = try metadata?["labels"].map { try KubeJSON.decode([String: String].self, from: $0) }
        claim.metadata.annotations = try metadata?["annotations"].map { try KubeJSON.decode([String: String].self, from: $0) }
        claim.spec = try template?["spec"].map { try KubeJSON.decode(PersistentVolumeClaimSpec.self, from: $0) }
        return claim
    }
}
