import KubeAPI

/// Records the schemas of `Decodable` types by running their `init(from:)` against a ``RecordingDecoder``,
/// collecting one named component per struct it meets.
///
/// A type that is still being recorded when it is met again (a recursive type) is referenced by `$ref`
/// instead of being entered a second time. One recorder serves one ``OpenAPISchemas/components(for:)`` call
/// and is used from one thread.
final class SchemaRecorder {
    /// The component schemas recorded so far, by schema name.
    private(set) var components: [String: JSONValue] = [:]
    private var inProgress: Set<ObjectIdentifier> = []
    /// The packages of the document's `SchemaNames.declaredPerVersion` types.
    private let packageOverrides: [String: String]

    init(packageOverrides: [String: String] = [:]) {
        self.packageOverrides = packageOverrides
    }

    private func componentName(of type: Any.Type) -> String {
        OpenAPISchemas.schemaName(of: type, packageOverrides: packageOverrides)
    }

    /// The schema of `type` as a field value: inline for primitives and collections, a `$ref` for structs and
    /// component leaf types (recording them first if needed).
    func schema(of type: any Decodable.Type, codingPath: [any CodingKey]) throws -> JSONValue {
        if let described = type as? any SchemaDescribed.Type {
            guard described.isSchemaComponent else { return described.openAPISchema }
            let name = componentName(of: described)
            if components[name] == nil { components[name] = described.openAPISchema }
            return OpenAPISchemas.reference(to: name)
        }
        if let collection = type as? any SchemaCollection.Type {
            return collection.schema(element: try schema(of: collection.elementType, codingPath: codingPath))
        }
        let name = componentName(of: type)
        if components[name] == nil, !inProgress.contains(ObjectIdentifier(type)) {
            _ = try record(type, codingPath: codingPath)
        }
        return OpenAPISchemas.reference(to: name)
    }

    /// The schema of `type` and a value of it, for a field the decoding insists on (`decode`).
    func requiredValue<T: Decodable>(of type: T.Type, codingPath: [any CodingKey]) throws -> (schema: JSONValue, value: T) {
        // The casts cannot fail: the placeholder of `T` is a `T`.
        if let described = type as? any SchemaDescribed.Type {
            return (try schema(of: type, codingPath: codingPath), described.schemaPlaceholder as! T)
        }
        if let collection = type as? any SchemaCollection.Type {
            return (try schema(of: type, codingPath: codingPath), collection.emptyPlaceholder as! T)
        }
        guard !inProgress.contains(ObjectIdentifier(type)) else {
            throw SchemaError(code: .recursiveRequiredField,
                              message: "\(type) requires a value of its own type, directly or through its fields",
                              path: Self.dotted(codingPath))
        }
        let value = try record(type, codingPath: codingPath)
        return (OpenAPISchemas.reference(to: componentName(of: type)), value)
    }

    /// Runs `T.init(from:)` against a recording decoder, stores `T`'s component if it is new and returns the
    /// value the decoding built.
    private func record<T: Decodable>(_ type: T.Type, codingPath: [any CodingKey]) throws -> T {
        let id = ObjectIdentifier(type)
        inProgress.insert(id)
        defer { inProgress.remove(id) }
        let fields = ObjectRecord()
        let value = try T(from: RecordingDecoder(recorder: self, record: fields, codingPath: codingPath))
        let name = componentName(of: type)
        if components[name] == nil {
            components[name] = ComponentSchema.make(name: name, type: type, record: fields, value: value)
        }
        return value
    }

    static func dotted(_ codingPath: [any CodingKey]) -> String {
        codingPath.map(\.stringValue).joined(separator: ".")
    }
}
