import Foundation
import KubeAPI

/// Upstream's HorizontalPodAutoscaler validation (pkg/apis/autoscaling/validation), on the autoscaling/v2 form
/// whichever version the write came through, with upstream's field paths and messages: a scale target named by kind
/// and name, `minReplicas` ≥ 1 (0 only for an autoscaler that already has it: the HPAScaleToZero gate is off),
/// `maxReplicas` ≥ 1 and ≥ `minReplicas`, each metric with exactly its type's source and a valid target, and
/// behavior policies within upstream's bounds.
enum HorizontalPodAutoscalerValidation {
    static let maxPeriodSeconds: Int32 = 1800
    static let maxStabilizationWindowSeconds: Int32 = 3600
    static let metricSourceTypes = ["ContainerResource", "External", "Object", "Pods", "Resource"]
    static let targetTypes = [MetricTarget.utilizationType, MetricTarget.valueType, MetricTarget.averageValueType]
    static let selectPolicies = ["Disabled", "Max", "Min"]
    static let policyTypes = ["Percent", "Pods"]

    /// ValidateHorizontalPodAutoscaler / ValidateHorizontalPodAutoscalerUpdate.
    static func validate(_ hpa: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler?) -> [StatusCause] {
        let lowerBound: Int32 = old?.spec?.minReplicas == 0 ? 0 : 1
        return spec(hpa.spec ?? HorizontalPodAutoscalerSpec(), minReplicasLowerBound: lowerBound)
    }

    /// ValidateHorizontalPodAutoscalerStatusUpdate: replica counts are not negative.
    static func status(_ hpa: HorizontalPodAutoscaler) -> [StatusCause] {
        let status = hpa.status ?? HorizontalPodAutoscalerStatus()
        return [("status.currentReplicas", status.currentReplicas), ("status.desiredReplicas", status.desiredReplicas)]
            .filter { $0.1 < 0 }
            .map { invalid($0.0, Int64($0.1), "must be greater than or equal to 0") }
    }

    static func spec(_ spec: HorizontalPodAutoscalerSpec, minReplicasLowerBound: Int32) -> [StatusCause] {
        var causes: [StatusCause] = []
        if let min = spec.minReplicas, min < minReplicasLowerBound {
            causes.append(invalid("spec.minReplicas", Int64(min), "must be greater than or equal to \(minReplicasLowerBound)"))
        }
        if spec.maxReplicas < 1 { causes.append(invalid("spec.maxReplicas", Int64(spec.maxReplicas), "must be greater than 0")) }
        if let min = spec.minReplicas, spec.maxReplicas < min {
            causes.append(invalid("spec.maxReplicas", Int64(spec.maxReplicas), "must be greater than or equal to `minReplicas`"))
        }
        causes += reference(spec.scaleTargetRef, field: "spec.scaleTargetRef")
        causes += metrics(spec.metrics ?? [], minReplicas: spec.minReplicas)
        if let behavior = spec.behavior {
            causes += rules(behavior.scaleUp, field: "spec.behavior.scaleUp")
            causes += rules(behavior.scaleDown, field: "spec.behavior.scaleDown")
        }
        return causes
    }

    /// ValidateCrossVersionObjectReference: kind and name required, each one URL path segment.
    static func reference(_ ref: CrossVersionObjectReference, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        for (member, value) in [("kind", ref.kind), ("name", ref.name)] {
            if value.isEmpty { causes.append(NetworkingValidation.required("\(field).\(member)")); continue }
            causes += NetworkingValidation.pathSegmentErrors(value).map { NetworkingValidation.invalid("\(field).\(member)", value, $0) }
        }
        return causes
    }

    static func metrics(_ metrics: [MetricSpec], minReplicas: Int32?) -> [StatusCause] {
        var causes: [StatusCause] = []
        for (i, metric) in metrics.enumerated() { causes += self.metric(metric, field: "spec.metrics[\(i)]") }
        if minReplicas == 0, !metrics.contains(where: { $0.type == MetricSpec.objectType || $0.type == MetricSpec.externalType }) {
            causes.append(NetworkingValidation.forbidden("spec.metrics", "must specify at least one Object or External metric to support scaling to zero replicas"))
        }
        return causes
    }

    /// validateMetricSpec: the type is known and only its source is set; the first source present is validated.
    static func metric(_ spec: MetricSpec, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        if spec.type.isEmpty { causes.append(NetworkingValidation.required("\(field).type", "must specify a metric source type")) }
        if !metricSourceTypes.contains(spec.type) {
            causes.append(NetworkingValidation.notSupported("\(field).type", spec.type, metricSourceTypes))
        }
        let present: [(name: String, validate: () -> [StatusCause])] = [
            spec.object.map { o in ("object", { object(o, field: "\(field).object") }) },
            spec.external.map { e in ("external", { external(e, field: "\(field).external") }) },
            spec.pods.map { p in ("pods", { pods(p, field: "\(field).pods") }) },
            spec.resource.map { r in ("resource", { resource(name: r.name, target: r.target, field: "\(field).resource") }) },
            spec.containerResource.map { c in ("containerResource", { containerResource(c, field: "\(field).containerResource") }) },
        ].compactMap { $0 }
        if let first = present.first { causes += first.validate() }

        let expected: String
        switch spec.type {
        case MetricSpec.objectType: expected = "object"
        case MetricSpec.podsType: expected = "pods"
        case MetricSpec.resourceType: expected = "resource"
        case MetricSpec.externalType: expected = "external"
        case MetricSpec.containerResourceType: expected = "containerResource"
        default:
            expected = ""
            causes.append(NetworkingValidation.notSupported("\(field).type", spec.type, metricSourceTypes))
        }
        if !expected.isEmpty, !present.contains(where: { $0.name == expected }) {
            causes.append(NetworkingValidation.required("\(field).\(expected)", "must populate information for the given metric source"))
        }
        if present.count != 1 {
            // Upstream ranges over a set: its order is Go's map order; sorted here.
            for name in present.map(\.name).filter({ $0 != expected }).sorted() {
                causes.append(NetworkingValidation.forbidden("\(field).\(name)", "must populate the given metric source only"))
            }
        }
        return causes
    }

    static func object(_ source: ObjectMetricSource, field: String) -> [StatusCause] {
        var causes = reference(source.describedObject, field: "\(field).describedObject")
        causes += identifier(source.metric, field: "\(field).metric")
        causes += target(source.target, field: "\(field).target")
        if source.target.value == nil, source.target.averageValue == nil {
            causes.append(NetworkingValidation.required("\(field).target.averageValue", "must set either a target value or averageValue"))
        }
        return causes
    }

    static func external(_ source: ExternalMetricSource, field: String) -> [StatusCause] {
        var causes = identifier(source.metric, field: "\(field).metric")
        causes += target(source.target, field: "\(field).target")
        if source.target.value == nil, source.target.averageValue == nil {
            causes.append(NetworkingValidation.required("\(field).target.averageValue", "must set either a target value for metric or a per-pod target"))
        }
        if source.target.value != nil, source.target.averageValue != nil {
            causes.append(NetworkingValidation.forbidden("\(field).target.value", "may not set both a target value for metric and a per-pod target"))
        }
        return causes
    }

    static func pods(_ source: PodsMetricSource, field: String) -> [StatusCause] {
        var causes = identifier(source.metric, field: "\(field).metric")
        causes += target(source.target, field: "\(field).target")
        if source.target.averageValue == nil {
            causes.append(NetworkingValidation.required("\(field).target.averageValue", "must specify a positive target averageValue"))
        }
        return causes
    }

    static func containerResource(_ source: ContainerResourceMetricSource, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        if source.name.isEmpty {
            causes.append(NetworkingValidation.required("\(field).name", "must specify a resource name"))
        } else {
            causes += ResourceNames.containerResourceNameErrors(source.name).map { NetworkingValidation.invalid("\(field).name", source.name, $0) }
        }
        if source.container.isEmpty {
            causes.append(NetworkingValidation.required("\(field).container", "must specify a container"))
        } else if !NameValidation.isDNS1123Label(source.container) {
            let detail = source.container.utf8.count > 63 ? "must be no more than 63 characters" : NameValidation.dns1123LabelMessage
            causes.append(NetworkingValidation.invalid("\(field).container", source.container, detail))
        }
        return causes + resourceTarget(source.target, field: field)
    }

    static func resource(name: String, target: MetricTarget, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        if name.isEmpty { causes.append(NetworkingValidation.required("\(field).name", "must specify a resource name")) }
        return causes + resourceTarget(target, field: field)
    }

    private static func resourceTarget(_ target: MetricTarget, field: String) -> [StatusCause] {
        var causes = self.target(target, field: "\(field).target")
        if target.averageUtilization == nil, target.averageValue == nil {
            causes.append(NetworkingValidation.required("\(field).target.averageUtilization", "must set either a target raw value or a target utilization"))
        }
        if target.averageUtilization != nil, target.averageValue != nil {
            causes.append(NetworkingValidation.forbidden("\(field).target.averageValue", "may not set both a target raw value and a target utilization"))
        }
        return causes
    }

    /// validateMetricTarget. A non-positive quantity is printed as its canonical text (upstream prints the Go struct).
    static func target(_ target: MetricTarget, field: String) -> [StatusCause] {
        var causes: [StatusCause] = []
        if target.type.isEmpty { causes.append(NetworkingValidation.required("\(field).type", "must specify a metric target type")) }
        if !targetTypes.contains(target.type) {
            causes.append(NetworkingValidation.invalid("\(field).type", target.type, "must be either Utilization, Value, or AverageValue"))
        }
        for (member, quantity) in [("value", target.value), ("averageValue", target.averageValue)] {
            if let quantity, quantity.sign != 1 {
                causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: \(quantity.description): must be positive", field: "\(field).\(member)"))
            }
        }
        if let utilization = target.averageUtilization, utilization < 1 {
            causes.append(invalid("\(field).averageUtilization", Int64(utilization), "must be greater than 0"))
        }
        return causes
    }

    static func identifier(_ id: MetricIdentifier, field: String) -> [StatusCause] {
        if id.name.isEmpty { return [NetworkingValidation.required("\(field).name", "must specify a metric name")] }
        return NetworkingValidation.pathSegmentErrors(id.name).map { NetworkingValidation.invalid("\(field).name", id.name, $0) }
    }

    /// validateScalingRules and validateScalingPolicy.
    static func rules(_ rules: HPAScalingRules?, field: String) -> [StatusCause] {
        guard let rules else { return [] }
        var causes: [StatusCause] = []
        if let window = rules.stabilizationWindowSeconds {
            if window < 0 { causes.append(invalid("\(field).stabilizationWindowSeconds", Int64(window), "must be greater than or equal to zero")) }
            if window > maxStabilizationWindowSeconds {
                causes.append(invalid("\(field).stabilizationWindowSeconds", Int64(window), "must be less than or equal to \(maxStabilizationWindowSeconds)"))
            }
        }
        if let select = rules.selectPolicy, !selectPolicies.contains(select) {
            causes.append(NetworkingValidation.notSupported("\(field).selectPolicy", select, selectPolicies))
        }
        let policies = rules.policies ?? []
        if policies.isEmpty { causes.append(NetworkingValidation.required("\(field).policies", "must specify at least one Policy")) }
        for (i, policy) in policies.enumerated() {
            let path = "\(field).policies[\(i)]"
            if !policyTypes.contains(policy.type) { causes.append(NetworkingValidation.notSupported("\(path).type", policy.type, policyTypes)) }
            if policy.value <= 0 { causes.append(invalid("\(path).value", Int64(policy.value), "must be greater than zero")) }
            if policy.periodSeconds <= 0 { causes.append(invalid("\(path).periodSeconds", Int64(policy.periodSeconds), "must be greater than zero")) }
            if policy.periodSeconds > maxPeriodSeconds {
                causes.append(invalid("\(path).periodSeconds", Int64(policy.periodSeconds), "must be less than or equal to \(maxPeriodSeconds)"))
            }
        }
        return causes
    }

    static func invalid(_ field: String, _ value: Int64, _ detail: String) -> StatusCause {
        NetworkingValidation.invalid(field, value, detail)
    }
}
