import Foundation
import KubeAPI
import KubeClient
import Logging
import Metrics

/// Upstream's `persistentvolume-binder` controller (pkg/controller/volume/persistentvolume): binds each pending
/// PersistentVolumeClaim to the smallest `Available` PersistentVolume that fits it (class, access modes, size,
/// selector, volume mode; a volume pre-bound through `claimRef` or a claim naming `spec.volumeName` first), keeps
/// both sides' phases (`Available`, `Bound`, `Released`, `Failed`; `Pending`, `Bound`, `Lost`), the
/// `pv.kubernetes.io/bind-completed` / `bound-by-controller` annotations and `claimRef`, and reclaims released
/// volumes by their policy. Claims of a `WaitForFirstConsumer` class wait for the scheduler, which pre-binds a
/// volume on the chosen node; claims with no class get the default one once it exists.
///
/// Swiftlet has no volume plugins and no provisioner: a released `Delete` volume is deleted only where upstream's
/// in-tree deleter would (a hostPath under `/tmp/`; only the object goes: the directory is on a node), fails as
/// upstream's does otherwise, and is left to an external provisioner that created it; claims of a class with a
/// provisioner wait for that (external) provisioner.
public struct PersistentVolumeController: Controller {
    public static let controllerName = "persistentvolume-binder-controller"
    /// The source upstream's events carry.
    static let component = "persistentvolume-controller"
    /// Upstream's `--pvclaimbinder-sync-period`.
    static let syncPeriod: Duration = .seconds(15)

    public var name: String { Self.controllerName }
    let client: KubeClient
    let volumes: Informer<PersistentVolume>
    let claims: Informer<PersistentVolumeClaim>
    let classes: Informer<StorageClass>
    let pods: Informer<Pod>
    let queue: WorkQueue
    let logger: Logger
    let events: EventRecorder
    let metrics: ControllerMetrics

    public init(context: ControllerContext) {
        client = context.client
        volumes = context.informers.informer(PersistentVolume.self)
        claims = context.informers.informer(PersistentVolumeClaim.self)
        classes = context.informers.informer(StorageClass.self)
        pods = context.informers.informer(Pod.self)
        logger = context.logger(for: Self.controllerName)
        events = EventRecorder(client: context.client, component: Self.component, logger: logger)
        queue = WorkQueue(name: "persistentvolume", logger: logger)
        metrics = ControllerMetrics(controller: Self.controllerName)
        let queue = queue, claims = claims
        /// Pending claims may now find a volume (or a default class).
        let pendingClaims: @Sendable () async -> Void = {
            for claim in claims.list() where !claim.isBound { await queue.add(Self.claimKey(claim)) }
        }
        volumes.addHandler(InformerHandler(
            onAdd: { await queue.add(Self.volumeKey($0)); await pendingClaims() },
            onUpdate: { old, new in
                await queue.add(Self.volumeKey(new))
                if let ref = new.spec?.claimRef, let name = ref.name { await queue.add("pvc/\(ref.namespace ?? "")/\(name)") }
                if old.status?.phase != new.status?.phase || old.spec?.claimRef != new.spec?.claimRef { await pendingClaims() }
            },
            onDelete: {
                if let ref = $0.spec?.claimRef, let name = ref.name { await queue.add("pvc/\(ref.namespace ?? "")/\(name)") }
            }))
        claims.addHandler(InformerHandler(
            onAdd: { await queue.add(Self.claimKey($0)) },
            onUpdate: { _, new in await queue.add(Self.claimKey(new)) },
            onDelete: { claim in
                // Its volume is released.
                if let name = claim.spec?.volumeName, !name.isEmpty { await queue.add("pv/\(name)") }
            }))
        classes.addHandler(InformerHandler(onAdd: { _ in await pendingClaims() }, onUpdate: { _, _ in await pendingClaims() }))
    }

    /// Upstream's PV collector gauges: `pv_collector_bound_pv_count` / `unbound_pv_count` by storage class and
    /// `pv_collector_bound_pvc_count` / `unbound_pvc_count` by namespace. Series seen before and gone now drop to 0.
    /// Returns the series recorded (metric name then label values).
    static func recordCounts(volumes: [PersistentVolume], claims: [PersistentVolumeClaim], previously: Set<[String]>) -> Set<[String]> {
        var counts: [[String]: Int] = [:]
        for volume in volumes {
            let bound = volume.status?.phase == PersistentVolume.phaseBound
            counts[[bound ? "pv_collector_bound_pv_count" : "pv_collector_unbound_pv_count", volume.storageClass], default: 0] += 1
        }
        for claim in claims {
            counts[[claim.isBound ? "pv_collector_bound_pvc_count" : "pv_collector_unbound_pvc_count", claim.metadata.namespace ?? ""], default: 0] += 1
        }
        for series in previously where counts[series] == nil { counts[series] = 0 }
        for (series, count) in counts {
            let label = series[0].hasSuffix("_pv_count") ? "storage_class" : "namespace"
            Gauge(label: series[0], dimensions: [(label, series[1])]).record(count)
        }
        return Set(counts.filter { $0.value > 0 }.keys)
    }

    static func volumeKey(_ volume: PersistentVolume) -> String { "pv/\(volume.metadata.name ?? "")" }
    static func claimKey(_ claim: PersistentVolumeClaim) -> String { "pvc/\(claim.metadata.namespace ?? "")/\(claim.metadata.name ?? "")" }

    /// One worker, as upstream's binder has for each of its queues: binding is a sequence of writes to a volume
    /// and a claim that two workers must not interleave. Everything is resynced every 15 s.
    public func run(workers: Int) async {
        let queue = queue, volumes = volumes, claims = claims
        await withDiscardingTaskGroup { group in
            group.addTask {
                var recorded: Set<[String]> = []
                while !Task.isCancelled {
                    recorded = Self.recordCounts(volumes: volumes.list(), claims: claims.list(), previously: recorded)
                    try? await Task.sleep(for: Self.syncPeriod)
                    for volume in volumes.list() { await queue.add(Self.volumeKey(volume)) }
                    for claim in claims.list() { await queue.add(Self.claimKey(claim)) }
                }
            }
            group.addTask {
                await queue.processSyncs(workers: 1, metrics: metrics, logger: logger) { key in try await sync(key) }
            }
        }
    }

    func sync(_ key: String) async throws {
        let parts = key.split(separator: "/", maxSplits: 2).map(String.init)
        if parts.first == "pv", parts.count == 2 {
            if let volume = volumes.get(name: parts[1]) { try await syncVolume(volume) }
        } else if parts.first == "pvc", parts.count == 3 {
            if let claim = claims.get(name: parts[2], namespace: parts[1]) { try await syncClaim(claim) }
        }
    }

    // MARK: Claims

    func syncClaim(_ claim: PersistentVolumeClaim) async throws {
        if claim.metadata.annotations?[VolumeBinding.bindCompleted] == nil {
            try await syncUnboundClaim(claim)
        } else {
            try await syncBoundClaim(claim)
        }
    }

    func storageClass(named name: String) -> StorageClass? { name.isEmpty ? nil : classes.get(name: name) }

    /// Upstream's `IsDelayBindingMode`: the claim's class exists and waits for the first consumer.
    func delaysBinding(_ claim: PersistentVolumeClaim) -> Bool {
        storageClass(named: claim.storageClass)?.waitsForFirstConsumer ?? false
    }

    func syncUnboundClaim(_ claim: PersistentVolumeClaim) async throws {
        let volumeName = claim.spec?.volumeName ?? ""
        guard volumeName.isEmpty else {
            try await syncClaimNamingVolume(claim, volumeName: volumeName)
            return
        }
        let delay = delaysBinding(claim)
        if let volume = VolumeMatching.findBestMatch(for: claim, in: volumes.list(), delayBinding: delay) {
            try await bind(volume, claim)
            return
        }
        if try await assignDefaultClass(claim) { return }
        let className = claim.storageClass
        if delay, claim.metadata.annotations?[VolumeBinding.selectedNode] == nil {
            let waiting = podsWaiting(for: claim)
            switch waiting.count {
            case 0: events.record(claim, reason: "WaitForFirstConsumer", message: "waiting for first consumer to be created before binding")
            case 1: events.record(claim, reason: "WaitForPodScheduled", message: "waiting for pod \(waiting[0]) to be scheduled")
            default: events.record(claim, reason: "WaitForPodScheduled", message: "waiting for pods \(waiting.joined(separator: ",")) to be scheduled")
            }
        } else if !className.isEmpty {
            try await provision(claim, className: className)
        } else {
            events.record(claim, reason: "FailedBinding", message: "no persistent volumes available for this claim and no storage class is set")
        }
        try await setClaimPhase(claim, "Pending")
    }

    /// A claim that names its volume (`spec.volumeName`): bind if the volume is free and fits.
    func syncClaimNamingVolume(_ claim: PersistentVolumeClaim, volumeName: String) async throws {
        guard let volume = volumes.get(name: volumeName) else {
            try await setClaimPhase(claim, "Pending")
            return
        }
        if volume.spec?.claimRef == nil {
            if let problem = VolumeMatching.mismatch(volume, claim) {
                events.record(claim, "Warning", reason: "VolumeMismatch", message: "Cannot bind to requested volume \"\(volumeName)\": \(problem)")
                try await setClaimPhase(claim, "Pending")
                return
            }
            try await bind(volume, claim)
        } else if volume.isBound(to: claim) {
            try await bind(volume, claim)
        } else if claim.metadata.annotations?[VolumeBinding.boundByController] == nil {
            events.record(claim, "Warning", reason: "FailedBinding", message: "volume \"\(volumeName)\" already bound to a different claim.")
            try await setClaimPhase(claim, "Pending")
        }
    }

    func syncBoundClaim(_ claim: PersistentVolumeClaim) async throws {
        let volumeName = claim.spec?.volumeName ?? ""
        if volumeName.isEmpty {
            try await setClaimPhase(claim, "Lost", event: ("Warning", "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!"))
            return
        }
        guard let volume = volumes.get(name: volumeName) else {
            try await setClaimPhase(claim, "Lost", event: ("Warning", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!"))
            return
        }
        if volume.spec?.claimRef == nil || volume.isBound(to: claim) {
            try await bind(volume, claim)
        } else {
            try await setClaimPhase(claim, "Lost", event: ("Warning", "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly"))
        }
    }

    /// Upstream's retroactive default StorageClass assignment: a pending claim with no class at all gets the default.
    func assignDefaultClass(_ claim: PersistentVolumeClaim) async throws -> Bool {
        guard claim.spec?.storageClassName == nil, claim.metadata.annotations?[StorageClass.betaStorageClassAnnotation] == nil else { return false }
        guard let chosen = StorageClass.defaultClass(among: classes.list()) else { return false }
        var updated = claim
        var spec = updated.spec ?? PersistentVolumeClaimSpec()
        spec.storageClassName = chosen.metadata.name
        updated.spec = spec
        _ = try await client.update(updated)
        logger.info("assigned default storage class", metadata: ["claim": "\(Self.claimKey(claim))", "class": "\(chosen.metadata.name ?? "")"])
        return true
    }

    /// Upstream's `provisionClaim` without in-tree provisioners: an unknown class fails, `kubernetes.io/…`
    /// provisioners have no plugin here, any other provisioner is external and is waited for.
    func provision(_ claim: PersistentVolumeClaim, className: String) async throws {
        guard let storageClass = storageClass(named: className) else {
            events.record(claim, "Warning", reason: "ProvisioningFailed", message: "storageclass.storage.k8s.io \"\(className)\" not found")
            return
        }
        let provisioner = storageClass.provisioner
        if provisioner.hasPrefix("kubernetes.io/") {
            events.record(claim, "Warning", reason: "ProvisioningFailed", message: "no volume plugin matched name: \(provisioner)")
            return
        }
        if claim.metadata.annotations?[VolumeBinding.storageProvisioner] != provisioner {
            var updated = claim
            var annotations = updated.metadata.annotations ?? [:]
            annotations[VolumeBinding.storageProvisioner] = provisioner
            annotations[VolumeBinding.betaStorageProvisioner] = provisioner
            updated.metadata.annotations = annotations
            _ = try await client.update(updated)
        }
        events.record(claim, reason: "ExternalProvisioning", message: "Waiting for a volume to be created either by the external provisioner '\(provisioner)' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.")
    }

    /// Pods using the claim that are not scheduled yet, as `namespace/name`.
    func podsWaiting(for claim: PersistentVolumeClaim) -> [String] {
        let namespace = claim.metadata.namespace ?? ""
        return pods.list(namespace: namespace).filter { pod in
            (pod.spec?.nodeName ?? "").isEmpty && pod.claimNames.contains(claim.metadata.name ?? "")
        }.map { "\(namespace)/\($0.metadata.name ?? "")" }.sorted()
    }

    func setClaimPhase(_ claim: PersistentVolumeClaim, _ phase: String, event: (type: String, reason: String, message: String)? = nil) async throws {
        if let event { events.record(claim, event.type, reason: event.reason, message: event.message) }
        guard claim.status?.phase != phase else { return }
        var updated = claim
        var status = updated.status ?? PersistentVolumeClaimStatus()
        status.phase = phase
        if phase != "Bound" {
            status.accessModes = nil
            status.capacity = nil
        }
        updated.status = status
        _ = try await client.updateStatus(updated)
    }

    // MARK: Binding

    /// Upstream's `bind`: the volume's `claimRef` (bound-by-controller when the controller chose it), the volume
    /// `Bound`, the claim's `volumeName` and bind-completed annotation, the claim `Bound` with the volume's modes
    /// and capacity. Each step is skipped when already done, so a repeated sync converges.
    func bind(_ volume: PersistentVolume, _ claim: PersistentVolumeClaim) async throws {
        var volume = volume, claim = claim
        let claimKey = Self.claimKey(claim)
        if !(volume.isBound(to: claim) && !(volume.spec?.claimRef?.uid ?? "").isEmpty) {
            var spec = volume.spec ?? PersistentVolumeSpec()
            let wasUnbound = spec.claimRef == nil
            spec.claimRef = ObjectReference(kind: "PersistentVolumeClaim", namespace: claim.metadata.namespace, name: claim.metadata.name,
                                            uid: claim.metadata.uid, apiVersion: "v1", resourceVersion: claim.metadata.resourceVersion)
            volume.spec = spec
            if wasUnbound { volume.metadata.annotations = (volume.metadata.annotations ?? [:]).merging([VolumeBinding.boundByController: "yes"]) { $1 } }
            volume = try await client.update(volume)
        }
        if volume.status?.phase != PersistentVolume.phaseBound {
            volume.status = PersistentVolumeStatus(phase: PersistentVolume.phaseBound, message: nil, reason: nil,
                                                   lastPhaseTransitionTime: volume.status?.lastPhaseTransitionTime)
            volume = try await client.updateStatus(volume)
        }
        let volumeName = volume.metadata.name ?? ""
        if claim.spec?.volumeName != volumeName || claim.metadata.annotations?[VolumeBinding.bindCompleted] == nil {
            var spec = claim.spec ?? PersistentVolumeClaimSpec()
            var annotations = claim.metadata.annotations ?? [:]
            if spec.volumeName != volumeName {
                spec.volumeName = volumeName
                annotations[VolumeBinding.boundByController] = "yes"
            }
            annotations[VolumeBinding.bindCompleted] = "yes"
            claim.spec = spec
            claim.metadata.annotations = annotations
            claim = try await client.update(claim)
        }
        // Upstream's updateClaimStatus: the capacity is the volume's when the claim becomes Bound, and not clobbered
        // after (an expansion makes them differ on purpose); the resize conditions and allocations stay.
        var status = claim.status ?? PersistentVolumeClaimStatus()
        if status.phase != "Bound" { status.capacity = volume.spec?.capacity }
        status.phase = "Bound"
        status.accessModes = volume.spec?.accessModes
        if claim.status != status {
            claim.status = status
            _ = try await client.updateStatus(claim)
            logger.info("bound claim to volume", metadata: ["claim": "\(claimKey)", "volume": "\(volumeName)"])
        }
    }

    // MARK: Volumes

    func syncVolume(_ volume: PersistentVolume) async throws {
        guard let ref = volume.spec?.claimRef else {
            try await setVolumePhase(volume, PersistentVolume.phaseAvailable)
            return
        }
        if (ref.uid ?? "").isEmpty {
            // Pre-bound by the user (or by the scheduler) to a claim that has not bound yet.
            try await setVolumePhase(volume, PersistentVolume.phaseAvailable)
            return
        }
        var claim = claims.get(name: ref.name ?? "", namespace: ref.namespace)
        if let found = claim, found.metadata.uid != ref.uid { claim = nil }
        guard let claim else {
            try await release(volume)
            return
        }
        let claimVolume = claim.spec?.volumeName ?? ""
        if claimVolume.isEmpty {
            if VolumeMatching.volumeModeMismatch(claim, volume) {
                events.record(volume, "Warning", reason: "VolumeMismatch",
                              message: "Cannot bind PersistentVolume to requested PersistentVolumeClaim \"\(claim.metadata.name ?? "")\" due to incompatible volumeMode.")
                events.record(claim, "Warning", reason: "VolumeMismatch",
                              message: "Cannot bind PersistentVolume \"\(volume.metadata.name ?? "")\" to requested PersistentVolumeClaim due to incompatible volumeMode.")
                return
            }
            // The claim's sync finishes the binding.
            await queue.add(Self.claimKey(claim))
        } else if claimVolume == volume.metadata.name {
            try await setVolumePhase(volume, PersistentVolume.phaseBound)
        } else {
            // The claim went to another volume: undo the controller's binding, or (the user's) keep it pre-bound.
            try await unbind(volume)
        }
    }

    /// Upstream's `unbindVolume`: a controller binding is dropped, a user's keeps the claim's name without its UID.
    func unbind(_ volume: PersistentVolume) async throws {
        var volume = volume
        var spec = volume.spec ?? PersistentVolumeSpec()
        if volume.metadata.annotations?[VolumeBinding.boundByController] != nil {
            spec.claimRef = nil
            volume.metadata.annotations?[VolumeBinding.boundByController] = nil
        } else {
            spec.claimRef?.uid = nil
        }
        volume.spec = spec
        volume = try await client.update(volume)
        try await setVolumePhase(volume, PersistentVolume.phaseAvailable)
    }

    /// The claim is gone: the volume is `Released` and reclaimed by its policy.
    func release(_ volume: PersistentVolume) async throws {
        var volume = volume
        let phase = volume.status?.phase
        if phase != PersistentVolume.phaseReleased, phase != PersistentVolume.phaseFailed {
            volume = try await setVolumePhase(volume, PersistentVolume.phaseReleased)
        }
        let name = volume.metadata.name ?? ""
        switch volume.spec?.persistentVolumeReclaimPolicy ?? "Retain" {
        case "Delete":
            guard volume.status?.phase == PersistentVolume.phaseReleased, volume.metadata.deletionTimestamp == nil else { return }
            if let provisioner = volume.metadata.annotations?[VolumeBinding.provisionedBy], !provisioner.hasPrefix("kubernetes.io/") {
                // An external provisioner created it and deletes it.
                return
            }
            if let hostPath = volume.spec?.hostPath {
                guard hostPath.path.hasPrefix("/tmp/"), hostPath.path.count > "/tmp/".count else {
                    try await setVolumePhase(volume, PersistentVolume.phaseFailed, event: ("Warning", "VolumeFailedDelete",
                        "host_path deleter only supports /tmp/.+ but received provided \(hostPath.path)"))
                    return
                }
                try await client.delete(PersistentVolume.self, name: name)
                logger.info("deleted released volume", metadata: ["volume": "\(name)"])
                return
            }
            try await setVolumePhase(volume, PersistentVolume.phaseFailed, event: ("Warning", "VolumeFailedDelete",
                "error getting deleter volume plugin for volume \"\(name)\": no deletable volume plugin matched"))
        case "Recycle":
            guard volume.status?.phase == PersistentVolume.phaseReleased else { return }
            try await setVolumePhase(volume, PersistentVolume.phaseFailed, event: ("Warning", "VolumeFailedRecycle", "No recycler plugin found for the volume!"))
        default:
            break
        }
    }

    @discardableResult
    func setVolumePhase(_ volume: PersistentVolume, _ phase: String, event: (type: String, reason: String, message: String)? = nil) async throws -> PersistentVolume {
        if let event { events.record(volume, event.type, reason: event.reason, message: event.message) }
        let message = event?.message
        guard volume.status?.phase != phase || volume.status?.message != message else { return volume }
        var updated = volume
        updated.status = PersistentVolumeStatus(phase: phase, message: message, reason: nil,
                                                lastPhaseTransitionTime: volume.status?.lastPhaseTransitionTime)
        return try await client.updateStatus(updated)
    }
}
