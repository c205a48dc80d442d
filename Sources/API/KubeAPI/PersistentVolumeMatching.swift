import Foundation

/// The annotations and finalizers of volume binding, as upstream names them.
public enum VolumeBinding {
    /// On a claim: the binder finished binding it (`"yes"`).
    public static let bindCompleted = "pv.kubernetes.io/bind-completed"
    /// On a claim or volume: the binder (not the user) set `spec.volumeName` / `spec.claimRef`.
    public static let boundByController = "pv.kubernetes.io/bound-by-controller"
    /// On a claim of a `WaitForFirstConsumer` class: the node the scheduler chose, for a provisioner.
    public static let selectedNode = "volume.kubernetes.io/selected-node"
    /// On a claim: the provisioner expected to create its volume.
    public static let storageProvisioner = "volume.kubernetes.io/storage-provisioner"
    public static let betaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
    /// On a volume: the provisioner that created it (and is expected to delete it).
    public static let provisionedBy = "pv.kubernetes.io/provisioned-by"
    /// Finalizers the StorageObjectInUseProtection admission adds and the protection controllers remove.
    public static let pvcProtectionFinalizer = "kubernetes.io/pvc-protection"
    public static let pvProtectionFinalizer = "kubernetes.io/pv-protection"
}

extension PersistentVolumeClaim {
    /// The claim's class: the beta annotation if present, else `spec.storageClassName`, else `""` (upstream's
    /// `GetPersistentVolumeClaimClass`).
    public var storageClass: String {
        if let name = metadata.annotations?[StorageClass.betaStorageClassAnnotation] { return name }
        return spec?.storageClassName ?? ""
    }

    /// `spec.resources.requests.storage` (zero when absent).
    public var requestedStorage: Quantity { spec?.resources?.requests?["storage"] ?? .zero }

    /// Whether the binder finished with this claim (`spec.volumeName` set and bind-completed).
    public var isBound: Bool {
        !(spec?.volumeName ?? "").isEmpty && metadata.annotations?[VolumeBinding.bindCompleted] != nil
    }
}

extension PersistentVolume {
    /// Upstream's `IsVolumeBoundToClaim`: `claimRef` names the claim (and its UID, if the reference has one).
    public func isBound(to claim: PersistentVolumeClaim) -> Bool {
        guard let ref = spec?.claimRef else { return false }
        guard ref.name == claim.metadata.name, ref.namespace == claim.metadata.namespace else { return false }
        if let uid = ref.uid, !uid.isEmpty, uid != claim.metadata.uid { return false }
        return true
    }

    /// Whether the node satisfies the volume's `nodeAffinity` (no affinity: every node).
    public func reachable(from node: Node) -> Bool {
        reachable(nodeName: node.metadata.name ?? "", labels: node.metadata.labels ?? [:])
    }

    /// The same for a node known by its name and labels (upstream's `CheckNodeAffinity`: terms ORed, an empty
    /// term matches nothing, `metadata.name` is the only field).
    public func reachable(nodeName: String, labels: [String: String]) -> Bool {
        guard let required = spec?.nodeAffinity?.required else { return true }
        return required.nodeSelectorTerms.contains { $0.matches(nodeName: nodeName, labels: labels) }
    }

    /// `spec.capacity.storage` (zero when absent).
    public var storageCapacity: Quantity { spec?.capacity?["storage"] ?? .zero }
}

/// Matching of claims to volumes, as upstream's `pkg/volume/util` and the binder's volume index do it, for the
/// persistentvolume-binder controller and the scheduler's VolumeBinding plugin alike.
public enum VolumeMatching {
    /// Upstream's `CheckVolumeModeMismatches`: both default to `Filesystem`.
    public static func volumeModeMismatch(_ claim: PersistentVolumeClaim, _ volume: PersistentVolume) -> Bool {
        (claim.spec?.volumeMode ?? "Filesystem") != (volume.spec?.volumeMode ?? "Filesystem")
    }

    /// Upstream's `CheckAccessModes`: the volume offers every mode the claim asks for.
    public static func accessModesSatisfied(_ claim: PersistentVolumeClaim, _ volume: PersistentVolume) -> Bool {
        let offered = Set(volume.spec?.accessModes ?? [])
        return (claim.spec?.accessModes ?? []).allSatisfy(offered.contains)
    }

    /// Upstream's `checkVolumeSatisfyClaim` for a claim that names its volume: nil, or why the volume does not do.
    public static func mismatch(_ volume: PersistentVolume, _ claim: PersistentVolumeClaim) -> String? {
        if volume.metadata.deletionTimestamp != nil { return "the volume is marked for deletion \"\(volume.metadata.name ?? "")\"" }
        if volume.storageCapacity.value < claim.requestedStorage.value { return "requested PV is too small" }
        if volume.storageClass != claim.storageClass { return "storageClassName does not match" }
        if volumeModeMismatch(claim, volume) { return "incompatible volumeMode" }
        if !accessModesSatisfied(claim, volume) { return "incompatible accessMode" }
        return nil
    }

    /// Upstream's `FindMatchingVolume`: a volume pre-bound to the claim if there is one, else the smallest
    /// `Available` volume of the claim's class that is big enough, matches the selector and volume mode, and (on the
    /// scheduler's path, with `node`) is reachable from the node and offers the access modes. With `delayBinding`
    /// and no node (the binder looking at a `WaitForFirstConsumer` claim) only pre-bound volumes count.
    public static func findMatchingVolume(for claim: PersistentVolumeClaim, in volumes: [PersistentVolume],
                                          node: (name: String, labels: [String: String])? = nil,
                                          delayBinding: Bool = false, excluded: Set<String> = []) -> PersistentVolume? {
        let requested = claim.requestedStorage
        let requestedClass = claim.storageClass
        let selector: LabelSelectorExpression?
        if let labelSelector = claim.spec?.selector {
            guard let parsed = try? LabelSelectorExpression(labelSelector) else { return nil }
            selector = parsed
        } else {
            selector = nil
        }
        var smallest: PersistentVolume?
        for volume in volumes {
            if excluded.contains(volume.metadata.name ?? "") { continue }
            if volume.spec?.claimRef != nil, !volume.isBound(to: claim) { continue }
            let capacity = volume.storageCapacity
            if capacity < requested { continue }
            if volumeModeMismatch(claim, volume) { continue }
            if volume.metadata.deletionTimestamp != nil { continue }
            let reachable = node.map { volume.reachable(nodeName: $0.name, labels: $0.labels) } ?? true
            if volume.isBound(to: claim) { return reachable ? volume : nil }
            if node == nil, delayBinding { continue }
            if volume.status?.phase != PersistentVolume.phaseAvailable { continue }
            if let selector, !selector.matches(volume.metadata.labels ?? [:]) { continue }
            if volume.storageClass != requestedClass { continue }
            if !reachable { continue }
            if node != nil, !accessModesSatisfied(claim, volume) { continue }
            if smallest == nil || capacity < smallest!.storageCapacity { smallest = volume }
        }
        return smallest
    }

    /// The binder's `findBestMatchForClaim` over its access-mode index: volumes are grouped by their access modes;
    /// only groups offering every mode the claim asks for are searched, those with the fewest modes first, and the
    /// first group with a match wins.
    public static func findBestMatch(for claim: PersistentVolumeClaim, in volumes: [PersistentVolume], delayBinding: Bool) -> PersistentVolume? {
        let wanted = Set(claim.spec?.accessModes ?? [])
        var groups: [Set<String>: [PersistentVolume]] = [:]
        for volume in volumes { groups[Set(volume.spec?.accessModes ?? []), default: []].append(volume) }
        let candidates = groups.keys.filter { wanted.isSubset(of: $0) }
            .sorted { $0.count != $1.count ? $0.count < $1.count : $0.sorted().lexicographicallyPrecedes($1.sorted()) }
        for modes in candidates {
            if let volume = findMatchingVolume(for: claim, in: groups[modes] ?? [], delayBinding: delayBinding) { return volume }
        }
        return nil
    }
}

extension Pod {
    /// The PersistentVolumeClaims the pod's volumes use: `persistentVolumeClaim` sources and the
    /// `<pod>-<volume>` claims of generic ephemeral volumes.
    public var claimNames: [String] {
        (spec?.volumes ?? []).compactMap { volume in
            if let claim = volume.persistentVolumeClaim { return claim.claimName }
            if volume.ephemeral != nil { return ephemeralClaimName(volume) }
            return nil
        }
    }

    /// The claim of a generic ephemeral volume: `<pod>-<volume>` (upstream's `ephemeral.VolumeClaimName`).
    public func ephemeralClaimName(_ volume: Volume) -> String { "\(metadata.name ?? "")-\(volume.name)" }

    /// Why `claim` cannot serve one of this pod's ephemeral volumes — it was not made for the pod (the pod is not its
    /// controlling owner) — in upstream's words (`ephemeral.VolumeIsForPod`); nil when it can.
    public func ephemeralClaimProblem(_ claim: PersistentVolumeClaim) -> String? {
        let owned = claim.metadata.ownerReferences?.contains { $0.controller == true && $0.uid == metadata.uid } == true
        return owned ? nil : "PVC \(claim.metadata.namespace ?? "")/\(claim.metadata.name ?? "") was not created for pod \(metadata.namespace ?? "")/\(metadata.name ?? "") (pod is not owner)"
    }

    /// Whether the pod's volume named `claimName` is a generic ephemeral volume.
    public func isEphemeralClaim(_ claimName: String) -> Bool {
        (spec?.volumes ?? []).contains { $0.ephemeral != nil && ephemeralClaimName($0) == claimName }
    }
}
