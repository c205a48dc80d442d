import KubeAPI

/// A type that states its own OpenAPI schema instead of having it recorded from its `init(from:)`.
///
/// The schema recorder never decodes a conforming type: it takes `openAPISchema` as the type's schema and hands
/// `schemaPlaceholder` back to the decoding that asked for it. Leaf types whose decoding validates its input
/// (a `Quantity` rejects an empty string, a `Time` needs RFC 3339) or whose wire form is not an object
/// (`IntOrString`, `JSONValue`) conform, and so do the JSON primitives.
///
/// ```swift
/// extension Port: SchemaDescribed {
///     public static var openAPISchema: JSONValue { ["type": "integer", "format": "int32"] }
///     public static var schemaPlaceholder: Port { Port(80) }
/// }
/// ```
public protocol SchemaDescribed: Decodable {
    /// The OpenAPI v3 schema of the type's JSON form.
    static var openAPISchema: JSONValue { get }
    /// Any valid value, returned to the `init(from:)` being recorded so it can carry on.
    static var schemaPlaceholder: Self { get }
    /// Whether the schema is published as a named component and referenced with `$ref` (upstream does that for
    /// `Quantity`, `IntOrString`, `Time` and `MicroTime`) rather than written inline at every use.
    static var isSchemaComponent: Bool { get }
}

extension SchemaDescribed {
    /// Inline by default, like the JSON primitives.
    public static var isSchemaComponent: Bool { false }
}
