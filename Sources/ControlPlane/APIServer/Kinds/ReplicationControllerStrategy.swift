import Foundation
import KubeAPI

extension ReplicationController: StatusCarrying {}

/// core/v1 ReplicationControllers: status and scale subresources, upstream's defaults (`SetDefaults_ReplicationController`:
/// the selector and, when it has none, the object's labels come from the template's labels; 1 replica) and
/// validation (`ValidateReplicationControllerSpec`: a non-empty selector matching the template's labels, no negative
/// replicas or minReadySeconds, a template restarting `Always` without `activeDeadlineSeconds`).
struct ReplicationControllerStrategy: ResourceStrategy {
    typealias Object = ReplicationController
    var tracksGeneration: Bool { true }
    var scalable: Bool { true }

    func prepareForCreate(_ rc: inout ReplicationController, context: AdmissionContext) async throws {
        rc.status = ReplicationControllerStatus(replicas: 0)
        Self.applyDefaults(&rc)
    }

    func prepareForUpdate(_ rc: inout ReplicationController, old: ReplicationController, context: AdmissionContext) async throws {
        Self.applyDefaults(&rc)
    }

    static func applyDefaults(_ rc: inout ReplicationController) {
        var spec = rc.spec ?? ReplicationControllerSpec()
        if let labels = spec.template?.metadata?.labels {
            if (spec.selector ?? [:]).isEmpty { spec.selector = labels }
            if (rc.metadata.labels ?? [:]).isEmpty { rc.metadata.labels = labels }
        }
        if spec.replicas == nil { spec.replicas = 1 }
        spec.template = spec.template.map(PodTemplateRules.defaulted)
        rc.spec = spec
    }

    func validate(_ rc: ReplicationController, old: ReplicationController?) -> [StatusCause] {
        let spec = rc.spec ?? ReplicationControllerSpec()
        var causes: [StatusCause] = []
        for (field, value) in [("spec.minReadySeconds", spec.minReadySeconds), ("spec.replicas", spec.replicas)] {
            if let value, value < 0 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): must be greater than or equal to 0", field: field))
            }
        }
        let selector = spec.selector ?? [:]
        if selector.isEmpty {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.selector"))
        }
        guard let template = spec.template else {
            causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.template"))
            return causes
        }
        let labels = template.metadata?.labels ?? [:]
        if !selector.isEmpty, !selector.allSatisfy({ labels[$0.key] == $0.value }) {
            causes.append(PodTemplateRules.selectorMismatch(labels))
        }
        causes += PodTemplateRules.validateContainers(template)
        let restartPolicy = template.spec?.restartPolicy ?? ""
        if restartPolicy != "Always" {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(restartPolicy)\": supported values: \"Always\"", field: "spec.template.spec.restartPolicy"))
        }
        if template.spec?.activeDeadlineSeconds != nil {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: activeDeadlineSeconds in ReplicationController is not Supported", field: "spec.template.spec.activeDeadlineSeconds"))
        }
        return causes
    }

    var table: TableConverter<ReplicationController> { Printers.replicationController }
}

extension Printers {
    /// NAME, DESIRED, CURRENT, READY, AGE; wide: CONTAINERS, IMAGES, SELECTOR.
    static var replicationController: TableConverter<ReplicationController> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Desired", type: "integer", description: "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1."),
            .init(name: "Current", type: "integer", description: "Replicas is the most recently observed number of replicas."),
            .init(name: "Ready", type: "integer", description: "The number of ready replicas for this replication controller."),
            .init(name: "Age", type: "string", description: ageDescription),
        ] + templateColumns + [TableColumn(name: "Selector", type: "string", description: "Selector is a label query over pods that should match the Replicas count.", priority: 1)]) { rc, now in
            let (containers, images) = containersAndImages(rc.spec?.template?.spec)
            return [.string(rc.metadata.name ?? ""), .int(Int64(rc.spec?.replicas ?? 0)), .int(Int64(rc.status?.replicas ?? 0)),
                    .int(Int64(rc.status?.readyReplicas ?? 0)), ageCell(rc.metadata.creationTimestamp, now: now),
                    .string(containers), .string(images), .string(selectorString(rc.spec?.selector))]
        }
    }
}
