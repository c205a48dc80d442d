import KubeAPI

/// The generic containers the recorder describes by their element type instead of decoding them: `[T]`,
/// `[String: T]` and `T?`.
///
/// They have to be caught before decoding: a dictionary's `init(from:)` enumerates `allKeys`, which a decoder
/// without data cannot offer, and an array or optional of a type being recorded would otherwise recurse.
/// Conditional conformances recover the element type from the generic type at run time.
protocol SchemaCollection {
    /// The type of the elements (`T` of `[T]`, `[String: T]`, `T?`).
    static var elementType: any Decodable.Type { get }
    /// The schema of the container, given its element's schema.
    static func schema(element: JSONValue) -> JSONValue
    /// An empty container, handed back to the decoding that asked for one.
    static var emptyPlaceholder: Self { get }
}

extension Array: SchemaCollection where Element: Decodable {
    static var elementType: any Decodable.Type { Element.self }
    static func schema(element: JSONValue) -> JSONValue { ["type": "array", "items": element] }
    static var emptyPlaceholder: [Element] { [] }
}

extension Dictionary: SchemaCollection where Key == String, Value: Decodable {
    static var elementType: any Decodable.Type { Value.self }
    static func schema(element: JSONValue) -> JSONValue { ["type": "object", "additionalProperties": element] }
    static var emptyPlaceholder: [String: Value] { [:] }
}

extension Optional: SchemaCollection where Wrapped: Decodable {
    static var elementType: any Decodable.Type { Wrapped.self }
    /// An optional is its wrapped type; absence is expressed by leaving the field out of `required`.
    static func schema(element: JSONValue) -> JSONValue { element }
    static var emptyPlaceholder: Wrapped? { nil }
}
