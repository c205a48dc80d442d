import Foundation
import KubeAPI

/// apps/v1 StatefulSets: upstream's defaults (1 replica, OrderedReady, RollingUpdate with partition 0, history 10,
/// claims retained on delete and scale-down) and validation (`ValidateStatefulSet`, `ValidateStatefulSetUpdate`).
struct StatefulSetStrategy: ResourceStrategy {
    typealias Object = StatefulSet
    var tracksGeneration: Bool { true }
    var scalable: Bool { true }

    func prepareForCreate(_ sts: inout StatefulSet, context: AdmissionContext) async throws {
        sts.status = StatefulSetStatus(replicas: 0)
        Self.applyDefaults(&sts)
    }

    func prepareForUpdate(_ sts: inout StatefulSet, old: StatefulSet, context: AdmissionContext) async throws {
        Self.applyDefaults(&sts)
    }

    static func applyDefaults(_ sts: inout StatefulSet) {
        guard var spec = sts.spec else { return }
        if spec.replicas == nil { spec.replicas = 1 }
        if (spec.podManagementPolicy ?? "").isEmpty { spec.podManagementPolicy = "OrderedReady" }
        var strategy = spec.updateStrategy ?? StatefulSetUpdateStrategy()
        if (strategy.type ?? "").isEmpty { strategy.type = "RollingUpdate" }
        if strategy.type == "RollingUpdate" {
            var rolling = strategy.rollingUpdate ?? RollingUpdateStatefulSetStrategy()
            if rolling.partition == nil { rolling.partition = 0 }
            // maxUnavailable is defaulted (to 1) only behind upstream's alpha MaxUnavailableStatefulSet gate, off in
            // 1.32; the controller replaces one pod at a time either way.
            strategy.rollingUpdate = rolling
        }
        spec.updateStrategy = strategy
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        var retention = spec.persistentVolumeClaimRetentionPolicy ?? StatefulSetPersistentVolumeClaimRetentionPolicy()
        if (retention.whenDeleted ?? "").isEmpty { retention.whenDeleted = "Retain" }
        if (retention.whenScaled ?? "").isEmpty { retention.whenScaled = "Retain" }
        spec.persistentVolumeClaimRetentionPolicy = retention
        spec.template = PodTemplateRules.defaulted(spec.template)
        if let templates = spec.volumeClaimTemplates {
            spec.volumeClaimTemplates = templates.map { claim in
                // Embedded claims carry no type meta (upstream's protobuf form has no field for it).
                var claim = claim
                (claim.apiVersion, claim.kind) = (nil, nil)
                PersistentVolumeClaimStrategy.applyDefaults(&claim)
                claim.status = PersistentVolumeClaimStatus(phase: "Pending")
                return claim
            }
        }
        sts.spec = spec
    }

    func validate(_ sts: StatefulSet, old: StatefulSet?) -> [StatusCause] {
        guard let spec = sts.spec else { return [StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec")] }
        var causes: [StatusCause] = []
        func invalid(_ field: String, _ value: String, _ detail: String) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(value): \(detail)", field: field))
        }
        switch spec.podManagementPolicy ?? "" {
        case "": causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.podManagementPolicy"))
        case "OrderedReady", "Parallel": break
        case let policy: invalid("spec.podManagementPolicy", "\"\(policy)\"", "must be 'OrderedReady' or 'Parallel'")
        }
        switch spec.updateStrategy?.type ?? "" {
        case "": causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value", field: "spec.updateStrategy"))
        case "OnDelete":
            if spec.updateStrategy?.rollingUpdate != nil {
                invalid("spec.updateStrategy.rollingUpdate", "\"OnDelete\"", "only allowed for updateStrategy 'RollingUpdate'")
            }
        case "RollingUpdate":
            if let partition = spec.updateStrategy?.rollingUpdate?.partition, partition < 0 {
                invalid("spec.updateStrategy.rollingUpdate.partition", "\(partition)", "must be greater than or equal to 0")
            }
            if let maxUnavailable = spec.updateStrategy?.rollingUpdate?.maxUnavailable {
                switch maxUnavailable {
                case .int(let n) where n < 1: invalid("spec.updateStrategy.rollingUpdate.maxUnavailable", "\(n)", "must be greater than 0")
                case .string(let s) where maxUnavailable.scaledValue(total: 100, roundUp: true) == nil:
                    invalid("spec.updateStrategy.rollingUpdate.maxUnavailable", "\"\(s)\"", "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")
                default: break
                }
            }
        case let type: invalid("spec.updateStrategy", "\"\(type)\"", "must be 'RollingUpdate' or 'OnDelete'")
        }
        for (field, value) in [("replicas", spec.replicas), ("minReadySeconds", spec.minReadySeconds), ("ordinals.start", spec.ordinals?.start)] {
            if let value, value < 0 { invalid("spec.\(field)", "\(value)", "must be greater than or equal to 0") }
        }
        if let limit = spec.revisionHistoryLimit, limit < 0 { invalid("spec.revisionHistoryLimit", "\(limit)", "must be greater than or equal to 0") }
        if let retention = spec.persistentVolumeClaimRetentionPolicy {
            for (field, value) in [("whenDeleted", retention.whenDeleted), ("whenScaled", retention.whenScaled)] {
                guard let value, !["Retain", "Delete"].contains(value) else { continue }
                causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(value)\": supported values: \"Retain\", \"Delete\"", field: "spec.persistentVolumeClaimRetentionPolicy.\(field)"))
            }
        }
        if let name = spec.serviceName, !name.isEmpty, !NameValidation.isDNS1123Label(name) {
            invalid("spec.serviceName", "\"\(name)\"", NameValidation.dns1123LabelMessage)
        }
        let selectorEmpty = spec.selector.map { ($0.matchLabels ?? [:]).isEmpty && ($0.matchExpressions ?? []).isEmpty } ?? true
        if selectorEmpty {
            invalid("spec.selector", "{}", "empty selector is invalid for statefulset")
        } else {
            causes += PodTemplateRules.validate(selector: spec.selector, template: spec.template)
        }
        if let policy = spec.template.spec?.restartPolicy, policy != "Always" {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(policy)\": supported values: \"Always\"", field: "spec.template.spec.restartPolicy"))
        }
        if spec.template.spec?.activeDeadlineSeconds != nil {
            causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: activeDeadlineSeconds in StatefulSet is not Supported", field: "spec.template.spec.activeDeadlineSeconds"))
        }
        var claimNames = Set<String>()
        for (i, claim) in (spec.volumeClaimTemplates ?? []).enumerated() {
            let path = "spec.volumeClaimTemplates[\(i)]"
            let name = claim.metadata.name ?? ""
            if name.isEmpty {
                causes.append(StatusCause(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "\(path).metadata.name"))
            } else if !claimNames.insert(name).inserted {
                causes.append(StatusCause(reason: "FieldValueDuplicate", message: "Duplicate value: \"\(name)\"", field: "\(path).metadata.name"))
            }
            causes += PersistentVolumeClaimStrategy.validateSpec(claim.spec, path: "\(path).spec")
        }
        if let old, let oldSpec = old.spec {
            // Upstream's ValidateStatefulSetUpdate: only these fields may change.
            var a = spec, b = oldSpec
            a.replicas = nil; b.replicas = nil
            a.ordinals = nil; b.ordinals = nil
            a.template = PodTemplateSpec(); b.template = PodTemplateSpec()
            a.updateStrategy = nil; b.updateStrategy = nil
            a.revisionHistoryLimit = nil; b.revisionHistoryLimit = nil
            a.persistentVolumeClaimRetentionPolicy = nil; b.persistentVolumeClaimRetentionPolicy = nil
            a.minReadySeconds = nil; b.minReadySeconds = nil
            a.volumeClaimTemplates = a.volumeClaimTemplates.map { $0.map { var c = $0; c.status = nil; return c } }
            b.volumeClaimTemplates = b.volumeClaimTemplates.map { $0.map { var c = $0; c.status = nil; return c } }
            if a != b {
                causes.append(StatusCause(reason: "FieldValueForbidden", message: "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden", field: "spec"))
            }
        }
        return causes
    }

    var table: TableConverter<StatefulSet> { Printers.statefulSet }
}

extension Printers {
    /// Upstream's `printStatefulSet`: NAME READY AGE (CONTAINERS IMAGES wide).
    static var statefulSet: TableConverter<StatefulSet> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Ready", type: "string", description: "Number of the pod with ready state"),
            .init(name: "Age", type: "string", description: ageDescription),
        ] + templateColumns) { sts, now in
            let (containers, images) = containersAndImages(sts.spec?.template.spec)
            return [.string(sts.metadata.name ?? ""), .string("\(sts.status?.readyReplicas ?? 0)/\(sts.spec?.replicas ?? 0)"),
                    ageCell(sts.metadata.creationTimestamp, now: now), .string(containers), .string(images)]
        }
    }
}
