extension Schemas {
    /// meta/v1 messages (k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto): object and list metadata,
/// owner references, managed fields, label selectors and delete options.
    static let meta: [MessageSchema] = [
        MessageSchema("meta.v1.ObjectMeta", [
            Field(1, "name", .string),
            Field(2, "generateName", .string),
            Field(3, "namespace", .string),
            Field(4, "selfLink", .string),
            Field(5, "uid", .string),
            Field(6, "resourceVersion", .string),
            Field(7, "generation", .int64),
            Field(8, "creationTimestamp", .time),
            Field(9, "deletionTimestamp", .time),
            Field(10, "deletionGracePeriodSeconds", .int64, .keepsZero),
            Field(11, "labels", .map(.string)),
            Field(12, "annotations", .map(.string)),
            Field(13, "ownerReferences", .message("meta.v1.OwnerReference"), .repeated),
            Field(14, "finalizers", .string, .repeated),
            Field(17, "managedFields", .message("meta.v1.ManagedFieldsEntry"), .repeated),
        ]),
        MessageSchema("meta.v1.OwnerReference", [
            Field(1, "kind", .string, .keepsZero),
            Field(3, "name", .string, .keepsZero),
            Field(4, "uid", .string, .keepsZero),
            Field(5, "apiVersion", .string, .keepsZero),
            Field(6, "controller", .bool, .keepsZero),
            Field(7, "blockOwnerDeletion", .bool, .keepsZero),
        ]),
        MessageSchema("meta.v1.ManagedFieldsEntry", [
            Field(1, "manager", .string),
            Field(2, "operation", .string),
            Field(3, "apiVersion", .string),
            Field(4, "time", .time),
            Field(6, "fieldsType", .string),
            Field(7, "fieldsV1", .rawJSON),
            Field(8, "subresource", .string),
        ]),
        MessageSchema("meta.v1.LabelSelector", [
            Field(1, "matchLabels", .map(.string)),
            Field(2, "matchExpressions", .message("meta.v1.LabelSelectorRequirement"), .repeated),
        ]),
        MessageSchema("meta.v1.LabelSelectorRequirement", [
            Field(1, "key", .string, .keepsZero),
            Field(2, "operator", .string, .keepsZero),
            Field(3, "values", .string, .repeated),
        ]),
        MessageSchema("meta.v1.Condition", [
            Field(1, "type", .string, .keepsZero),
            Field(2, "status", .string, .keepsZero),
            Field(3, "observedGeneration", .int64),
            Field(4, "lastTransitionTime", .time),
            Field(5, "reason", .string, .keepsZero),
            Field(6, "message", .string, .keepsZero),
        ]),
        MessageSchema("meta.v1.DeleteOptions", [
            Field(1, "gracePeriodSeconds", .int64, .keepsZero),
            Field(2, "preconditions", .message("meta.v1.Preconditions")),
            Field(3, "orphanDependents", .bool, .keepsZero),
            Field(4, "propagationPolicy", .string, .keepsZero),
            Field(5, "dryRun", .string, .repeated),
            Field(6, "ignoreStoreReadErrorWithClusterBreakingPotential", .bool, .keepsZero),
        ]),
        MessageSchema("meta.v1.Preconditions", [
            Field(1, "uid", .string, .keepsZero),
            Field(2, "resourceVersion", .string, .keepsZero),
        ]),
        MessageSchema("meta.v1.ListMeta", [
            Field(1, "selfLink", .string),
            Field(2, "resourceVersion", .string),
            Field(3, "continue", .string),
            Field(4, "remainingItemCount", .int64, .keepsZero),
            Field(5, "shardInfo", .message("meta.v1.ShardInfo")),
        ]),
        MessageSchema("meta.v1.ShardInfo", [
            Field(1, "selector", .string, .keepsZero),
        ]),
    ]
}
