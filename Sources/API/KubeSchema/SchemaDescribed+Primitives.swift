import Foundation
import KubeAPI

// The standard library's JSON primitives, with the `type`/`format` pairs upstream's generator writes for the
// matching Go types. A base64 `[]byte` is a string on the wire; most KubeAPI types declare it as one, those that
// hold bytes (`CertificateSigningRequest.spec.request`) use `Data`, described below.

extension Data: SchemaDescribed {
    /// Go's `[]byte`: a base64 string.
    public static var openAPISchema: JSONValue { ["type": "string", "format": "byte"] }
    public static var schemaPlaceholder: Data { Data() }
}

extension String: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "string"] }
    public static var schemaPlaceholder: String { "" }
}

extension Bool: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "boolean"] }
    public static var schemaPlaceholder: Bool { false }
}

extension Double: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "number", "format": "double"] }
    public static var schemaPlaceholder: Double { 0 }
}

extension Float: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "number", "format": "float"] }
    public static var schemaPlaceholder: Float { 0 }
}

extension Int8: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int32"] }
    public static var schemaPlaceholder: Int8 { 0 }
}

extension Int16: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int32"] }
    public static var schemaPlaceholder: Int16 { 0 }
}

extension Int32: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int32"] }
    public static var schemaPlaceholder: Int32 { 0 }
}

extension Int64: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int64"] }
    public static var schemaPlaceholder: Int64 { 0 }
}

extension Int: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int64"] }
    public static var schemaPlaceholder: Int { 0 }
}

extension UInt8: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int32", "minimum": 0] }
    public static var schemaPlaceholder: UInt8 { 0 }
}

extension UInt16: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int32", "minimum": 0] }
    public static var schemaPlaceholder: UInt16 { 0 }
}

extension UInt32: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int64", "minimum": 0] }
    public static var schemaPlaceholder: UInt32 { 0 }
}

extension UInt64: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int64", "minimum": 0] }
    public static var schemaPlaceholder: UInt64 { 0 }
}

extension UInt: SchemaDescribed {
    public static var openAPISchema: JSONValue { ["type": "integer", "format": "int64", "minimum": 0] }
    public static var schemaPlaceholder: UInt { 0 }
}
