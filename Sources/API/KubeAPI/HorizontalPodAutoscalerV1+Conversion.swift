import Foundation

// MARK: Conversion (upstream's pkg/apis/autoscaling/v1 conversion.go)

extension HorizontalPodAutoscalerV1 {
    /// The metrics other than the CPU utilization target, as a JSON array of autoscaling/v1 `MetricSpec`s.
    public static let metricSpecsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
    /// Every current metric of the status, as a JSON array of autoscaling/v1 `MetricStatus`es.
    public static let metricStatusesAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
    /// The status conditions, as a JSON array of `HorizontalPodAutoscalerCondition`s.
    public static let conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"
    /// The behavior, as Go's `json.Marshal` of the internal type writes it (no json tags: `ScaleUp`, `Policies`, …).
    public static let behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"
    /// The annotations the conversion owns (`DropRoundTripHorizontalPodAutoscalerAnnotations`): dropped from what a
    /// client sends once read, and written afresh on every conversion to autoscaling/v1.
    public static let roundTripAnnotations = [metricSpecsAnnotation, behaviorAnnotation, metricStatusesAnnotation, conditionsAnnotation]

    /// The autoscaling/v1 view of a stored autoscaling/v2 autoscaler: the CPU `Resource` metric's utilization target
    /// is `targetCPUUtilizationPercentage`, the current CPU utilization `currentCPUUtilizationPercentage`; the other
    /// metrics, every current metric, the conditions and the behavior go to the `autoscaling.alpha.kubernetes.io/*`
    /// annotations, so a client that reads and writes the v1 form back loses nothing.
    public init(_ hpa: HorizontalPodAutoscaler) {
        var metadata = hpa.metadata
        var annotations = (metadata.annotations ?? [:]).filter { !Self.roundTripAnnotations.contains($0.key) }
        let spec = hpa.spec ?? HorizontalPodAutoscalerSpec()
        let status = hpa.status ?? HorizontalPodAutoscalerStatus()
        let metrics = spec.metrics ?? []

        var target: Int32?
        if let cpu = metrics.first(where: { $0.type == MetricSpec.resourceType && $0.resource?.name == "cpu" }) {
            target = cpu.resource?.target.averageUtilization
        }
        var currentCPU: Int32?
        for metric in status.currentMetrics ?? [] where metric.type == MetricSpec.resourceType && metric.resource?.name == "cpu" {
            if let utilization = metric.resource?.current.averageUtilization { currentCPU = utilization }
        }

        let others = metrics.filter { !($0.type == MetricSpec.resourceType && $0.resource?.name == "cpu" && $0.resource?.target.averageUtilization != nil) }
        if !others.isEmpty { annotations[Self.metricSpecsAnnotation] = GoJSON.array(others.map(V1Metrics.spec)).text }
        if let current = status.currentMetrics, !current.isEmpty {
            annotations[Self.metricStatusesAnnotation] = GoJSON.array(current.map(V1Metrics.status)).text
        }
        if let conditions = status.conditions, !conditions.isEmpty {
            annotations[Self.conditionsAnnotation] = GoJSON.array(conditions.map(V1Metrics.condition)).text
        }
        if let behavior = spec.behavior { annotations[Self.behaviorAnnotation] = V1Metrics.behavior(behavior).text }
        metadata.annotations = annotations.isEmpty ? nil : annotations

        self.init(
            metadata: metadata,
            spec: HorizontalPodAutoscalerV1Spec(scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas,
                                                maxReplicas: spec.maxReplicas, targetCPUUtilizationPercentage: target),
            status: HorizontalPodAutoscalerV1Status(observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime,
                                                    currentReplicas: status.currentReplicas, desiredReplicas: status.desiredReplicas,
                                                    currentCPUUtilizationPercentage: currentCPU))
    }

    /// The autoscaling/v2 form of this autoscaler (the reverse of ``init(_:)``): the CPU target becomes a CPU
    /// `Resource` metric after the annotation's metrics, the annotations restore the current metrics, conditions and
    /// behavior and are dropped; an autoscaler with no metric at all gets upstream's implicit 80% CPU target. An
    /// annotation that does not parse is dropped without effect.
    public var horizontalPodAutoscaler: HorizontalPodAutoscaler {
        let spec = self.spec ?? HorizontalPodAutoscalerV1Spec()
        let status = self.status ?? HorizontalPodAutoscalerV1Status()
        let annotations = metadata.annotations ?? [:]
        func parsed(_ key: String) -> [JSONValue]? {
            annotations[key].flatMap { try? JSONValue(parsing: $0) }?.arrayValue
        }

        var metrics: [MetricSpec] = []
        if let percent = spec.targetCPUUtilizationPercentage { metrics = [.resource("cpu", .utilization(percent))] }
        if let others = parsed(Self.metricSpecsAnnotation) { metrics = others.map(V1Metrics.spec(from:)) + metrics }
        var currentMetrics: [MetricStatus]?
        if let percent = status.currentCPUUtilizationPercentage {
            currentMetrics = [MetricStatus(type: MetricSpec.resourceType,
                                           resource: ResourceMetricStatus(name: "cpu", current: MetricValueStatus(averageUtilization: percent)))]
        }
        if let current = parsed(Self.metricStatusesAnnotation) { currentMetrics = current.map(V1Metrics.status(from:)) }
        if metrics.isEmpty { metrics = [.resource("cpu", .utilization(HorizontalPodAutoscaler.defaultCPUUtilization))] }
        let behavior = annotations[Self.behaviorAnnotation].flatMap { try? JSONValue(parsing: $0) }.flatMap(V1Metrics.behavior(from:))
        let conditions = parsed(Self.conditionsAnnotation)?.map(V1Metrics.condition(from:))

        var metadata = self.metadata
        let kept = annotations.filter { !Self.roundTripAnnotations.contains($0.key) }
        metadata.annotations = kept.isEmpty ? nil : kept
        return HorizontalPodAutoscaler(
            metadata: metadata,
            spec: HorizontalPodAutoscalerSpec(scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas,
                                              metrics: metrics, behavior: behavior),
            status: HorizontalPodAutoscalerStatus(observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime,
                                                  currentReplicas: status.currentReplicas, desiredReplicas: status.desiredReplicas,
                                                  currentMetrics: currentMetrics, conditions: conditions))
    }
}

/// JSON written with members in the order given, as Go's `encoding/json` writes a struct's fields in declaration
/// order (the annotations are that text, so they read as upstream's).
indirect enum GoJSON {
    case value(JSONValue)
    case object([(String, GoJSON)])
    case array([GoJSON])

    static let null = GoJSON.value(.null)

    var text: String {
        switch self {
        case .value(let value): value.jsonString
        case .array(let elements): "[" + elements.map(\.text).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { JSONValue.string($0.0).jsonString + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func string(_ s: String) -> GoJSON { .value(.string(s)) }
    static func int(_ i: some BinaryInteger) -> GoJSON { .value(.int(Int64(i))) }
    static func quantity(_ q: Quantity) -> GoJSON { .value(.string(q.description)) }
}

/// The autoscaling/v1 shapes of metrics, metric statuses, conditions and behavior, as the round-trip annotations
/// hold them (k8s.io/api/autoscaling/v1's `MetricSpec` & co., the v2beta1 field names: `targetAverageUtilization`,
/// `metricName`, …), to and from the v2 types. A Go non-pointer quantity is always written (`"0"` when unset).
enum V1Metrics {
    // MARK: v2 → annotation

    static func spec(_ m: MetricSpec) -> GoJSON {
        var members: [(String, GoJSON)] = [("type", .string(m.type))]
        if let o = m.object {
            var v: [(String, GoJSON)] = [("target", reference(o.describedObject)), ("metricName", .string(o.metric.name)),
                                         ("targetValue", .quantity(o.target.value ?? .zero))]
            if let s = o.metric.selector { v.append(("selector", selector(s))) }
            if let a = o.target.averageValue { v.append(("averageValue", .quantity(a))) }
            members.append(("object", .object(v)))
        }
        if let p = m.pods {
            var v: [(String, GoJSON)] = [("metricName", .string(p.metric.name)), ("targetAverageValue", .quantity(p.target.averageValue ?? .zero))]
            if let s = p.metric.selector { v.append(("selector", selector(s))) }
            members.append(("pods", .object(v)))
        }
        if let r = m.resource {
            members.append(("resource", .object([("name", .string(r.name))] + resourceTarget(r.target))))
        }
        if let c = m.containerResource {
            members.append(("containerResource", .object([("name", .string(c.name))] + resourceTarget(c.target) + [("container", .string(c.container))])))
        }
        if let e = m.external {
            var v: [(String, GoJSON)] = [("metricName", .string(e.metric.name))]
            if let s = e.metric.selector { v.append(("metricSelector", selector(s))) }
            if let value = e.target.value { v.append(("targetValue", .quantity(value))) }
            if let a = e.target.averageValue { v.append(("targetAverageValue", .quantity(a))) }
            members.append(("external", .object(v)))
        }
        return .object(members)
    }

    private static func resourceTarget(_ t: MetricTarget) -> [(String, GoJSON)] {
        var v: [(String, GoJSON)] = []
        if let u = t.averageUtilization { v.append(("targetAverageUtilization", .int(u))) }
        if let a = t.averageValue { v.append(("targetAverageValue", .quantity(a))) }
        return v
    }

    static func status(_ m: MetricStatus) -> GoJSON {
        var members: [(String, GoJSON)] = [("type", .string(m.type))]
        if let o = m.object {
            var v: [(String, GoJSON)] = [("target", reference(o.describedObject)), ("metricName", .string(o.metric.name)),
                                         ("currentValue", .quantity(o.current.value ?? .zero))]
            if let s = o.metric.selector { v.append(("selector", selector(s))) }
            if let a = o.current.averageValue { v.append(("averageValue", .quantity(a))) }
            members.append(("object", .object(v)))
        }
        if let p = m.pods {
            var v: [(String, GoJSON)] = [("metricName", .string(p.metric.name)), ("currentAverageValue", .quantity(p.current.averageValue ?? .zero))]
            if let s = p.metric.selector { v.append(("selector", selector(s))) }
            members.append(("pods", .object(v)))
        }
        if let r = m.resource {
            members.append(("resource", .object([("name", .string(r.name))] + resourceCurrent(r.current))))
        }
        if let c = m.containerResource {
            members.append(("containerResource", .object([("name", .string(c.name))] + resourceCurrent(c.current) + [("container", .string(c.container))])))
        }
        if let e = m.external {
            var v: [(String, GoJSON)] = [("metricName", .string(e.metric.name))]
            if let s = e.metric.selector { v.append(("metricSelector", selector(s))) }
            v.append(("currentValue", .quantity(e.current.value ?? .zero)))
            if let a = e.current.averageValue { v.append(("currentAverageValue", .quantity(a))) }
            members.append(("external", .object(v)))
        }
        return .object(members)
    }

    private static func resourceCurrent(_ c: MetricValueStatus) -> [(String, GoJSON)] {
        var v: [(String, GoJSON)] = []
        if let u = c.averageUtilization { v.append(("currentAverageUtilization", .int(u))) }
        v.append(("currentAverageValue", .quantity(c.averageValue ?? .zero)))
        return v
    }

    static func condition(_ c: HorizontalPodAutoscalerCondition) -> GoJSON {
        var v: [(String, GoJSON)] = [("type", .string(c.type)), ("status", .string(c.status)),
                                     ("lastTransitionTime", c.lastTransitionTime.map { .string($0.description) } ?? .null)]
        if let reason = c.reason, !reason.isEmpty { v.append(("reason", .string(reason))) }
        if let message = c.message, !message.isEmpty { v.append(("message", .string(message))) }
        return .object(v)
    }

    /// The internal `HorizontalPodAutoscalerBehavior` marshalled without json tags: Go field names, nil as `null`.
    static func behavior(_ b: HorizontalPodAutoscalerBehavior) -> GoJSON {
        func rules(_ r: HPAScalingRules?) -> GoJSON {
            guard let r else { return .null }
            let policies: GoJSON = r.policies.map { .array($0.map { .object([("Type", .string($0.type)), ("Value", .int($0.value)), ("PeriodSeconds", .int($0.periodSeconds))]) }) } ?? .null
            return .object([("StabilizationWindowSeconds", r.stabilizationWindowSeconds.map { .int($0) } ?? .null),
                            ("SelectPolicy", r.selectPolicy.map { .string($0) } ?? .null), ("Policies", policies)])
        }
        return .object([("ScaleUp", rules(b.scaleUp)), ("ScaleDown", rules(b.scaleDown))])
    }

    private static func reference(_ r: CrossVersionObjectReference) -> GoJSON {
        var v: [(String, GoJSON)] = [("kind", .string(r.kind)), ("name", .string(r.name))]
        if let apiVersion = r.apiVersion, !apiVersion.isEmpty { v.append(("apiVersion", .string(apiVersion))) }
        return .object(v)
    }

    private static func selector(_ s: LabelSelector) -> GoJSON {
        var v: [(String, GoJSON)] = []
        if let labels = s.matchLabels, !labels.isEmpty {
            v.append(("matchLabels", .object(labels.keys.sorted().map { ($0, .string(labels[$0]!)) })))
        }
        if let expressions = s.matchExpressions, !expressions.isEmpty {
            v.append(("matchExpressions", .array(expressions.map { e in
                var members: [(String, GoJSON)] = [("key", .string(e.key)), ("operator", .string(e.operator))]
                if let values = e.values, !values.isEmpty { members.append(("values", .array(values.map { .string($0) }))) }
                return .object(members)
            })))
        }
        return .object(v)
    }

    // MARK: annotation → v2

    static func spec(from m: JSONValue) -> MetricSpec {
        var spec = MetricSpec(type: m["type"]?.stringValue ?? "")
        if let o = present(m, "object") {
            let average = quantity(o, "averageValue")
            spec.object = ObjectMetricSource(
                describedObject: reference(o["target"]),
                target: MetricTarget(type: average == nil ? MetricTarget.valueType : MetricTarget.averageValueType,
                                     value: quantity(o, "targetValue") ?? .zero, averageValue: average),
                metric: MetricIdentifier(name: o["metricName"]?.stringValue ?? "", selector: selector(o["selector"])))
        }
        if let p = present(m, "pods") {
            spec.pods = PodsMetricSource(metric: MetricIdentifier(name: p["metricName"]?.stringValue ?? "", selector: selector(p["selector"])),
                                         target: MetricTarget(type: MetricTarget.averageValueType, averageValue: quantity(p, "targetAverageValue") ?? .zero))
        }
        if let r = present(m, "resource") {
            spec.resource = ResourceMetricSource(name: r["name"]?.stringValue ?? "", target: resourceTarget(from: r))
        }
        if let c = present(m, "containerResource") {
            spec.containerResource = ContainerResourceMetricSource(name: c["name"]?.stringValue ?? "", target: resourceTarget(from: c),
                                                                   container: c["container"]?.stringValue ?? "")
        }
        if let e = present(m, "external") {
            let value = quantity(e, "targetValue")
            spec.external = ExternalMetricSource(
                metric: MetricIdentifier(name: e["metricName"]?.stringValue ?? "", selector: selector(e["metricSelector"])),
                target: MetricTarget(type: value == nil ? MetricTarget.averageValueType : MetricTarget.valueType, value: value,
                                     averageValue: quantity(e, "targetAverageValue")))
        }
        return spec
    }

    private static func resourceTarget(from r: JSONValue) -> MetricTarget {
        let utilization = r["targetAverageUtilization"]?.intValue.map { Int32(clamping: $0) }
        return MetricTarget(type: utilization == nil ? MetricTarget.averageValueType : MetricTarget.utilizationType,
                            averageValue: quantity(r, "targetAverageValue"), averageUtilization: utilization)
    }

    static func status(from m: JSONValue) -> MetricStatus {
        var status = MetricStatus(type: m["type"]?.stringValue ?? "")
        if let o = present(m, "object") {
            status.object = ObjectMetricStatus(
                metric: MetricIdentifier(name: o["metricName"]?.stringValue ?? "", selector: selector(o["selector"])),
                current: MetricValueStatus(value: quantity(o, "currentValue") ?? .zero, averageValue: quantity(o, "averageValue")),
                describedObject: reference(o["target"]))
        }
        if let p = present(m, "pods") {
            status.pods = PodsMetricStatus(metric: MetricIdentifier(name: p["metricName"]?.stringValue ?? "", selector: selector(p["selector"])),
                                           current: MetricValueStatus(averageValue: quantity(p, "currentAverageValue") ?? .zero))
        }
        if let r = present(m, "resource") {
            status.resource = ResourceMetricStatus(name: r["name"]?.stringValue ?? "", current: resourceCurrent(from: r))
        }
        if let c = present(m, "containerResource") {
            status.containerResource = ContainerResourceMetricStatus(name: c["name"]?.stringValue ?? "", current: resourceCurrent(from: c),
                                                                     container: c["container"]?.stringValue ?? "")
        }
        if let e = present(m, "external") {
            status.external = ExternalMetricStatus(
                metric: MetricIdentifier(name: e["metricName"]?.stringValue ?? "", selector: selector(e["metricSelector"])),
                current: MetricValueStatus(value: quantity(e, "currentValue") ?? .zero, averageValue: quantity(e, "currentAverageValue")))
        }
        return status
    }

    private static func resourceCurrent(from r: JSONValue) -> MetricValueStatus {
        MetricValueStatus(averageValue: quantity(r, "currentAverageValue") ?? .zero,
                          averageUtilization: r["currentAverageUtilization"]?.intValue.map { Int32(clamping: $0) })
    }

    static func condition(from c: JSONValue) -> HorizontalPodAutoscalerCondition {
        HorizontalPodAutoscalerCondition(type: c["type"]?.stringValue ?? "", status: c["status"]?.stringValue ?? "",
                                         lastTransitionTime: present(c, "lastTransitionTime").flatMap { try? KubeJSON.decode(Time.self, from: $0) },
                                         reason: c["reason"]?.stringValue, message: c["message"]?.stringValue)
    }

    /// The behavior annotation read as `encoding/json` reads it (member names matched without regard to case); nil
    /// when it is not an object or holds neither direction, as upstream ignores the zero behavior.
    static func behavior(from value: JSONValue) -> HorizontalPodAutoscalerBehavior? {
        func member(_ object: JSONValue?, _ name: String) -> JSONValue? {
            guard let members = object?.objectValue else { return nil }
            let found = members[name] ?? members.first { $0.key.lowercased() == name.lowercased() }?.value
            return found == .null ? nil : found
        }
        func rules(_ r: JSONValue?) -> HPAScalingRules? {
            guard r?.objectValue != nil else { return nil }
            let policies = member(r, "Policies")?.arrayValue?.map { p in
                HPAScalingPolicy(type: member(p, "Type")?.stringValue ?? "", value: Int32(clamping: member(p, "Value")?.intValue ?? 0),
                                 periodSeconds: Int32(clamping: member(p, "PeriodSeconds")?.intValue ?? 0))
            }
            return HPAScalingRules(stabilizationWindowSeconds: member(r, "StabilizationWindowSeconds")?.intValue.map { Int32(clamping: $0) },
                                   selectPolicy: member(r, "SelectPolicy")?.stringValue, policies: policies)
        }
        guard value.objectValue != nil else { return nil }
        let behavior = HorizontalPodAutoscalerBehavior(scaleUp: rules(member(value, "ScaleUp")), scaleDown: rules(member(value, "ScaleDown")))
        return behavior.scaleUp == nil && behavior.scaleDown == nil ? nil : behavior
    }

    private static func present(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    private static func quantity(_ object: JSONValue, _ key: String) -> Quantity? {
        present(object, key).flatMap { try? KubeJSON.decode(Quantity.self, from: $0) }
    }

    private static func reference(_ value: JSONValue?) -> CrossVersionObjectReference {
        CrossVersionObjectReference(kind: value?["kind"]?.stringValue ?? "", name: value?["name"]?.stringValue ?? "",
                                    apiVersion: value?["apiVersion"]?.stringValue)
    }

    private static func selector(_ value: JSONValue?) -> LabelSelector? {
        guard let value, value != .null else { return nil }
        return try? KubeJSON.decode(LabelSelector.self, from: value)
    }
}
