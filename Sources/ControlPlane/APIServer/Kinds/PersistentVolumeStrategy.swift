import Foundation
import KubeAPI

/// core/v1 PersistentVolumes, as upstream's registry and admission treat them: new volumes start `Pending` (the
/// binder makes them `Available`), get the `kubernetes.io/pv-protection` finalizer (StorageObjectInUseProtection),
/// default to reclaim policy `Retain` and volume mode `Filesystem`, carry exactly one volume source, and keep that
/// source, the volume mode and the node affinity for life.
struct PersistentVolumeStrategy: ResourceStrategy {
    typealias Object = PersistentVolume
    static let reclaimPolicies = ["Delete", "Recycle", "Retain"]

    func prepareForCreate(_ volume: inout PersistentVolume, context: AdmissionContext) async throws {
        Self.applyDefaults(&volume)
        volume.status = PersistentVolumeStatus(phase: PersistentVolume.phasePending, lastPhaseTransitionTime: .now())
        var finalizers = volume.metadata.finalizers ?? []
        if !finalizers.contains(VolumeBinding.pvProtectionFinalizer) { finalizers.append(VolumeBinding.pvProtectionFinalizer) }
        volume.metadata.finalizers = finalizers
    }

    func prepareForUpdate(_ volume: inout PersistentVolume, old: PersistentVolume, context: AdmissionContext) async throws {
        Self.applyDefaults(&volume)
    }

    /// A status write that changes the phase stamps `lastPhaseTransitionTime`, as upstream's status strategy does.
    func mergeStatus(_ volume: PersistentVolume, into old: PersistentVolume) -> PersistentVolume {
        var merged = old
        merged.status = volume.status
        if volume.status?.phase != old.status?.phase {
            merged.status?.lastPhaseTransitionTime = .now()
        }
        return merged
    }

    static func applyDefaults(_ volume: inout PersistentVolume) {
        var spec = volume.spec ?? PersistentVolumeSpec()
        if spec.persistentVolumeReclaimPolicy == nil { spec.persistentVolumeReclaimPolicy = "Retain" }
        if spec.volumeMode == nil { spec.volumeMode = "Filesystem" }
        volume.spec = spec
    }

    /// Upstream's `ValidatePersistentVolume` essentials and `ValidatePersistentVolumeUpdate`.
    func validate(_ volume: PersistentVolume, old: PersistentVolume?) -> [StatusCause] {
        var causes: [StatusCause] = []
        let spec = volume.spec ?? PersistentVolumeSpec()
        let modes = spec.accessModes ?? []
        if modes.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.accessModes"))
        }
        for mode in modes where !VolumeAccessModes.all.contains(mode) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(mode)\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"", field: "spec.accessModes"))
        }
        if modes.contains("ReadWriteOncePod"), modes.count > 1 {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not use ReadWriteOncePod with other access modes", field: "spec.accessModes"))
        }
        let capacity = spec.capacity ?? [:]
        if capacity.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.capacity"))
        }
        for (name, quantity) in capacity.sorted(by: { $0.key < $1.key }) {
            if name != "storage" {
                causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(name)\": supported values: \"storage\"", field: "spec.capacity"))
            } else if !(Quantity.zero < quantity) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(quantity)\": must be greater than zero", field: "spec.capacity[storage]"))
            }
        }
        if let policy = spec.persistentVolumeReclaimPolicy, !Self.reclaimPolicies.contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Delete\", \"Recycle\", \"Retain\"", field: "spec.persistentVolumeReclaimPolicy"))
        }
        if let mode = spec.volumeMode, !["Filesystem", "Block"].contains(mode) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(mode)\": supported values: \"Block\", \"Filesystem\"", field: "spec.volumeMode"))
        }
        if let className = spec.storageClassName, !className.isEmpty {
            for message in LabelValidation.dns1123SubdomainErrors(className) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(className)\": \(message)", field: "spec.storageClassName"))
            }
        }
        let sources = spec.sources
        if sources.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: must specify a volume type", field: "spec"))
        }
        for extra in sources.dropFirst() {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: may not specify more than 1 volume type", field: "spec.\(extra)"))
        }
        if let hostPath = spec.hostPath, hostPath.path.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.hostPath.path"))
        }
        if let local = spec.local {
            if local.path.isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.local.path"))
            }
            if spec.nodeAffinity == nil {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: Local volume requires node affinity", field: "spec.nodeAffinity"))
            }
        }
        if let csi = spec.csi {
            if csi.driver.isEmpty { causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.csi.driver")) }
            if csi.volumeHandle.isEmpty { causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.csi.volumeHandle")) }
        }
        if let affinity = spec.nodeAffinity {
            if let required = affinity.required {
                if required.nodeSelectorTerms.isEmpty {
                    causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: must have at least one node selector term", field: "spec.nodeAffinity.required.nodeSelectorTerms"))
                }
            } else {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: must specify required node constraints", field: "spec.nodeAffinity.required"))
            }
        }
        if let old, let oldSpec = old.spec {
            var a = spec, b = oldSpec
            // Only the volume source counts here: the other fields may change.
            a.capacity = nil; b.capacity = nil
            a.accessModes = nil; b.accessModes = nil
            a.claimRef = nil; b.claimRef = nil
            a.persistentVolumeReclaimPolicy = nil; b.persistentVolumeReclaimPolicy = nil
            a.storageClassName = nil; b.storageClassName = nil
            a.mountOptions = nil; b.mountOptions = nil
            a.volumeMode = nil; b.volumeMode = nil
            a.nodeAffinity = nil; b.nodeAffinity = nil
            a.volumeAttributesClassName = nil; b.volumeAttributesClassName = nil
            if a != b {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: spec.persistentvolumesource is forbidden once the volume is created", field: "spec.persistentvolumesource"))
            }
            if spec.volumeMode != oldSpec.volumeMode {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(spec.volumeMode ?? "")\": field is immutable", field: "volumeMode"))
            }
            if oldSpec.nodeAffinity != nil, spec.nodeAffinity != oldSpec.nodeAffinity {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: field is immutable", field: "nodeAffinity"))
            }
        }
        return causes
    }

    var table: TableConverter<PersistentVolume> { Printers.persistentVolume }
}

extension Printers {
    /// Upstream's `printPersistentVolume`.
    static var persistentVolume: TableConverter<PersistentVolume> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Capacity", type: "string", description: "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"),
            .init(name: "Access Modes", type: "string", description: "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"),
            .init(name: "Reclaim Policy", type: "string", description: "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"),
            .init(name: "Status", type: "string", description: "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"),
            .init(name: "Claim", type: "string", description: "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"),
            .init(name: "StorageClass", type: "string", description: "StorageClass of the pv"),
            .init(name: "VolumeAttributesClass", type: "string", description: "VolumeAttributesClass of the pv"),
            .init(name: "Reason", type: "string", description: "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
            .init(name: "Age", type: "string", description: ageDescription),
            .init(name: "VolumeMode", type: "string", description: "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.", priority: 1),
        ]) { volume, now in
            let claim = volume.spec?.claimRef.map { "\($0.namespace ?? "")/\($0.name ?? "")" } ?? ""
            let phase = volume.metadata.deletionTimestamp != nil ? "Terminating" : volume.status?.phase ?? ""
            return [.string(volume.metadata.name ?? ""), .string("\(volume.storageCapacity)"),
                    .string(VolumeAccessModes.short(volume.spec?.accessModes ?? [])), .string(volume.spec?.persistentVolumeReclaimPolicy ?? ""),
                    .string(phase), .string(claim), .string(volume.storageClass),
                    .string(nonEmpty(volume.spec?.volumeAttributesClassName, or: "<unset>")), .string(volume.status?.reason ?? ""),
                    ageCell(volume.metadata.creationTimestamp, now: now), .string(volume.spec?.volumeMode ?? "<unset>")]
        }
    }
}
