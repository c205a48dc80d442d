import KubeAPI

/// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), ported from
/// apimachinery's `pkg/util/strategicpatch` with the merge knowledge of ``MergeKeys``.
///
/// Lists with a patch merge key merge item by item (`containers` by `name`), primitive lists tagged `merge`
/// merge as sets (`finalizers`), other lists are replaced. Directives: `$patch: replace|delete` on a map,
/// `{"$patch": "replace"}` / `{"name": "x", "$patch": "delete"}` inside a merging list,
/// `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`, `$retainKeys`; `null` deletes a member.
///
/// ```swift
/// let patched = try StrategicMergePatch.apply(
///     ["spec": ["containers": [["name": "app", "image": "nginx:1.27"]]]], to: pod, kind: "Pod")
/// ```
public enum StrategicMergePatch {
    static let directiveMarker = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"
    static let setElementOrderPrefix = "$setElementOrder"

    /// Applies `patch` to `document` using the rules of `kind` (see ``MergeKeys/forKind(_:)``).
    public static func apply(_ patch: JSONValue, to document: JSONValue, kind: String) throws(PatchError) -> JSONValue {
        try apply(patch, to: document, rules: .forKind(kind))
    }

    /// Applies `patch` to `document` with explicit merge rules.
    public static func apply(_ patch: JSONValue, to document: JSONValue, rules: MergeKeys) throws(PatchError) -> JSONValue {
        guard case .object(let patchMap) = patch else {
            throw PatchError(.badRequest, "json: cannot unmarshal \(patch.typeName) into Go value of type map[string]interface {}")
        }
        guard case .object(let original) = document else { throw PatchError(.badRequest, "invalid JSON document") }
        return .object(try Merger(rules: rules).mergeMap(original, patchMap, at: []))
    }
}

/// One merge run: the rules and the recursive walk.
struct Merger {
    let rules: MergeKeys

    func mergeMap(_ originalIn: [String: JSONValue], _ patchIn: [String: JSONValue], at path: [String]) throws(PatchError) -> [String: JSONValue] {
        var patch = patchIn
        if let directive = patch[StrategicMergePatch.directiveMarker] {
            switch directive.stringValue {
            case "replace":
                patch[StrategicMergePatch.directiveMarker] = nil
                return patch
            case "delete":
                return [:]
            default:
                throw SMPError.badPatchType(directive, patch)
            }
        }
        var original = originalIn
        try applyRetainKeys(&original, &patch)
        try mergeOrderedLists(&original, &patch, at: path)

        // Deletion lists sort first ("$" < letters), so items are removed before the same list is merged.
        for key in patch.keys.sorted() {
            let patchValue = patch[key]!
            var field = key
            var isDeleteList = false
            if key.hasPrefix(StrategicMergePatch.deleteFromPrimitiveListPrefix) {
                field = try SMPError.extractKey(key, StrategicMergePatch.deleteFromPrimitiveListPrefix)
                isDeleteList = true
            }
            if patchValue.isNull {
                original[field] = nil
                continue
            }
            guard let current = original[field], current.kindMatches(patchValue) else {
                if !isDeleteList { original[field] = Self.cleaned(patchValue) }
                continue
            }
            let fieldPath = path + [field]
            let rule = rules.rule(fieldPath)
            switch (current, patchValue) {
            case (.object(let a), .object(let b)):
                original[field] = rule?.patchStrategy == .replace ? patchValue : .object(try mergeMap(a, b, at: fieldPath))
            case (.array(let a), .array(let b)):
                if case .merge(let mergeKey) = rule?.patchStrategy {
                    original[field] = .array(try mergeSlice(a, b, mergeKey: mergeKey, isDeleteList: isDeleteList, at: fieldPath))
                } else if isDeleteList {
                    original[field] = .array(try mergeSlice(a, b, mergeKey: nil, isDeleteList: true, at: fieldPath))
                } else {
                    original[field] = patchValue
                }
            default:
                original[field] = patchValue
            }
        }
        return original
    }

    /// `$retainKeys`: drop members of `original` not listed; every non-null patch member must be listed.
    func applyRetainKeys(_ original: inout [String: JSONValue], _ patch: inout [String: JSONValue]) throws(PatchError) {
        guard let directive = patch.removeValue(forKey: StrategicMergePatch.retainKeysDirective) else { return }
        guard case .array(let keys) = directive else { throw SMPError.badRetainKeys }
        let retained = Set(keys.compactMap(\.stringValue))
        for (key, value) in patch where !value.isNull
            && !key.hasPrefix(StrategicMergePatch.deleteFromPrimitiveListPrefix)
            && !key.hasPrefix(StrategicMergePatch.setElementOrderPrefix)
            && !retained.contains(key) {
            throw SMPError.badRetainKeys
        }
        original = original.filter { retained.contains($0.key) }
    }

    /// A patch value stored where the original has nothing to merge with: nested `null`s dropped and
    /// directive-carrying maps removed (`nil` when the value itself is such a map).
    static func cleaned(_ value: JSONValue) -> JSONValue? {
        removeDirectives(discardNulls(value))
    }

    static func discardNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(members.filter { !$0.value.isNull }.mapValues(discardNulls))
        case .array(let items): return .array(items.map(discardNulls))
        default: return value
        }
    }

    static func removeDirectives(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let members):
            if members[StrategicMergePatch.directiveMarker] != nil { return nil }
            return .object(members.compactMapValues(removeDirectives))
        case .array(let items): return .array(items.compactMap(removeDirectives))
        default: return value
        }
    }
}

extension JSONValue {
    /// Whether two values have the same Go dynamic type after decoding (all numbers are one type).
    func kindMatches(_ other: JSONValue) -> Bool { typeName == other.typeName }
}
