extension Schemas {
    /// coordination.k8s.io/v1 messages (k8s.io/api/coordination/v1/generated.proto): Lease.
    static let coordination: [MessageSchema] = [
        MessageSchema("coordination.v1.Lease", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "spec", .message("coordination.v1.LeaseSpec")),
        ]),
        MessageSchema("coordination.v1.LeaseSpec", [
            Field(1, "holderIdentity", .string, .keepsZero),
            Field(2, "leaseDurationSeconds", .int32, .keepsZero),
            Field(3, "acquireTime", .microTime),
            Field(4, "renewTime", .microTime),
            Field(5, "leaseTransitions", .int32, .keepsZero),
            Field(6, "strategy", .string, .keepsZero),
            Field(7, "preferredHolder", .string, .keepsZero),
        ]),
    ]
}
