extension Schemas {
    /// autoscaling/v1 and autoscaling/v2 messages (k8s.io/api/autoscaling/{v1,v2}/generated.proto): the Scale
    /// subresource body and both versions of HorizontalPodAutoscaler.
    static let autoscaling: [MessageSchema] = [
        MessageSchema("autoscaling.v1.Scale", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("autoscaling.v1.ScaleSpec")),
            Field(3, "status", .message("autoscaling.v1.ScaleStatus")),
        ]),
        MessageSchema("autoscaling.v1.ScaleSpec", [
            Field(1, "replicas", .int32),
        ]),
        MessageSchema("autoscaling.v1.ScaleStatus", [
            Field(1, "replicas", .int32, .keepsZero),
            Field(2, "selector", .string),
        ]),
        MessageSchema("autoscaling.v1.HorizontalPodAutoscaler", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("autoscaling.v1.HorizontalPodAutoscalerSpec")),
            Field(3, "status", .message("autoscaling.v1.HorizontalPodAutoscalerStatus")),
        ]),
        MessageSchema("autoscaling.v1.HorizontalPodAutoscalerSpec", [
            Field(1, "scaleTargetRef", .message("autoscaling.v1.CrossVersionObjectReference")),
            Field(2, "minReplicas", .int32, .keepsZero),
            Field(3, "maxReplicas", .int32, .keepsZero),
            Field(4, "targetCPUUtilizationPercentage", .int32, .keepsZero),
        ]),
        MessageSchema("autoscaling.v1.HorizontalPodAutoscalerStatus", [
            Field(1, "observedGeneration", .int64, .keepsZero),
            Field(2, "lastScaleTime", .time),
            Field(3, "currentReplicas", .int32, .keepsZero),
            Field(4, "desiredReplicas", .int32, .keepsZero),
            Field(5, "currentCPUUtilizationPercentage", .int32, .keepsZero),
        ]),
        MessageSchema("autoscaling.v1.CrossVersionObjectReference", [
            Field(1, "kind", .string, .keepsZero),
            Field(2, "name", .string, .keepsZero),
            Field(3, "apiVersion", .string),
        ]),
    ] + autoscalingV2

    /// autoscaling/v2 (k8s.io/api/autoscaling/v2/generated.proto).
    private static let autoscalingV2: [MessageSchema] = [
        MessageSchema("autoscaling.v2.HorizontalPodAutoscaler", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("autoscaling.v2.HorizontalPodAutoscalerSpec")),
            Field(3, "status", .message("autoscaling.v2.HorizontalPodAutoscalerStatus")),
        ]),
        MessageSchema("autoscaling.v2.HorizontalPodAutoscalerSpec", [
            Field(1, "scaleTargetRef", .message("autoscaling.v2.CrossVersionObjectReference")),
            Field(2, "minReplicas", .int32, .keepsZero),
            Field(3, "maxReplicas", .int32, .keepsZero),
            Field(4, "metrics", .message("autoscaling.v2.MetricSpec"), .repeated),
            Field(5, "behavior", .message("autoscaling.v2.HorizontalPodAutoscalerBehavior")),
        ]),
        MessageSchema("autoscaling.v2.CrossVersionObjectReference", [
            Field(1, "kind", .string, .keepsZero),
            Field(2, "name", .string, .keepsZero),
            Field(3, "apiVersion", .string),
        ]),
        MessageSchema("autoscaling.v2.MetricSpec", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "object", .message("autoscaling.v2.ObjectMetricSource")),
            Field(3, "pods", .message("autoscaling.v2.PodsMetricSource")),
            Field(4, "resource", .message("autoscaling.v2.ResourceMetricSource")),
            Field(5, "external", .message("autoscaling.v2.ExternalMetricSource")),
            Field(7, "containerResource", .message("autoscaling.v2.ContainerResourceMetricSource")),
        ]),
        MessageSchema("autoscaling.v2.ObjectMetricSource", [
            Field(1, "describedObject", .message("autoscaling.v2.CrossVersionObjectReference")),
            Field(2, "target", .message("autoscaling.v2.MetricTarget")),
            Field(3, "metric", .message("autoscaling.v2.MetricIdentifier")),
        ]),
        MessageSchema("autoscaling.v2.PodsMetricSource", [
            Field(1, "metric", .message("autoscaling.v2.MetricIdentifier")),
            Field(2, "target", .message("autoscaling.v2.MetricTarget")),
        ]),
        MessageSchema("autoscaling.v2.ResourceMetricSource", [
            Field(1, "name", .string, .keepsZero),
            Field(2, "target", .message("autoscaling.v2.MetricTarget")),
        ]),
        MessageSchema("autoscaling.v2.ContainerResourceMetricSource", [
            Field(1, "name", .string, .keepsZero),
            Field(2, "target", .message("autoscaling.v2.MetricTarget")),
            Field(3, "container", .string, .keepsZero),
        ]),
        MessageSchema("autoscaling.v2.ExternalMetricSource", [
            Field(1, "metric", .message("autoscaling.v2.MetricIdentifier")),
            Field(2, "target", .message("autoscaling.v2.MetricTarget")),
        ]),
        MessageSchema("autoscaling.v2.MetricIdentifier", [
            Field(1, "name", .string, .keepsZero),
            Field(2, "selector", .message("meta.v1.LabelSelector")),
        ]),
        MessageSchema("autoscaling.v2.MetricTarget", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "value", .quantity),
            Field(3, "averageValue", .quantity),
            Field(4, "averageUtilization", .int32, .keepsZero),
        ]),
        MessageSchema("autoscaling.v2.HorizontalPodAutoscalerBehavior", [
            Field(1, "scaleUp", .message("autoscaling.v2.HPAScalingRules")),
            Field(2, "scaleDown", .message("autoscaling.v2.HPAScalingRules")),
        ]),
        MessageSchema("autoscaling.v2.HPAScalingRules", [
            Field(1, "selectPolicy", .string, .keepsZero),
            Field(2, "policies", .message("autoscaling.v2.HPAScalingPolicy"), .repeated),
            Field(3, "stabilizationWindowSeconds", .int32, .keepsZero),
        ]),
        MessageSchema("autoscaling.v2.HPAScalingPolicy", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "value", .int32, .keepsZero),
            Field(3, "periodSeconds", .int32, .keepsZero),
        ]),
        MessageSchema("autoscaling.v2.HorizontalPodAutoscalerStatus", [
            Field(1, "observedGeneration", .int64, .keepsZero),
            Field(2, "lastScaleTime", .time),
            Field(3, "currentReplicas", .int32),
            Field(4, "desiredReplicas", .int32, .keepsZero),
            Field(5, "currentMetrics", .message("autoscaling.v2.MetricStatus"), .repeated),
            Field(6, "conditions", .message("autoscaling.v2.HorizontalPodAutoscalerCondition"), .repeated),
        ]),
        MessageSchema("autoscaling.v2.MetricStatus", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "object", .message("autoscaling.v2.ObjectMetricStatus")),
            Field(3, "pods", .message("autoscaling.v2.PodsMetricStatus")),
            Field(4, "resource", .message("autoscaling.v2.ResourceMetricStatus")),
            Field(5, "external", .message("autoscaling.v2.ExternalMetricStatus")),
            Field(7, "containerResource", .message("autoscaling.v2.ContainerResourceMetricStatus")),
        ]),
        MessageSchema("autoscaling.v2.ObjectMetricStatus", [
            Field(1, "metric", .message("autoscaling.v2.MetricIdentifier")),
            Field(2, "current", .message("autoscaling.v2.MetricValueStatus")),
            Field(3, "describedObject", .message("autoscaling.v2.CrossVersionObjectReference")),
        ]),
        MessageSchema("autoscaling.v2.PodsMetricStatus", [
            Field(1, "metric", .message("autoscaling.v2.MetricIdentifier")),
            Field(2, "current", .message("autoscaling.v2.MetricValueStatus")),
        ]),
        MessageSchema("autoscaling.v2.ResourceMetricStatus", [
            Field(1, "name", .string, .keepsZero),
            Field(2, "current", .message("autoscaling.v2.MetricValueStatus")),
        ]),
        MessageSchema("autoscaling.v2.ContainerResourceMetricStatus", [
            Field(1, "name", .string, .keepsZero),
            Field(2, "current", .message("autoscaling.v2.MetricValueStatus")),
            Field(3, "container", .string, .keepsZero),
        ]),
        MessageSchema("autoscaling.v2.ExternalMetricStatus", [
            Field(1, "metric", .message("autoscaling.v2.MetricIdentifier")),
            Field(2, "current", .message("autoscaling.v2.MetricValueStatus")),
        ]),
        MessageSchema("autoscaling.v2.MetricValueStatus", [
            Field(1, "value", .quantity),
            Field(2, "averageValue", .quantity),
            Field(3, "averageUtilization", .int32, .keepsZero),
        ]),
        MessageSchema("autoscaling.v2.HorizontalPodAutoscalerCondition", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "status", .string, .keepsZero),
            Field(3, "lastTransitionTime", .time),
            Field(4, "reason", .string),
            Field(5, "message", .string),
        ]),
    ]
}
