import KubeAPI
import KubePatch

/// Applies a PATCH body of one of the three non-apply patch types, answering errors as upstream `Status`es.
enum Patching {
    static func apply(_ patch: JSONValue, contentType: String, to original: JSONValue, kind: String, info: ResourceInfo) throws -> JSONValue {
        try status(for: info) {
            switch contentType {
            case "application/json-patch+json":
                guard let operations = patch.arrayValue else {
                    throw PatchError(.badRequest, "json: cannot unmarshal \(patch.typeName) into Go value of type jsonpatch.Patch")
                }
                return try JSONPatch(operations: operations).apply(to: original)
            case "application/merge-patch+json":
                return try MergePatch.apply(patch, to: original)
            case "application/strategic-merge-patch+json":
                return try StrategicMergePatch.apply(patch, to: original, kind: kind)
            default:
                throw Status.unsupportedMediaType(contentType)
            }
        }
    }

    /// Runs `body`, turning a `PatchError` into the `Status` upstream answers with.
    static func status<T>(for info: ResourceInfo, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PatchError {
            let causes = error.causes.map { StatusCause(reason: $0.type, message: $0.message, field: $0.field) }
            let details = causes.isEmpty ? nil : StatusDetails(group: info.group, kind: info.plural, causes: causes)
            switch error.reason {
            case .badRequest: throw Status(message: error.message, reason: "BadRequest", details: details, code: 400)
            case .invalid: throw Status(message: error.message, reason: "Invalid", details: details, code: 422)
            case .conflict: throw Status(message: error.message, reason: "Conflict", details: details, code: 409)
            case .internalError: throw Status.internalError(error.message)
            }
        }
    }
}
