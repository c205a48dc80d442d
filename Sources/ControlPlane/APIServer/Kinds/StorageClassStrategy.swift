import Foundation
import KubeAPI
import Store

/// storage.k8s.io/v1 StorageClasses, as upstream's registry treats them: `reclaimPolicy` defaults to `Delete` and
/// `volumeBindingMode` to `Immediate`; the provisioner is required; provisioner, parameters, reclaim policy and
/// binding mode never change.
struct StorageClassStrategy: ResourceStrategy {
    typealias Object = StorageClass

    func prepareForCreate(_ storageClass: inout StorageClass, context: AdmissionContext) async throws {
        Self.applyDefaults(&storageClass)
    }

    func prepareForUpdate(_ storageClass: inout StorageClass, old: StorageClass, context: AdmissionContext) async throws {
        Self.applyDefaults(&storageClass)
    }

    static func applyDefaults(_ storageClass: inout StorageClass) {
        if storageClass.reclaimPolicy == nil { storageClass.reclaimPolicy = "Delete" }
        if storageClass.volumeBindingMode == nil { storageClass.volumeBindingMode = StorageClass.immediate }
    }

    /// Upstream's `ValidateStorageClass` and `ValidateStorageClassUpdate`.
    func validate(_ storageClass: StorageClass, old: StorageClass?) -> [StatusCause] {
        var causes: [StatusCause] = []
        if storageClass.provisioner.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "provisioner"))
        } else {
            for message in LabelValidation.qualifiedNameErrors(storageClass.provisioner.lowercased()) {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(storageClass.provisioner)\": \(message)", field: "provisioner"))
            }
        }
        if let policy = storageClass.reclaimPolicy, !["Delete", "Retain"].contains(policy) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Delete\", \"Retain\"", field: "reclaimPolicy"))
        }
        if let mode = storageClass.volumeBindingMode, ![StorageClass.immediate, StorageClass.waitForFirstConsumer].contains(mode) {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(mode)\": supported values: \"Immediate\", \"WaitForFirstConsumer\"", field: "volumeBindingMode"))
        }
        if let old {
            if (storageClass.parameters ?? [:]) != (old.parameters ?? [:]) {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: updates to parameters are forbidden.", field: "parameters"))
            }
            if storageClass.provisioner != old.provisioner {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: updates to provisioner are forbidden.", field: "provisioner"))
            }
            if storageClass.reclaimPolicy != old.reclaimPolicy {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: updates to reclaimPolicy are forbidden.", field: "reclaimPolicy"))
            }
            if storageClass.volumeBindingMode != old.volumeBindingMode {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \"\(storageClass.volumeBindingMode ?? "")\": field is immutable", field: "volumeBindingMode"))
            }
        }
        return causes
    }

    var table: TableConverter<StorageClass> { Printers.storageClass }
}

extension Printers {
    /// Upstream's `printStorageClass`: the default class's name gets ` (default)`.
    static var storageClass: TableConverter<StorageClass> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Provisioner", type: "string", description: "provisioner indicates the type of the provisioner."),
            .init(name: "ReclaimPolicy", type: "string", description: "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
            .init(name: "VolumeBindingMode", type: "string", description: "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."),
            .init(name: "AllowVolumeExpansion", type: "string", description: "allowVolumeExpansion shows whether the storage class allow volume expand."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { storageClass, now in
            let name = (storageClass.metadata.name ?? "") + (storageClass.isDefault ? " (default)" : "")
            return [.string(name), .string(storageClass.provisioner), .string(storageClass.reclaimPolicy ?? "Delete"),
                    .string(storageClass.volumeBindingMode ?? StorageClass.immediate), .bool(storageClass.allowVolumeExpansion ?? false),
                    ageCell(storageClass.metadata.creationTimestamp, now: now)]
        }
    }
}

/// The DefaultStorageClass admission plugin's read of the StorageClasses (straight from the store: there are a
/// handful of them).
struct StorageClassAdmission: Sendable {
    let store: any Store

    /// Upstream's `GetDefaultClass`: of the classes annotated as default, the newest (ties: by name); nil if none.
    func defaultClass() async throws -> StorageClass? {
        StorageClass.defaultClass(among: try await StoredObject.all(StorageClass.self, in: store))
    }

    /// Gives a claim that names no class (nil `storageClassName`, no beta annotation) the default class.
    func admit(_ claim: inout PersistentVolumeClaim) async throws {
        guard claim.spec?.storageClassName == nil, claim.metadata.annotations?[StorageClass.betaStorageClassAnnotation] == nil,
              let defaultClass = try await defaultClass(), let name = defaultClass.metadata.name else { return }
        var spec = claim.spec ?? PersistentVolumeClaimSpec()
        spec.storageClassName = name
        claim.spec = spec
    }
}
