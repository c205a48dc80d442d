import KubeAPI

/// Upstream's strategic-merge-patch errors (apimachinery `pkg/util/mergepatch/errors.go`) with the HTTP
/// class the API server gives each (`interpretStrategicMergePatchError`).
enum SMPError {
    static let badRetainKeys = PatchError(.badRequest, "invalid patch format of retainKeys")
    static let badPrimitiveList = PatchError(.badRequest, "invalid patch format of primitive list")
    static let badSetElementOrder = PatchError(.badRequest, "invalid patch format of setElementOrder list")
    static let noListOfLists = PatchError(.invalid, "lists of lists are not supported")

    static func noMergeKey(_ map: [String: JSONValue], _ key: String) -> PatchError {
        PatchError(.internalError, "map: \(JSONValue.object(map).goDescription) does not contain declared merge key: \(key)")
    }

    static func badPatchType(_ type: JSONValue, _ map: [String: JSONValue]) -> PatchError {
        PatchError(.internalError, "unknown patch type: \(type.goDescription) in map: \(JSONValue.object(map).goDescription)")
    }

    static func badArgType(expected: String, _ actual: JSONValue) -> PatchError {
        PatchError(.internalError, "expected a \(expected), but received a \(actual.goKind)")
    }

    static func internalError(_ message: String) -> PatchError { PatchError(.internalError, message) }

    /// `$deleteFromPrimitiveList/finalizers` → `finalizers`.
    static func extractKey(_ key: String, _ prefix: String) throws(PatchError) -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix else {
            throw prefix == StrategicMergePatch.setElementOrderPrefix ? badSetElementOrder : badPrimitiveList
        }
        return String(parts[1])
    }
}

extension JSONValue {
    /// Go's `reflect.Kind` name of the decoded value, for `ErrBadArgType` texts.
    var goKind: String {
        switch self {
        case .null: "invalid"
        case .bool: "bool"
        case .int: "int64"
        case .double: "float64"
        case .string: "string"
        case .array: "slice"
        case .object: "map"
        }
    }
}
