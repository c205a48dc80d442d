extension Schemas {
    /// autoscaling/v1 messages (k8s.io/api/autoscaling/v1/generated.proto): the Scale subresource body.
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
    ]
}
