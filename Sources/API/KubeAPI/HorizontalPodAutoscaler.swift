import Foundation

/// autoscaling/v2 `HorizontalPodAutoscaler`: keeps the replica count of a scalable object (`scaleTargetRef`, through
/// its `scale` subresource) between `minReplicas` and `maxReplicas` so that the observed `metrics` meet their targets.
/// The horizontal pod autoscaler controller reads the metrics and writes `status`. Stored in this version; the
/// autoscaling/v1 form (`HorizontalPodAutoscalerV1`, what `kubectl autoscale` sends) is a view of it.
public struct HorizontalPodAutoscaler: KubeObject {
    public static let resource = ResourceInfo(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers",
                                              singular: "horizontalpodautoscaler", kind: "HorizontalPodAutoscaler",
                                              namespaced: true, shortNames: ["hpa"], categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: HorizontalPodAutoscalerSpec?
    public var status: HorizontalPodAutoscalerStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: HorizontalPodAutoscalerSpec? = nil, status: HorizontalPodAutoscalerStatus? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(HorizontalPodAutoscalerSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(HorizontalPodAutoscalerStatus.self, forKey: .status)
    }

    /// The CPU utilization target of an autoscaler without metrics (`autoscaling.DefaultCPUUtilization`).
    public static let defaultCPUUtilization: Int32 = 80
}

/// autoscaling/v2 `HorizontalPodAutoscalerSpec`.
public struct HorizontalPodAutoscalerSpec: Codable, Sendable, Hashable {
    public var scaleTargetRef: CrossVersionObjectReference
    /// Defaulted to 1; 0 is allowed only with an Object or External metric (the HPAScaleToZero gate, off by default).
    public var minReplicas: Int32?
    public var maxReplicas: Int32
    public var metrics: [MetricSpec]?
    public var behavior: HorizontalPodAutoscalerBehavior?

    public init(scaleTargetRef: CrossVersionObjectReference = CrossVersionObjectReference(), minReplicas: Int32? = nil,
                maxReplicas: Int32 = 0, metrics: [MetricSpec]? = nil, behavior: HorizontalPodAutoscalerBehavior? = nil) {
        self.scaleTargetRef = scaleTargetRef
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.metrics = metrics
        self.behavior = behavior
    }

    enum CodingKeys: String, CodingKey { case scaleTargetRef, minReplicas, maxReplicas, metrics, behavior }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scaleTargetRef = try c.decodeIfPresent(CrossVersionObjectReference.self, forKey: .scaleTargetRef) ?? CrossVersionObjectReference()
        minReplicas = try c.decodeIfPresent(Int32.self, forKey: .minReplicas)
        maxReplicas = try c.decodeIfPresent(Int32.self, forKey: .maxReplicas) ?? 0
        metrics = try c.decodeIfPresent([MetricSpec].self, forKey: .metrics)
        behavior = try c.decodeIfPresent(HorizontalPodAutoscalerBehavior.self, forKey: .behavior)
    }
}

/// autoscaling `CrossVersionObjectReference`: the scaled object, by kind, name and apiVersion, in the autoscaler's
/// namespace.
public struct CrossVersionObjectReference: Codable, Sendable, Hashable {
    public var kind: String
    public var name: String
    public var apiVersion: String?

    public init(kind: String = "", name: String = "", apiVersion: String? = nil) {
        self.kind = kind
        self.name = name
        self.apiVersion = apiVersion
    }

    enum CodingKeys: String, CodingKey { case kind, name, apiVersion }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(String.self, forKey: .kind) ?? ""
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
    }
}

/// autoscaling/v2 `MetricSpec`: one metric to scale on; `type` (`Object`, `Pods`, `Resource`, `ContainerResource`,
/// `External`) names the one source field that is set.
public struct MetricSpec: Codable, Sendable, Hashable {
    public var type: String
    public var object: ObjectMetricSource?
    public var pods: PodsMetricSource?
    public var resource: ResourceMetricSource?
    public var containerResource: ContainerResourceMetricSource?
    public var external: ExternalMetricSource?

    public init(type: String = "", object: ObjectMetricSource? = nil, pods: PodsMetricSource? = nil,
                resource: ResourceMetricSource? = nil, containerResource: ContainerResourceMetricSource? = nil,
                external: ExternalMetricSource? = nil) {
        self.type = type
        self.object = object
        self.pods = pods
        self.resource = resource
        self.containerResource = containerResource
        self.external = external
    }

    enum CodingKeys: String, CodingKey { case type, object, pods, resource, containerResource, external }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        object = try c.decodeIfPresent(ObjectMetricSource.self, forKey: .object)
        pods = try c.decodeIfPresent(PodsMetricSource.self, forKey: .pods)
        resource = try c.decodeIfPresent(ResourceMetricSource.self, forKey: .resource)
        containerResource = try c.decodeIfPresent(ContainerResourceMetricSource.self, forKey: .containerResource)
        external = try c.decodeIfPresent(ExternalMetricSource.self, forKey: .external)
    }

    /// The metric source types.
    public static let objectType = "Object"
    public static let podsType = "Pods"
    public static let resourceType = "Resource"
    public static let containerResourceType = "ContainerResource"
    public static let externalType = "External"

    /// A `Resource` metric: the pods' average use of `name` (`cpu`, `memory`) against `target`.
    public static func resource(_ name: String, _ target: MetricTarget) -> MetricSpec {
        MetricSpec(type: resourceType, resource: ResourceMetricSource(name: name, target: target))
    }
}

/// autoscaling/v2 `ObjectMetricSource`: a metric describing one Kubernetes object.
public struct ObjectMetricSource: Codable, Sendable, Hashable {
    public var describedObject: CrossVersionObjectReference
    public var target: MetricTarget
    public var metric: MetricIdentifier

    public init(describedObject: CrossVersionObjectReference = CrossVersionObjectReference(), target: MetricTarget = MetricTarget(),
                metric: MetricIdentifier = MetricIdentifier()) {
        self.describedObject = describedObject
        self.target = target
        self.metric = metric
    }

    enum CodingKeys: String, CodingKey { case describedObject, target, metric }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        describedObject = try c.decodeIfPresent(CrossVersionObjectReference.self, forKey: .describedObject) ?? CrossVersionObjectReference()
        target = try c.decodeIfPresent(MetricTarget.self, forKey: .target) ?? MetricTarget()
        metric = try c.decodeIfPresent(MetricIdentifier.self, forKey: .metric) ?? MetricIdentifier()
    }
}

/// autoscaling/v2 `PodsMetricSource`: a custom metric averaged over the target's pods.
public struct PodsMetricSource: Codable, Sendable, Hashable {
    public var metric: MetricIdentifier
    public var target: MetricTarget

    public init(metric: MetricIdentifier = MetricIdentifier(), target: MetricTarget = MetricTarget()) {
        self.metric = metric
        self.target = target
    }

    enum CodingKeys: String, CodingKey { case metric, target }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.decodeIfPresent(MetricIdentifier.self, forKey: .metric) ?? MetricIdentifier()
        target = try c.decodeIfPresent(MetricTarget.self, forKey: .target) ?? MetricTarget()
    }
}

/// autoscaling/v2 `ResourceMetricSource`: a resource (`cpu`, `memory`) of the target's pods, as the metrics API
/// (metrics.k8s.io) reports it, against a `Utilization` (percent of the requests) or `AverageValue` target.
public struct ResourceMetricSource: Codable, Sendable, Hashable {
    public var name: String
    public var target: MetricTarget

    public init(name: String = "", target: MetricTarget = MetricTarget()) {
        self.name = name
        self.target = target
    }

    enum CodingKeys: String, CodingKey { case name, target }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        target = try c.decodeIfPresent(MetricTarget.self, forKey: .target) ?? MetricTarget()
    }
}

/// autoscaling/v2 `ContainerResourceMetricSource`: like `ResourceMetricSource`, for one named container of each pod.
public struct ContainerResourceMetricSource: Codable, Sendable, Hashable {
    public var name: String
    public var target: MetricTarget
    public var container: String

    public init(name: String = "", target: MetricTarget = MetricTarget(), container: String = "") {
        self.name = name
        self.target = target
        self.container = container
    }

    enum CodingKeys: String, CodingKey { case name, target, container }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        target = try c.decodeIfPresent(MetricTarget.self, forKey: .target) ?? MetricTarget()
        container = try c.decodeIfPresent(String.self, forKey: .container) ?? ""
    }
}

/// autoscaling/v2 `ExternalMetricSource`: a metric from outside the cluster.
public struct ExternalMetricSource: Codable, Sendable, Hashable {
    public var metric: MetricIdentifier
    public var target: MetricTarget

    public init(metric: MetricIdentifier = MetricIdentifier(), target: MetricTarget = MetricTarget()) {
        self.metric = metric
        self.target = target
    }

    enum CodingKeys: String, CodingKey { case metric, target }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.decodeIfPresent(MetricIdentifier.self, forKey: .metric) ?? MetricIdentifier()
        target = try c.decodeIfPresent(MetricTarget.self, forKey: .target) ?? MetricTarget()
    }
}

/// autoscaling/v2 `MetricIdentifier`: a metric's name and, optionally, a selector narrowing it.
public struct MetricIdentifier: Codable, Sendable, Hashable {
    public var name: String
    public var selector: LabelSelector?

    public init(name: String = "", selector: LabelSelector? = nil) {
        self.name = name
        self.selector = selector
    }

    enum CodingKeys: String, CodingKey { case name, selector }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        selector = try c.decodeIfPresent(LabelSelector.self, forKey: .selector)
    }
}

/// autoscaling/v2 `MetricTarget`: `type` `Utilization` (`averageUtilization`, percent of the pods' requests),
/// `Value` (`value`) or `AverageValue` (`averageValue`).
public struct MetricTarget: Codable, Sendable, Hashable {
    public var type: String
    public var value: Quantity?
    public var averageValue: Quantity?
    public var averageUtilization: Int32?

    public init(type: String = "", value: Quantity? = nil, averageValue: Quantity? = nil, averageUtilization: Int32? = nil) {
        self.type = type
        self.value = value
        self.averageValue = averageValue
        self.averageUtilization = averageUtilization
    }

    enum CodingKeys: String, CodingKey { case type, value, averageValue, averageUtilization }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        value = try c.decodeIfPresent(Quantity.self, forKey: .value)
        averageValue = try c.decodeIfPresent(Quantity.self, forKey: .averageValue)
        averageUtilization = try c.decodeIfPresent(Int32.self, forKey: .averageUtilization)
    }

    /// The target types.
    public static let utilizationType = "Utilization"
    public static let valueType = "Value"
    public static let averageValueType = "AverageValue"

    /// A `Utilization` target of `percent` of the pods' requests.
    public static func utilization(_ percent: Int32) -> MetricTarget {
        MetricTarget(type: utilizationType, averageUtilization: percent)
    }
}

/// autoscaling/v2 `HorizontalPodAutoscalerBehavior`: how fast the autoscaler may scale up and down.
public struct HorizontalPodAutoscalerBehavior: Codable, Sendable, Hashable {
    public var scaleUp: HPAScalingRules?
    public var scaleDown: HPAScalingRules?

    public init(scaleUp: HPAScalingRules? = nil, scaleDown: HPAScalingRules? = nil) {
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
    }
}

/// autoscaling/v2 `HPAScalingRules`: a stabilization window (the autoscaler acts on the most conservative
/// recommendation within it) and the policies limiting one step, of which `selectPolicy` (`Max`, `Min`, `Disabled`)
/// picks.
public struct HPAScalingRules: Codable, Sendable, Hashable {
    public var stabilizationWindowSeconds: Int32?
    public var selectPolicy: String?
    public var policies: [HPAScalingPolicy]?

    public init(stabilizationWindowSeconds: Int32? = nil, selectPolicy: String? = nil, policies: [HPAScalingPolicy]? = nil) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.selectPolicy = selectPolicy
        self.policies = policies
    }

    /// The `selectPolicy` values.
    public static let maxPolicySelect = "Max"
    public static let minPolicySelect = "Min"
    public static let disabledPolicySelect = "Disabled"
}

/// autoscaling/v2 `HPAScalingPolicy`: at most `value` pods (`type: Pods`) or percent of the current replicas
/// (`type: Percent`) within `periodSeconds`.
public struct HPAScalingPolicy: Codable, Sendable, Hashable {
    public var type: String
    public var value: Int32
    public var periodSeconds: Int32

    public init(type: String = "", value: Int32 = 0, periodSeconds: Int32 = 0) {
        self.type = type
        self.value = value
        self.periodSeconds = periodSeconds
    }

    enum CodingKeys: String, CodingKey { case type, value, periodSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        value = try c.decodeIfPresent(Int32.self, forKey: .value) ?? 0
        periodSeconds = try c.decodeIfPresent(Int32.self, forKey: .periodSeconds) ?? 0
    }

    /// The policy types.
    public static let podsType = "Pods"
    public static let percentType = "Percent"
}

/// autoscaling/v2 `HorizontalPodAutoscalerStatus`, written by the controller. `desiredReplicas` is always encoded,
/// `currentReplicas` only when not 0 (upstream's `omitempty`).
public struct HorizontalPodAutoscalerStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    public var lastScaleTime: Time?
    public var currentReplicas: Int32
    public var desiredReplicas: Int32
    public var currentMetrics: [MetricStatus]?
    public var conditions: [HorizontalPodAutoscalerCondition]?

    public init(observedGeneration: Int64? = nil, lastScaleTime: Time? = nil, currentReplicas: Int32 = 0, desiredReplicas: Int32 = 0,
                currentMetrics: [MetricStatus]? = nil, conditions: [HorizontalPodAutoscalerCondition]? = nil) {
        self.observedGeneration = observedGeneration
        self.lastScaleTime = lastScaleTime
        self.currentReplicas = currentReplicas
        self.desiredReplicas = desiredReplicas
        self.currentMetrics = currentMetrics
        self.conditions = conditions
    }

    enum CodingKeys: String, CodingKey { case observedGeneration, lastScaleTime, currentReplicas, desiredReplicas, currentMetrics, conditions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        lastScaleTime = try c.decodeIfPresent(Time.self, forKey: .lastScaleTime)
        currentReplicas = try c.decodeIfPresent(Int32.self, forKey: .currentReplicas) ?? 0
        desiredReplicas = try c.decodeIfPresent(Int32.self, forKey: .desiredReplicas) ?? 0
        currentMetrics = try c.decodeIfPresent([MetricStatus].self, forKey: .currentMetrics)
        conditions = try c.decodeIfPresent([HorizontalPodAutoscalerCondition].self, forKey: .conditions)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(observedGeneration, forKey: .observedGeneration)
        try c.encodeIfPresent(lastScaleTime, forKey: .lastScaleTime)
        if currentReplicas != 0 { try c.encode(currentReplicas, forKey: .currentReplicas) }
        try c.encode(desiredReplicas, forKey: .desiredReplicas)
        try c.encodeIfPresent(currentMetrics, forKey: .currentMetrics)
        try c.encodeIfPresent(conditions, forKey: .conditions)
    }
}

/// autoscaling/v2 `MetricStatus`: the last reading of one metric, shaped as its `MetricSpec`.
public struct MetricStatus: Codable, Sendable, Hashable {
    public var type: String
    public var object: ObjectMetricStatus?
    public var pods: PodsMetricStatus?
    public var resource: ResourceMetricStatus?
    public var containerResource: ContainerResourceMetricStatus?
    public var external: ExternalMetricStatus?

    public init(type: String = "", object: ObjectMetricStatus? = nil, pods: PodsMetricStatus? = nil, resource: ResourceMetricStatus? = nil,
                containerResource: ContainerResourceMetricStatus? = nil, external: ExternalMetricStatus? = nil) {
        self.type = type
        self.object = object
        self.pods = pods
        self.resource = resource
        self.containerResource = containerResource
        self.external = external
    }

    enum CodingKeys: String, CodingKey { case type, object, pods, resource, containerResource, external }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        object = try c.decodeIfPresent(ObjectMetricStatus.self, forKey: .object)
        pods = try c.decodeIfPresent(PodsMetricStatus.self, forKey: .pods)
        resource = try c.decodeIfPresent(ResourceMetricStatus.self, forKey: .resource)
        containerResource = try c.decodeIfPresent(ContainerResourceMetricStatus.self, forKey: .containerResource)
        external = try c.decodeIfPresent(ExternalMetricStatus.self, forKey: .external)
    }
}

/// autoscaling/v2 `ObjectMetricStatus`.
public struct ObjectMetricStatus: Codable, Sendable, Hashable {
    public var metric: MetricIdentifier
    public var current: MetricValueStatus
    public var describedObject: CrossVersionObjectReference

    public init(metric: MetricIdentifier = MetricIdentifier(), current: MetricValueStatus = MetricValueStatus(),
                describedObject: CrossVersionObjectReference = CrossVersionObjectReference()) {
        self.metric = metric
        self.current = current
        self.describedObject = describedObject
    }

    enum CodingKeys: String, CodingKey { case metric, current, describedObject }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.decodeIfPresent(MetricIdentifier.self, forKey: .metric) ?? MetricIdentifier()
        current = try c.decodeIfPresent(MetricValueStatus.self, forKey: .current) ?? MetricValueStatus()
        describedObject = try c.decodeIfPresent(CrossVersionObjectReference.self, forKey: .describedObject) ?? CrossVersionObjectReference()
    }
}

/// autoscaling/v2 `PodsMetricStatus`.
public struct PodsMetricStatus: Codable, Sendable, Hashable {
    public var metric: MetricIdentifier
    public var current: MetricValueStatus

    public init(metric: MetricIdentifier = MetricIdentifier(), current: MetricValueStatus = MetricValueStatus()) {
        self.metric = metric
        self.current = current
    }

    enum CodingKeys: String, CodingKey { case metric, current }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.decodeIfPresent(MetricIdentifier.self, forKey: .metric) ?? MetricIdentifier()
        current = try c.decodeIfPresent(MetricValueStatus.self, forKey: .current) ?? MetricValueStatus()
    }
}

/// autoscaling/v2 `ResourceMetricStatus`: the pods' current average use of a resource.
public struct ResourceMetricStatus: Codable, Sendable, Hashable {
    public var name: String
    public var current: MetricValueStatus

    public init(name: String = "", current: MetricValueStatus = MetricValueStatus()) {
        self.name = name
        self.current = current
    }

    enum CodingKeys: String, CodingKey { case name, current }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        current = try c.decodeIfPresent(MetricValueStatus.self, forKey: .current) ?? MetricValueStatus()
    }
}

/// autoscaling/v2 `ContainerResourceMetricStatus`.
public struct ContainerResourceMetricStatus: Codable, Sendable, Hashable {
    public var name: String
    public var current: MetricValueStatus
    public var container: String

    public init(name: String = "", current: MetricValueStatus = MetricValueStatus(), container: String = "") {
        self.name = name
        self.current = current
        self.container = container
    }

    enum CodingKeys: String, CodingKey { case name, current, container }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        current = try c.decodeIfPresent(MetricValueStatus.self, forKey: .current) ?? MetricValueStatus()
        container = try c.decodeIfPresent(String.self, forKey: .container) ?? ""
    }
}

/// autoscaling/v2 `ExternalMetricStatus`.
public struct ExternalMetricStatus: Codable, Sendable, Hashable {
    public var metric: MetricIdentifier
    public var current: MetricValueStatus

    public init(metric: MetricIdentifier = MetricIdentifier(), current: MetricValueStatus = MetricValueStatus()) {
        self.metric = metric
        self.current = current
    }

    enum CodingKeys: String, CodingKey { case metric, current }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.decodeIfPresent(MetricIdentifier.self, forKey: .metric) ?? MetricIdentifier()
        current = try c.decodeIfPresent(MetricValueStatus.self, forKey: .current) ?? MetricValueStatus()
    }
}

/// autoscaling/v2 `MetricValueStatus`: a current value, average value or average utilization (percent).
public struct MetricValueStatus: Codable, Sendable, Hashable {
    public var value: Quantity?
    public var averageValue: Quantity?
    public var averageUtilization: Int32?

    public init(value: Quantity? = nil, averageValue: Quantity? = nil, averageUtilization: Int32? = nil) {
        self.value = value
        self.averageValue = averageValue
        self.averageUtilization = averageUtilization
    }
}

/// autoscaling/v2 `HorizontalPodAutoscalerCondition`: `AbleToScale`, `ScalingActive` or `ScalingLimited`.
public struct HorizontalPodAutoscalerCondition: Codable, Sendable, Hashable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var lastTransitionTime: Time?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, lastTransitionTime: Time? = nil, reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    /// The condition types.
    public static let ableToScale = "AbleToScale"
    public static let scalingActive = "ScalingActive"
    public static let scalingLimited = "ScalingLimited"
}
