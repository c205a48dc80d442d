import Foundation
import KubeAPI

// The KubeAPI leaf types, described with the schemas upstream publishes for their Go counterparts (plus the
// `x-kubernetes-int-or-string` marker on the int-or-string pair, which structural-schema tools look for).

extension Quantity: SchemaDescribed {
    /// `resource.Quantity`: a string such as `"100m"` or `"1Gi"`, or a plain number.
    public static var openAPISchema: JSONValue {
        [
            "description": "A fixed-point number with an optional SI or binary suffix, such as 100m, 1.5, 2Gi or 1e3. Written as a string (a plain number is also accepted).",
            "oneOf": [["type": "string"], ["type": "number"]],
            "x-kubernetes-int-or-string": true,
        ]
    }
    public static var schemaPlaceholder: Quantity { .zero }
    public static var isSchemaComponent: Bool { true }
}

extension IntOrString: SchemaDescribed {
    /// `intstr.IntOrString`: an int32 or a string.
    public static var openAPISchema: JSONValue {
        [
            "description": "An int32 or a string, such as a port number or a port name, or an absolute number or a percentage.",
            "format": "int-or-string",
            "oneOf": [["type": "integer"], ["type": "string"]],
            "x-kubernetes-int-or-string": true,
        ]
    }
    public static var schemaPlaceholder: IntOrString { .int(0) }
    public static var isSchemaComponent: Bool { true }
}

extension Time: SchemaDescribed {
    /// `meta/v1 Time`: RFC 3339 with second precision.
    public static var openAPISchema: JSONValue {
        ["description": "An RFC 3339 date and time in UTC with second precision, such as 2024-05-01T12:00:00Z.",
         "type": "string", "format": "date-time"]
    }
    public static var schemaPlaceholder: Time { Time(.init(timeIntervalSince1970: 0)) }
    public static var isSchemaComponent: Bool { true }
}

extension MicroTime: SchemaDescribed {
    /// `meta/v1 MicroTime`: RFC 3339 with microsecond precision.
    public static var openAPISchema: JSONValue {
        ["description": "An RFC 3339 date and time in UTC with microsecond precision, such as 2024-05-01T12:00:00.123456Z.",
         "type": "string", "format": "date-time"]
    }
    public static var schemaPlaceholder: MicroTime { MicroTime(.init(timeIntervalSince1970: 0)) }
    public static var isSchemaComponent: Bool { true }
}

extension JSONValue: SchemaDescribed {
    /// Free-form JSON: kept as sent, never pruned.
    public static var openAPISchema: JSONValue { ["x-kubernetes-preserve-unknown-fields": true] }
    public static var schemaPlaceholder: JSONValue { .null }
}
