extension Schemas {
    /// policy/v1 (k8s.io/api/policy/v1/generated.proto: PodDisruptionBudget, Eviction) and scheduling.k8s.io/v1
    /// (k8s.io/api/scheduling/v1/generated.proto: PriorityClass) messages.
    static let policy: [MessageSchema] = [
        MessageSchema("policy.v1.PodDisruptionBudget", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("policy.v1.PodDisruptionBudgetSpec")),
            Field(3, "status", .message("policy.v1.PodDisruptionBudgetStatus")),
        ]),
        MessageSchema("policy.v1.PodDisruptionBudgetSpec", [
            Field(1, "minAvailable", .intOrString, .keepsZero),
            Field(2, "selector", .message("meta.v1.LabelSelector")),
            Field(3, "maxUnavailable", .intOrString, .keepsZero),
            Field(4, "unhealthyPodEvictionPolicy", .string, .keepsZero),
        ]),
        MessageSchema("policy.v1.PodDisruptionBudgetStatus", [
            Field(1, "observedGeneration", .int64),
            Field(2, "disruptedPods", .map(.time)),
            Field(3, "disruptionsAllowed", .int32, .keepsZero),
            Field(4, "currentHealthy", .int32, .keepsZero),
            Field(5, "desiredHealthy", .int32, .keepsZero),
            Field(6, "expectedPods", .int32, .keepsZero),
            Field(7, "conditions", .message("meta.v1.Condition"), .repeated),
        ]),
        MessageSchema("policy.v1.Eviction", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "deleteOptions", .message("meta.v1.DeleteOptions")),
        ]),
        MessageSchema("scheduling.v1.PriorityClass", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "value", .int32, .keepsZero),
            Field(3, "globalDefault", .bool),
            Field(4, "description", .string),
            Field(5, "preemptionPolicy", .string, .keepsZero),
        ]),
    ]
}
