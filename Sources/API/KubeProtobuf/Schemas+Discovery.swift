extension Schemas {
    /// discovery.k8s.io/v1 messages (k8s.io/api/discovery/v1/generated.proto): EndpointSlice.
    static let discovery: [MessageSchema] = [
        MessageSchema("discovery.v1.EndpointSlice", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "endpoints", .message("discovery.v1.Endpoint"), .repeated),
            Field(3, "ports", .message("discovery.v1.EndpointPort"), .repeated),
            Field(4, "addressType", .string, .keepsZero),
        ]),
        MessageSchema("discovery.v1.Endpoint", [
            Field(1, "addresses", .string, .repeated),
            Field(2, "conditions", .message("discovery.v1.EndpointConditions")),
            Field(3, "hostname", .string, .keepsZero),
            Field(4, "targetRef", .message("core.v1.ObjectReference")),
            Field(5, "deprecatedTopology", .map(.string)),
            Field(6, "nodeName", .string, .keepsZero),
            Field(7, "zone", .string, .keepsZero),
            Field(8, "hints", .message("discovery.v1.EndpointHints")),
        ]),
        MessageSchema("discovery.v1.EndpointConditions", [
            Field(1, "ready", .bool, .keepsZero),
            Field(2, "serving", .bool, .keepsZero),
            Field(3, "terminating", .bool, .keepsZero),
        ]),
        MessageSchema("discovery.v1.EndpointHints", [
            Field(1, "forZones", .message("discovery.v1.ForZone"), .repeated),
            Field(2, "forNodes", .message("discovery.v1.ForNode"), .repeated),
        ]),
        MessageSchema("discovery.v1.ForZone", [
            Field(1, "name", .string, .keepsZero),
        ]),
        MessageSchema("discovery.v1.ForNode", [
            Field(1, "name", .string, .keepsZero),
        ]),
        MessageSchema("discovery.v1.EndpointPort", [
            Field(1, "name", .string, .keepsZero),
            Field(2, "protocol", .string, .keepsZero),
            Field(3, "port", .int32, .keepsZero),
            Field(4, "appProtocol", .string, .keepsZero),
        ]),
    ]
}
