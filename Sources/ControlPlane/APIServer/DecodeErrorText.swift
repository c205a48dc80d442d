import KubeAPI
import KubeSchema

/// A body's decoding error in the words of upstream's API server, which decodes with Go's `encoding/json`:
/// `json: cannot unmarshal bool into Go struct field Container.spec.containers.image of type string` — what the
/// body had there, the Go struct holding the field, the field's path of JSON names (no list indices, no map keys)
/// and the field's Go type (`int32`, `[]v1.Container`, `map[string]string`, `v1.PodSpec`). The struct and type come
/// from the kind's OpenAPI schema, which names upstream's Go types; where the schema cannot say, the text keeps
/// what the decoder knows.
struct DecodeErrorText {
    let kind: any KubeObject.Type
    /// The body as parsed, to say what it held where the error is.
    let input: JSONValue

    func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            let found = value(at: context.codingPath).map(Self.goValueName) ?? "value"
            if let field = goField(context.codingPath) {
                return "json: cannot unmarshal \(found) into Go struct field \(field.structName).\(field.path) of type \(field.type)"
            }
            return "json: cannot unmarshal \(found) into Go struct field \(Self.path(context.codingPath)) of type \(Self.goName(type))"
        case .valueNotFound(let type, let context):
            return "json: missing value of type \(Self.goName(type)) for field \(Self.path(context.codingPath))"
        case .keyNotFound(let key, let context):
            return "json: missing required field \"\(Self.path(context.codingPath + [key]))\""
        case .dataCorrupted(let context):
            return "\(Self.path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Go's name for a JSON value's kind in an `UnmarshalTypeError`.
    private static func goValueName(_ value: JSONValue) -> String {
        switch value {
        case .bool: "bool"
        case .int, .double: "number"
        default: value.typeName
        }
    }

    /// The input at a coding path (object keys and list indices).
    private func value(at path: [any CodingKey]) -> JSONValue? {
        var current: JSONValue? = input
        for key in path {
            if let index = key.intValue, case .array(let items)? = current {
                current = items.indices.contains(index) ? items[index] : nil
            } else {
                current = current?[key.stringValue]
            }
        }
        return current
    }

    /// The Go struct holding the field at `codingPath`, its JSON path as Go reports it, and its Go type, found by
    /// walking the kind's schema; nil where the walk cannot follow the path.
    private func goField(_ codingPath: [any CodingKey]) -> (structName: String, path: String, type: String)? {
        guard let components = try? OpenAPISchemas.components(for: [kind]) else { return nil }
        func resolve(_ schema: JSONValue) -> (schema: JSONValue, component: String?) {
            var schema = schema
            if let inner = schema["allOf"]?.arrayValue?.first { schema = inner }
            guard let reference = schema["$ref"]?.stringValue else { return (schema, nil) }
            let name = String(reference.split(separator: "/").last ?? "")
            return (components[name] ?? [:], name)
        }
        var component = OpenAPISchemas.schemaName(of: kind)
        var schema = components[component] ?? [:]
        var structName = Self.shortName(component)
        var fields: [String] = []
        var target: JSONValue = schema
        for key in codingPath {
            if key.intValue != nil {
                guard let items = schema["items"] else { return nil }
                target = items
            } else if let property = schema["properties"]?[key.stringValue] {
                structName = Self.shortName(component)
                fields.append(key.stringValue)
                target = property
            } else if let values = schema["additionalProperties"] {
                target = values
            } else {
                return nil
            }
            let (next, name) = resolve(target)
            schema = next
            if let name { component = name }
        }
        guard !fields.isEmpty else { return nil }
        return (structName, fields.joined(separator: "."), goType(target, components: components))
    }

    /// The Go type a schema stands for, as Go's reflection prints it.
    private func goType(_ schema: JSONValue, components: [String: JSONValue]) -> String {
        var schema = schema
        if let inner = schema["allOf"]?.arrayValue?.first { schema = inner }
        if let reference = schema["$ref"]?.stringValue {
            let name = String(reference.split(separator: "/").last ?? "")
            let parts = name.split(separator: ".")
            return parts.count >= 2 ? "\(parts[parts.count - 2]).\(parts[parts.count - 1])" : name
        }
        switch schema["type"]?.stringValue {
        case "string": return "string"
        case "boolean": return "bool"
        case "integer": return schema["format"]?.stringValue == "int32" ? "int32" : "int64"
        case "number": return "float64"
        case "array": return "[]" + goType(schema["items"] ?? [:], components: components)
        case "object":
            if let values = schema["additionalProperties"] { return "map[string]" + goType(values, components: components) }
            return "map[string]interface {}"
        default: return "interface {}"
        }
    }

    /// `io.k8s.api.core.v1.Container` → `Container`.
    private static func shortName(_ component: String) -> String {
        String(component.split(separator: ".").last ?? Substring(component))
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce("") { result, key in
            if let i = key.intValue { return result + "[\(i)]" }
            return result.isEmpty ? key.stringValue : result + "." + key.stringValue
        }
    }

    private static func goName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Int.Type, is Int64.Type: "int64"
        case is Int32.Type: "int32"
        case is Bool.Type: "bool"
        case is Double.Type: "float64"
        default: "\(type)"
        }
    }
}
