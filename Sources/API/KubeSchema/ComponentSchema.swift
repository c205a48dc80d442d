import KubeAPI

/// Turns what a type's `init(from:)` asked for into the component schema upstream publishes for it.
enum ComponentSchema {
    /// The schema of the type named `name`, from its recorded fields and the value its decoding built.
    ///
    /// A field is required when it was asked for with `decode`, or when the Swift property it fills is not
    /// optional (KubeAPI decodes upstream's required fields leniently, `decodeIfPresent(…) ?? ""`, but keeps
    /// them non-optional), unless the decoding probed for it or it is `metadata`, which no kind requires.
    static func make(name: String, type: Any.Type, record: ObjectRecord, value: Any) -> JSONValue {
        let typeName = String(name.split(separator: ".").last ?? Substring(name))
        var schema: [String: JSONValue]
        if let single = record.singleValue, record.fields.isEmpty {
            schema = single.objectValue ?? [:]
        } else {
            let standard = standardFieldDescriptions(of: type)
            let nonOptional = nonOptionalProperties(of: value)
            var properties: [String: JSONValue] = [:]
            var required: [JSONValue] = []
            for field in record.fields {
                guard let fieldSchema = field.schema else { continue }
                let description = SchemaDescriptions.fields[typeName + "." + field.key] ?? standard[field.key]
                properties[field.key] = property(fieldSchema, description: description,
                                                 extensions: ListSemantics.extensions(typeName: typeName, field: field.key))
                if !field.probed, field.key != "metadata", field.decodedAsRequired || nonOptional.contains(field.key) {
                    required.append(.string(field.key))
                }
            }
            schema = ["type": "object", "properties": .object(properties)]
            if !required.isEmpty { schema["required"] = .array(required) }
        }
        if let description = SchemaDescriptions.types[typeName] ?? listDescription(of: type) {
            schema["description"] = .string(description)
        }
        if let gvk = groupVersionKind(of: type) {
            schema["x-kubernetes-group-version-kind"] = [gvk]
        }
        return .object(schema)
    }

    /// A field's schema: a reference is wrapped in `allOf` (as upstream does) so it can carry a description
    /// beside it, which OpenAPI 3.0 ignores next to a bare `$ref`.
    private static func property(_ schema: JSONValue, description: String?, extensions: [String: JSONValue]) -> JSONValue {
        var result = schema.objectValue ?? [:]
        if result["$ref"] != nil { result = ["allOf": [schema]] }
        if let description { result["description"] = .string(description) }
        result.merge(extensions) { _, new in new }
        return .object(result)
    }

    /// Names of the stored properties of `value` that are not optionals.
    private static func nonOptionalProperties(of value: Any) -> Set<String> {
        Set(Mirror(reflecting: value).children.compactMap { child in
            Mirror(reflecting: child.value).displayStyle == .optional ? nil : child.label
        })
    }

    private static func standardFieldDescriptions(of type: Any.Type) -> [String: String] {
        if type is any KubeObject.Type { return SchemaDescriptions.objectFields }
        if type is any KindList.Type { return SchemaDescriptions.listFields }
        return [:]
    }

    private static func listDescription(of type: Any.Type) -> String? {
        guard let list = type as? any KindList.Type else { return nil }
        return "A list of \(list.itemKind.resource.kind) objects."
    }

    private static func groupVersionKind(of type: Any.Type) -> JSONValue? {
        let resource: ResourceInfo
        let kind: String
        if let object = type as? any KubeObject.Type {
            resource = object.resource
            kind = resource.kind
        } else if let list = type as? any KindList.Type {
            resource = list.itemKind.resource
            kind = resource.kind + "List"
        } else {
            return nil
        }
        return ["group": .string(resource.group), "version": .string(resource.version), "kind": .string(kind)]
    }
}
