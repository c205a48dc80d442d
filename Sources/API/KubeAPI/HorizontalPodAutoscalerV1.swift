import Foundation

/// autoscaling/v1 `HorizontalPodAutoscaler`: the CPU-only form `kubectl autoscale` writes. A view of the stored
/// autoscaling/v2 object: `targetCPUUtilizationPercentage` is its CPU `Resource` metric; upstream carries the
/// metrics, conditions and behavior v1 cannot express in `autoscaling.alpha.kubernetes.io/*` annotations.
public struct HorizontalPodAutoscalerV1: KubeObject {
    public static let resource = ResourceInfo(group: "autoscaling", version: "v1", plural: "horizontalpodautoscalers",
                                              singular: "horizontalpodautoscaler", kind: "HorizontalPodAutoscaler",
                                              namespaced: true, shortNames: ["hpa"], categories: ["all"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: HorizontalPodAutoscalerV1Spec?
    public var status: HorizontalPodAutoscalerV1Status?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: HorizontalPodAutoscalerV1Spec? = nil, status: HorizontalPodAutoscalerV1Status? = nil) {
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
        spec = try c.decodeIfPresent(HorizontalPodAutoscalerV1Spec.self, forKey: .spec)
        status = try c.decodeIfPresent(HorizontalPodAutoscalerV1Status.self, forKey: .status)
    }
}

/// autoscaling/v1 `HorizontalPodAutoscalerSpec`.
public struct HorizontalPodAutoscalerV1Spec: Codable, Sendable, Hashable {
    public var scaleTargetRef: CrossVersionObjectReference
    public var minReplicas: Int32?
    public var maxReplicas: Int32
    /// The pods' average CPU use in percent of their requests to aim for; unset: 80.
    public var targetCPUUtilizationPercentage: Int32?

    public init(scaleTargetRef: CrossVersionObjectReference = CrossVersionObjectReference(), minReplicas: Int32? = nil,
                maxReplicas: Int32 = 0, targetCPUUtilizationPercentage: Int32? = nil) {
        self.scaleTargetRef = scaleTargetRef
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.targetCPUUtilizationPercentage = targetCPUUtilizationPercentage
    }

    enum CodingKeys: String, CodingKey { case scaleTargetRef, minReplicas, maxReplicas, targetCPUUtilizationPercentage }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scaleTargetRef = try c.decodeIfPresent(CrossVersionObjectReference.self, forKey: .scaleTargetRef) ?? CrossVersionObjectReference()
        minReplicas = try c.decodeIfPresent(Int32.self, forKey: .minReplicas)
        maxReplicas = try c.decodeIfPresent(Int32.self, forKey: .maxReplicas) ?? 0
        targetCPUUtilizationPercentage = try c.decodeIfPresent(Int32.self, forKey: .targetCPUUtilizationPercentage)
    }
}

/// autoscaling/v1 `HorizontalPodAutoscalerStatus`; both replica counts are always encoded.
public struct HorizontalPodAutoscalerV1Status: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    public var lastScaleTime: Time?
    public var currentReplicas: Int32
    public var desiredReplicas: Int32
    public var currentCPUUtilizationPercentage: Int32?

    public init(observedGeneration: Int64? = nil, lastScaleTime: Time? = nil, currentReplicas: Int32 = 0, desiredReplicas: Int32 = 0,
                currentCPUUtilizationPercentage: Int32? = nil) {
        self.observedGeneration = observedGeneration
        self.lastScaleTime = lastScaleTime
        self.currentReplicas = currentReplicas
        self.desiredReplicas = desiredReplicas
        self.currentCPUUtilizationPercentage = currentCPUUtilizationPercentage
    }

    enum CodingKeys: String, CodingKey { case observedGeneration, lastScaleTime, currentReplicas, desiredReplicas, currentCPUUtilizationPercentage }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        observedGeneration = try c.decodeIfPresent(Int64.self, forKey: .observedGeneration)
        lastScaleTime = try c.decodeIfPresent(Time.self, forKey: .lastScaleTime)
        currentReplicas = try c.decodeIfPresent(Int32.self, forKey: .currentReplicas) ?? 0
        desiredReplicas = try c.decodeIfPresent(Int32.self, forKey: .desiredReplicas) ?? 0
        currentCPUUtilizationPercentage = try c.decodeIfPresent(Int32.self, forKey: .currentCPUUtilizationPercentage)
    }
}
