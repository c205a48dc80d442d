extension Schemas {
    /// node.k8s.io/v1 messages (k8s.io/api/node/v1/generated.proto): RuntimeClass with its Overhead and Scheduling.
    static let node: [MessageSchema] = [
        MessageSchema("node.v1.RuntimeClass", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "handler", .string, .keepsZero),
            Field(3, "overhead", .message("node.v1.Overhead")),
            Field(4, "scheduling", .message("node.v1.Scheduling")),
        ]),
        MessageSchema("node.v1.Overhead", [
            Field(1, "podFixed", .map(.quantity)),
        ]),
        MessageSchema("node.v1.Scheduling", [
            Field(1, "nodeSelector", .map(.string)),
            Field(2, "tolerations", .message("core.v1.Toleration"), .repeated),
        ]),
    ]
}
