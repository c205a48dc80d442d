extension Schemas {
    /// events.k8s.io/v1 messages (k8s.io/api/events/v1/generated.proto): Event, whose references and source are
    /// core/v1's messages.
    static let events: [MessageSchema] = [
        MessageSchema("events.v1.Event", [
            Field(1, "metadata", .message("meta.v1.ObjectMeta")),
            Field(2, "eventTime", .microTime),
            Field(3, "series", .message("events.v1.EventSeries")),
            Field(4, "reportingController", .string),
            Field(5, "reportingInstance", .string),
            Field(6, "action", .string),
            Field(7, "reason", .string),
            Field(8, "regarding", .message("core.v1.ObjectReference")),
            Field(9, "related", .message("core.v1.ObjectReference")),
            Field(10, "note", .string),
            Field(11, "type", .string),
            Field(12, "deprecatedSource", .message("core.v1.EventSource")),
            Field(13, "deprecatedFirstTimestamp", .time),
            Field(14, "deprecatedLastTimestamp", .time),
            Field(15, "deprecatedCount", .int32),
        ]),
        MessageSchema("events.v1.EventSeries", [
            Field(1, "count", .int32, .keepsZero),
            Field(2, "lastObservedTime", .microTime),
        ]),
    ]
}
