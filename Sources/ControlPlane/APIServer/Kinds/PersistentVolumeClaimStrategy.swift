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
        Self.dropDisabledFields(&claim, old: nil)
        if var spec = claim.spec {
            Self.normalizeDataSources(&spec)
            claim.spec = spec
        }
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

    /// LimitRanger admits a claim's updates as its creation (upstream's plugin handles UPDATE of claims): an
    /// expansion past the namespace's `max` is refused.
    func admitValidatedUpdate(_ claim: PersistentVolumeClaim, old: PersistentVolumeClaim, context: AdmissionContext) async throws {
        try await context.limitRanger?.validate(claim)
    }

    func prepareForUpdate(_ claim: inout PersistentVolumeClaim, old: PersistentVolumeClaim, context: AdmissionContext) async throws {
        Self.applyDefaults(&claim)
        Self.dropDisabledFields(&claim, old: old)
    }

    /// Upstream's `DropDisabledFields`: with the VolumeAttributesClass gate off (its default in 1.32) a claim gets no
    /// `volumeAttributesClassName` unless the stored version already has one.
    static func dropDisabledFields(_ claim: inout PersistentVolumeClaim, old: PersistentVolumeClaim?) {
        if old?.spec?.volumeAttributesClassName == nil { claim.spec?.volumeAttributesClassName = nil }
    }

    /// Upstream's `NormalizeDataSources` on create (AnyVolumeDataSource, on by default): a claim naming its source
    /// only the old way (`dataSource`) gets the same `dataSourceRef`, and one naming it only the new way without a
    /// namespace gets the same `dataSource`, so old and new clients read the source each in their field.
    static func normalizeDataSources(_ spec: inout PersistentVolumeClaimSpec) {
        func copy(_ reference: JSONValue) -> JSONValue {
            var copied: JSONValue = ["kind": reference["kind"] ?? "", "name": reference["name"] ?? ""]
            if let group = reference["apiGroup"], group != .null { copied["apiGroup"] = group }
            return copied
        }
        if let source = spec.dataSource, source != .null, spec.dataSourceRef == nil || spec.dataSourceRef == .null {
            spec.dataSourceRef = copy(source)
        } else if let reference = spec.dataSourceRef, reference != .null, spec.dataSource == nil || spec.dataSource == .null,
                  (reference["namespace"]?.stringValue ?? "").isEmpty {
            spec.dataSource = copy(reference)
        }
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
        if let old { causes += Self.validateUpdate(claim, old: old) }
        return causes
    }

    /// Upstream's `ValidatePersistentVolumeClaimUpdate` with 1.32's default gates (RecoverVolumeExpansionFailure on,
    /// VolumeAttributesClass off): the spec may not change but for the volume name filled in once, a class given to a
    /// claim without one (or moved from the beta annotation to the field), and the storage request of a bound claim,
    /// which may shrink only while it stays above `status.capacity` (recovering from a failed expansion). The
    /// refusal carries go-cmp's diff of the two specs as upstream compared them.
    static func validateUpdate(_ claim: PersistentVolumeClaim, old: PersistentVolumeClaim) -> [StatusCause] {
        var causes: [StatusCause] = []
        let annotation = StorageClass.betaStorageClassAnnotation
        let oldAnnotation = old.metadata.annotations?[annotation], newAnnotation = claim.metadata.annotations?[annotation]
        var oldSpec = old.spec ?? PersistentVolumeClaimSpec(), newSpec = claim.spec ?? PersistentVolumeClaimSpec()
        if (oldSpec.volumeName ?? "").isEmpty { oldSpec.volumeName = newSpec.volumeName }
        if let oldAnnotation, oldSpec.storageClassName == nil, newSpec.storageClassName == oldAnnotation,
           newAnnotation == nil || newAnnotation == oldAnnotation {
            // validateStorageClassUpgradeFromAnnotation: the class moves from the annotation to the field.
            newSpec.storageClassName = nil
        } else {
            if (newAnnotation ?? "") != (oldAnnotation ?? "") {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(newAnnotation ?? "")\": field is immutable",
                                          field: "metadata.annotations.\(annotation)"))
            }
            // validateStorageClassUpgradeFromNil: a claim without a class may be given one (retroactive default class).
            if let name = newSpec.storageClassName, oldSpec.storageClassName == nil, oldAnnotation == nil || oldAnnotation == name {
                newSpec.storageClassName = oldSpec.storageClassName
            }
        }
        // A bound claim's storage request may change (expansion); the status compared is the stored one, which an
        // update of the main resource keeps.
        if claim.status?.phase == "Bound", newSpec.resources?.requests != nil {
            newSpec.resources?.requests?["storage"] = old.spec?.resources?.requests?["storage"] ?? .zero
        }
        newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName
        if !semanticallyEqual(newSpec, oldSpec) {
            causes.append(StatusCause(reason: "FieldValueForbidden",
                                      message: "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
                                        + GoCmpDiff.diff(oldSpec.goValue, newSpec.goValue), field: "spec"))
        }
        let oldSize = old.spec?.resources?.requests?["storage"] ?? .zero, newSize = claim.spec?.resources?.requests?["storage"] ?? .zero
        if newSize < oldSize, !(old.status?.capacity?["storage"] ?? .zero < newSize) {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: field can not be less than status.capacity",
                                      field: "spec.resources.requests.storage"))
        }
        if claim.spec?.volumeMode != old.spec?.volumeMode {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(claim.spec?.volumeMode ?? "null")\": field is immutable",
                                      field: "volumeMode"))
        }
        if claim.spec?.volumeAttributesClassName != old.spec?.volumeAttributesClassName {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: update is forbidden when the VolumeAttributesClass feature gate is disabled",
                                      field: "spec.volumeAttributesClassName"))
        }
        return causes
    }

    /// apiequality.Semantic.DeepEqual for claim specs: quantities by value, an empty list or map like none.
    static func semanticallyEqual(_ a: PersistentVolumeClaimSpec, _ b: PersistentVolumeClaimSpec) -> Bool {
        func normalized(_ spec: PersistentVolumeClaimSpec) -> PersistentVolumeClaimSpec {
            var spec = spec
            if spec.accessModes?.isEmpty == true { spec.accessModes = nil }
            if var resources = spec.resources {
                if resources.limits?.isEmpty == true { resources.limits = nil }
                if resources.requests?.isEmpty == true { resources.requests = nil }
                spec.resources = resources == VolumeResourceRequirements() ? nil : resources
            }
            return spec
        }
        return normalized(a) == normalized(b)
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
