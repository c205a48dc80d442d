import Foundation
import KubeAPI
import KubePatch

/// core/v1 PersistentVolumeClaims: stored and validated as upstream does (access modes, a storage request,
/// volume mode), `Pending` until the persistentvolume-binder controller binds them. Admission gives a claim that
/// names no class the default StorageClass (DefaultStorageClass) and the `kubernetes.io/pvc-protection` finalizer
/// (StorageObjectInUseProtection).
struct PersistentVolumeClaimStrategy: ResourceStrategy {
    typealias Object = PersistentVolumeClaim
    static let accessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]

    func prepareForCreate(_ claim: inout PersistentVolumeClaim, context: AdmissionContext) async throws {
        Self.applyDefaults(&claim)
        claim.status = PersistentVolumeClaimStatus(phase: "Pending")
        try await context.storageClasses?.admit(&claim)
        var finalizers = claim.metadata.finalizers ?? []
        if !finalizers.contains(VolumeBinding.pvcProtectionFinalizer) { finalizers.append(VolumeBinding.pvcProtectionFinalizer) }
        claim.metadata.finalizers = finalizers
    }

    /// LimitRanger's bounds on the storage request.
    func admitValidated(_ claim: PersistentVolumeClaim, context: AdmissionContext) async throws {
        try await context.limitRanger?.validate(claim)
    }

    func prepareForUpdate(_ claim: inout PersistentVolumeClaim, old: PersistentVolumeClaim, context: AdmissionContext) async throws {
        Self.applyDefaults(&claim)
    }

    static func applyDefaults(_ claim: inout PersistentVolumeClaim) {
        var spec = claim.spec ?? PersistentVolumeClaimSpec()
        if spec.volumeMode == nil { spec.volumeMode = "Filesystem" }
        claim.spec = spec
    }

    /// Upstream's `ValidatePersistentVolumeClaimSpec`, for claims and StatefulSet claim templates alike.
    static func validateSpec(_ spec: PersistentVolumeClaimSpec?, path: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        let modes = spec?.accessModes ?? []
        if modes.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: at least 1 access mode is required", field: "\(path).accessModes"))
        }
        for mode in modes where !accessModes.contains(mode) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(mode)\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"", field: "\(path).accessModes"))
        }
        if modes.contains("ReadWriteOncePod"), modes.count > 1 {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not use ReadWriteOncePod with other access modes", field: "\(path).accessModes"))
        }
        if let storage = spec?.resources?.requests?["storage"] {
            if !(Quantity.zero < storage) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(storage)\": must be greater than zero", field: "\(path).resources[storage]"))
            }
        } else {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "\(path).resources[storage]"))
        }
        if let mode = spec?.volumeMode, !["Filesystem", "Block"].contains(mode) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(mode)\": supported values: \"Block\", \"Filesystem\"", field: "\(path).volumeMode"))
        }
        return causes
    }

    func validate(_ claim: PersistentVolumeClaim, old: PersistentVolumeClaim?) -> [StatusCause] {
        var causes = Self.validateSpec(claim.spec, path: "spec")
        if let old, var a = claim.spec, var b = old.spec {
            // Upstream's ValidatePersistentVolumeClaimUpdate: only the storage request may change (and the
            // volume name be filled in once, and a claim without a class be given one: upstream's retroactive
            // default StorageClass assignment).
            a.resources = nil
            b.resources = nil
            if (b.volumeName ?? "").isEmpty { b.volumeName = a.volumeName }
            if b.storageClassName == nil { b.storageClassName = a.storageClassName }
            if a != b {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims", field: "spec"))
            }
        }
        return causes
    }

    /// NodeRestriction's `admitPVCStatus`: a node's status write (the kubelet finishing a volume expansion) may change
    /// only `status.capacity`, `status.conditions` and, with RecoverVolumeExpansionFailure (on by default since
    /// 1.32), `status.allocatedResources` and `status.allocatedResourceStatuses`; the rest of the object it sends must
    /// be as stored but for resourceVersion and managedFields. The Node authorizer has already checked that one of
    /// the node's pods uses the claim.
    func authorizeSubresourceWrite(_ claim: PersistentVolumeClaim, requested: PersistentVolumeClaim, old: PersistentVolumeClaim,
                                   subresource: String, user: Identity, security: Security) async throws {
        guard subresource == "status", let node = user.nodeName else { return }
        func comparable(_ claim: PersistentVolumeClaim) -> PersistentVolumeClaim {
            var copy = claim
            (copy.apiVersion, copy.kind) = (nil, nil)
            copy.metadata.resourceVersion = nil
            copy.metadata.managedFields = nil
            copy.status?.capacity = nil
            copy.status?.conditions = nil
            copy.status?.allocatedResources = nil
            copy.status?.allocatedResourceStatuses = nil
            if copy.status == PersistentVolumeClaimStatus() { copy.status = nil }
            return copy
        }
        let (before, after) = (comparable(old), comparable(requested))
        guard before != after else { return }
        // Upstream prints a cmp.Diff of the two; here the merge patch that turns one into the other.
        let difference = (try? MergePatch.createMergePatch(original: KubeJSON.value(of: before), modified: KubeJSON.value(of: after)))
            .map(\.jsonString) ?? "object changed"
        throw Status.forbidden(PersistentVolumeClaim.resource, name: old.metadata.name ?? "",
                               "node \"\(node)\" is not allowed to update fields other than status.capacity and status.conditions: \(difference)")
    }

    var table: TableConverter<PersistentVolumeClaim> { Printers.persistentVolumeClaim }
}

extension Printers {
    /// Upstream's `printPersistentVolumeClaim`.
    static var persistentVolumeClaim: TableConverter<PersistentVolumeClaim> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Status", type: "string", description: "Phase represents the current phase of PersistentVolumeClaim."),
            .init(name: "Volume", type: "string", description: "VolumeName is the binding reference to the PersistentVolume backing this claim."),
            .init(name: "Capacity", type: "string", description: "Capacity represents the actual resources of the underlying volume."),
            .init(name: "Access Modes", type: "string", description: "AccessModes contains the desired access modes the volume should have."),
            .init(name: "StorageClass", type: "string", description: "StorageClassName is the name of the StorageClass required by the claim."),
            .init(name: "VolumeAttributesClass", type: "string", description: "VolumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim."),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "VolumeMode", type: "string", description: "VolumeMode defines what type of volume is required by the claim.", priority: 1),
        ]) { claim, now in
            // Capacity and access modes once a volume is named, as upstream prints them.
            let named = !(claim.spec?.volumeName ?? "").isEmpty
            let modes = named ? VolumeAccessModes.short(claim.status?.accessModes ?? []) : ""
            let capacity = named ? "\(claim.status?.capacity?["storage"] ?? .zero)" : ""
            let phase = claim.metadata.deletionTimestamp != nil ? "Terminating" : claim.status?.phase ?? ""
            return [.string(claim.metadata.name ?? ""), .string(phase), .string(claim.spec?.volumeName ?? ""), .string(capacity),
                    .string(modes), .string(claim.storageClass), .string(nonEmpty(claim.spec?.volumeAttributesClassName, or: "<unset>")),
                    ageCell(claim.metadata.creationTimestamp, now: now), .string(claim.spec?.volumeMode ?? "<unset>")]
        }
    }
}
