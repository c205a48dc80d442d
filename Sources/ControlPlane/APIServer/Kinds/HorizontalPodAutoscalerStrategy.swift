import Foundation
import KubeAPI

extension HorizontalPodAutoscaler: StatusCarrying {}

/// autoscaling/v2 HorizontalPodAutoscalers, the stored form: a status subresource for the horizontal pod autoscaler
/// controller (reset on create, kept by every other write), upstream's defaults (`SetDefaults_HorizontalPodAutoscaler`)
/// and validation (``HorizontalPodAutoscalerValidation``). No `metadata.generation`, as upstream 1.32.
struct HorizontalPodAutoscalerStrategy: ResourceStrategy {
    typealias Object = HorizontalPodAutoscaler

    func prepareForCreate(_ hpa: inout HorizontalPodAutoscaler, context: AdmissionContext) async throws {
        hpa.status = HorizontalPodAutoscalerStatus()
        Self.applyDefaults(&hpa)
    }

    func prepareForUpdate(_ hpa: inout HorizontalPodAutoscaler, old: HorizontalPodAutoscaler, context: AdmissionContext) async throws {
        Self.applyDefaults(&hpa)
    }

    func validate(_ hpa: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler?) -> [StatusCause] {
        HorizontalPodAutoscalerValidation.validate(hpa, old: old)
    }

    func validateSubresourceUpdate(_ subresource: String, _ hpa: HorizontalPodAutoscaler, old: HorizontalPodAutoscaler) -> [StatusCause] {
        HorizontalPodAutoscalerValidation.status(hpa)
    }

    var table: TableConverter<HorizontalPodAutoscaler> { Printers.horizontalPodAutoscaler }

    /// autoscaling/v2's `SetDefaults_HorizontalPodAutoscaler`: `minReplicas` 1, no metrics → 80% average CPU
    /// utilization, and a behavior that is set gets every unset rule and field of upstream's default rules (scale-up:
    /// no stabilization, the larger of 4 pods and 100% per 15 s; scale-down: 100% per 15 s, the window left to the
    /// controller's `--horizontal-pod-autoscaler-downscale-stabilization`).
    static func applyDefaults(_ hpa: inout HorizontalPodAutoscaler) {
        var spec = hpa.spec ?? HorizontalPodAutoscalerSpec()
        if spec.minReplicas == nil { spec.minReplicas = 1 }
        if (spec.metrics ?? []).isEmpty { spec.metrics = [.resource("cpu", .utilization(HorizontalPodAutoscaler.defaultCPUUtilization))] }
        if var behavior = spec.behavior {
            behavior.scaleUp = filled(behavior.scaleUp, with: defaultScaleUp)
            behavior.scaleDown = filled(behavior.scaleDown, with: defaultScaleDown)
            spec.behavior = behavior
        }
        hpa.spec = spec
    }

    static let defaultScaleUp = HPAScalingRules(
        stabilizationWindowSeconds: 0, selectPolicy: HPAScalingRules.maxPolicySelect,
        policies: [HPAScalingPolicy(type: HPAScalingPolicy.podsType, value: 4, periodSeconds: 15),
                   HPAScalingPolicy(type: HPAScalingPolicy.percentType, value: 100, periodSeconds: 15)])
    static let defaultScaleDown = HPAScalingRules(
        stabilizationWindowSeconds: nil, selectPolicy: HPAScalingRules.maxPolicySelect,
        policies: [HPAScalingPolicy(type: HPAScalingPolicy.percentType, value: 100, periodSeconds: 15)])

    /// `GenerateHPAScaleUpRules`/`GenerateHPAScaleDownRules`: the defaults where nothing is set, else the rules with
    /// their unset fields taken from the defaults.
    static func filled(_ rules: HPAScalingRules?, with defaults: HPAScalingRules) -> HPAScalingRules {
        guard var rules else { return defaults }
        if rules.policies == nil { rules.policies = defaults.policies }
        if rules.selectPolicy == nil { rules.selectPolicy = defaults.selectPolicy }
        if rules.stabilizationWindowSeconds == nil { rules.stabilizationWindowSeconds = defaults.stabilizationWindowSeconds }
        return rules
    }
}

/// autoscaling/v1 HorizontalPodAutoscalers: a second API view over the autoscaling/v2 objects in the store, converted
/// on every read and write (`HorizontalPodAutoscalerV1(_:)` and `.horizontalPodAutoscaler`, upstream's conversion
/// with its round-trip annotations), so an autoscaler written through either version is read and watched through
/// both. Writes get autoscaling/v1's defaults (`minReplicas` 1), then v2's as they are stored, and v2's validation.
/// The status the view cannot express travels in annotations, so the main resource keeps the old status annotations
/// and the status subresource takes the client's, as upstream keeps and takes the internal status.
struct HorizontalPodAutoscalerV1Strategy: ResourceStrategy {
    typealias Object = HorizontalPodAutoscalerV1
    typealias Stored = HorizontalPodAutoscaler

    static let statusAnnotations = [HorizontalPodAutoscalerV1.metricStatusesAnnotation, HorizontalPodAutoscalerV1.conditionsAnnotation]

    func stored(_ hpa: HorizontalPodAutoscalerV1) -> HorizontalPodAutoscaler {
        var stored = hpa.horizontalPodAutoscaler
        HorizontalPodAutoscalerStrategy.applyDefaults(&stored)
        return stored
    }

    func served(_ hpa: HorizontalPodAutoscaler) -> HorizontalPodAutoscalerV1 { HorizontalPodAutoscalerV1(hpa) }

    var hasStatus: Bool { true }

    func keepStatus(_ hpa: inout HorizontalPodAutoscalerV1, from old: HorizontalPodAutoscalerV1?) {
        hpa.status = old?.status
        Self.copyAnnotations(Self.statusAnnotations, from: old?.metadata, to: &hpa.metadata)
    }

    func mergeStatus(_ hpa: HorizontalPodAutoscalerV1, into old: HorizontalPodAutoscalerV1) -> HorizontalPodAutoscalerV1 {
        var merged = old
        merged.status = hpa.status
        Self.copyAnnotations(Self.statusAnnotations, from: hpa.metadata, to: &merged.metadata)
        return merged
    }

    /// Sets `keys` in `target`'s annotations to their values in `source` (removing those `source` lacks).
    static func copyAnnotations(_ keys: [String], from source: ObjectMeta?, to target: inout ObjectMeta) {
        var annotations = target.annotations ?? [:]
        for key in keys { annotations[key] = source?.annotations?[key] }
        target.annotations = annotations.isEmpty ? nil : annotations
    }

    func prepareForCreate(_ hpa: inout HorizontalPodAutoscalerV1, context: AdmissionContext) async throws {
        hpa.status = HorizontalPodAutoscalerV1Status()
        Self.applyDefaults(&hpa)
    }

    func prepareForUpdate(_ hpa: inout HorizontalPodAutoscalerV1, old: HorizontalPodAutoscalerV1, context: AdmissionContext) async throws {
        Self.applyDefaults(&hpa)
    }

    /// autoscaling/v1's `SetDefaults_HorizontalPodAutoscaler`: `minReplicas` 1.
    static func applyDefaults(_ hpa: inout HorizontalPodAutoscalerV1) {
        var spec = hpa.spec ?? HorizontalPodAutoscalerV1Spec()
        if spec.minReplicas == nil { spec.minReplicas = 1 }
        hpa.spec = spec
    }

    func validate(_ hpa: HorizontalPodAutoscalerV1, old: HorizontalPodAutoscalerV1?) -> [StatusCause] {
        HorizontalPodAutoscalerValidation.validate(hpa.horizontalPodAutoscaler, old: old?.horizontalPodAutoscaler)
    }

    func validateSubresourceUpdate(_ subresource: String, _ hpa: HorizontalPodAutoscalerV1, old: HorizontalPodAutoscalerV1) -> [StatusCause] {
        HorizontalPodAutoscalerValidation.status(hpa.horizontalPodAutoscaler)
    }

    var table: TableConverter<HorizontalPodAutoscalerV1> {
        let v2 = Printers.horizontalPodAutoscaler
        return TableConverter(columns: v2.columns) { hpa, now in v2.row(stored(hpa), now) }
    }
}

extension Printers {
    /// NAME, REFERENCE (`Deployment/web`), TARGETS (upstream's `formatHPAMetrics`), MINPODS, MAXPODS, REPLICAS, AGE.
    static var horizontalPodAutoscaler: TableConverter<HorizontalPodAutoscaler> {
        TableConverter(columns: [
            .init(name: "Name", type: "string", format: "name", description: nameColumn.description),
            .init(name: "Reference", type: "string", description: "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count."),
            .init(name: "Targets", type: "string", description: "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used)."),
            .init(name: "MinPods", type: "string", description: "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down. It defaults to 1 pod."),
            .init(name: "MaxPods", type: "integer", description: "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas."),
            .init(name: "Replicas", type: "integer", description: "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler."),
            .init(name: "Age", type: "string", description: ageDescription),
        ]) { hpa, now in
            let spec = hpa.spec ?? HorizontalPodAutoscalerSpec()
            return [.string(hpa.metadata.name ?? ""), .string("\(spec.scaleTargetRef.kind)/\(spec.scaleTargetRef.name)"),
                    .string(hpaTargets(spec.metrics ?? [], hpa.status?.currentMetrics ?? [])),
                    .string(spec.minReplicas.map { String($0) } ?? "<unset>"), .int(Int64(spec.maxReplicas)),
                    .int(Int64(hpa.status?.currentReplicas ?? 0)), ageCell(hpa.metadata.creationTimestamp, now: now)]
        }
    }

    /// Upstream's `formatHPAMetrics`: `current/target` per metric (`cpu: 12%/50%`, `<unknown>` before the first
    /// reading, `(avg)` for average-value object and external targets), the first two, then `+ N more...`.
    static func hpaTargets(_ specs: [MetricSpec], _ statuses: [MetricStatus]) -> String {
        if specs.isEmpty { return "<none>" }
        let unknown = "<unknown>"
        var list: [String] = []
        for (i, spec) in specs.enumerated() {
            let status = i < statuses.count ? statuses[i] : nil
            switch spec.type {
            case MetricSpec.externalType:
                let target = spec.external?.target ?? MetricTarget()
                if let average = target.averageValue {
                    list.append("\(status?.external?.current.averageValue?.description ?? unknown)/\(average) (avg)")
                } else {
                    let current = status?.external.map { ($0.current.value ?? .zero).description } ?? unknown
                    list.append("\(current)/\(target.value ?? .zero)")
                }
            case MetricSpec.podsType:
                let current = status?.pods.map { ($0.current.averageValue ?? .zero).description } ?? unknown
                list.append("\(current)/\(spec.pods?.target.averageValue ?? .zero)")
            case MetricSpec.objectType:
                let target = spec.object?.target ?? MetricTarget()
                if let average = target.averageValue {
                    list.append("\(status?.object?.current.averageValue?.description ?? unknown)/\(average) (avg)")
                } else {
                    let current = status?.object.map { ($0.current.value ?? .zero).description } ?? unknown
                    list.append("\(current)/\(target.value ?? .zero)")
                }
            case MetricSpec.resourceType:
                list.append(resourceTarget(name: spec.resource?.name ?? "", target: spec.resource?.target ?? MetricTarget(),
                                           current: status?.resource.map(\.current)))
            case MetricSpec.containerResourceType:
                list.append(resourceTarget(name: spec.containerResource?.name ?? "", target: spec.containerResource?.target ?? MetricTarget(),
                                           current: status?.containerResource.map(\.current)))
            default:
                list.append("<unknown type>")
            }
        }
        let shown = 2
        guard list.count > shown else { return list.joined(separator: ", ") }
        return list.prefix(shown).joined(separator: ", ") + " + \(list.count - shown) more..."
    }

    private static func resourceTarget(name: String, target: MetricTarget, current: MetricValueStatus?) -> String {
        if let average = target.averageValue {
            return "\(name): \(current.map { ($0.averageValue ?? .zero).description } ?? "<unknown>")/\(average)"
        }
        let now = current?.averageUtilization.map { "\($0)%" } ?? "<unknown>"
        return "\(name): \(now)/\(target.averageUtilization.map { "\($0)%" } ?? "<auto>")"
    }
}
