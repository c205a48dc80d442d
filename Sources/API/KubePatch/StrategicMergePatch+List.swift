import KubeAPI

/// Merging lists: by merge key for lists of maps, as sets for primitives, then restoring upstream's order
/// (patch items in patch order, server-only items in live order, interleaved by live position).
extension Merger {
    func mergeSlice(
        _ originalIn: [JSONValue], _ patchIn: [JSONValue], mergeKey: String?, isDeleteList: Bool, at path: [String]
    ) throws(PatchError) -> [JSONValue] {
        if originalIn.isEmpty && patchIn.isEmpty { return originalIn }
        let kind = try Self.elementKind(originalIn, patchIn)
        var original = originalIn
        var patch = patchIn
        let merged: [JSONValue]
        if kind != "object" {
            if isDeleteList { return original.filter { item in !patch.contains { $0.semanticallyEquals(item) } } }
            merged = Self.deduplicated(original + patch)
        } else {
            guard let mergeKey, !mergeKey.isEmpty else {
                throw SMPError.internalError("cannot merge lists without merge key for \(path.last ?? "")")
            }
            (original, patch) = try Self.applySpecialElements(original, patch, mergeKey: mergeKey)
            merged = try mergeWithoutSpecialElements(original, patch, mergeKey: mergeKey, at: path)
        }
        let (patchItems, serverOnly) = try Self.partition(merged, by: patch, mergeKey: kind == "object" ? mergeKey : nil)
        return try Self.normalizeElementOrder(
            patchItems, serverOnly, patchOrder: patch, serverOrder: original, mergeKey: kind == "object" ? mergeKey : nil)
    }

    /// Handles `$patch` items in a merging list: `delete` removes matching originals, `replace` makes the
    /// rest of the patch the whole list. Returns the updated original and the patch without those items.
    static func applySpecialElements(
        _ originalIn: [JSONValue], _ patch: [JSONValue], mergeKey: String
    ) throws(PatchError) -> ([JSONValue], [JSONValue]) {
        var original = originalIn
        var plain = [JSONValue]()
        var replace = false
        for item in patch {
            let map = item.objectValue ?? [:]
            guard let directive = map[StrategicMergePatch.directiveMarker] else { plain.append(item); continue }
            switch directive.stringValue {
            case "delete":
                guard let keyValue = map[mergeKey] else { throw SMPError.noMergeKey(map, mergeKey) }
                while let index = try indexOfMap(in: original, key: mergeKey, value: keyValue) {
                    original.remove(at: index)
                }
            case "replace":
                replace = true
            case "merge":
                throw SMPError.internalError("merging lists cannot yet be specified in the patch")
            default:
                throw SMPError.badPatchType(directive, map)
            }
        }
        return replace ? (plain, []) : (original, plain)
    }

    func mergeWithoutSpecialElements(
        _ originalIn: [JSONValue], _ patch: [JSONValue], mergeKey: String, at path: [String]
    ) throws(PatchError) -> [JSONValue] {
        var original = originalIn
        for item in patch {
            let map = item.objectValue ?? [:]
            guard let keyValue = map[mergeKey] else { throw SMPError.noMergeKey(map, mergeKey) }
            if let index = try Self.indexOfMap(in: original, key: mergeKey, value: keyValue) {
                original[index] = .object(try mergeMap(original[index].objectValue ?? [:], map, at: path))
            } else {
                original.append(item)
            }
        }
        return original
    }

    /// The first map whose `key` equals `value`; every element must be a map.
    static func indexOfMap(in list: [JSONValue], key: String, value: JSONValue) throws(PatchError) -> Int? {
        for (index, item) in list.enumerated() {
            guard case .object(let map) = item else { throw SMPError.internalError("value for key \(index) is not a map") }
            if let candidate = map[key], candidate.semanticallyEquals(value) { return index }
        }
        return nil
    }

    /// The common element kind of the lists ("object", "string", …); lists of lists and mixed lists fail.
    static func elementKind(_ lists: [JSONValue]...) throws(PatchError) -> String {
        var kind: String?
        for item in lists.joined() {
            if case .array = item { throw SMPError.noListOfLists }
            if let kind, kind != item.typeName {
                let printed = lists.map { JSONValue.array($0).goDescription }.joined(separator: " ")
                throw SMPError.internalError("list element types are not identical: [\(printed)]")
            }
            kind = item.typeName
        }
        guard let kind else { throw SMPError.internalError("no elements in any of the given slices") }
        return kind
    }

    static func deduplicated(_ items: [JSONValue]) -> [JSONValue] {
        var out = [JSONValue]()
        for item in items where !out.contains(where: { $0.semanticallyEquals(item) }) { out.append(item) }
        return out
    }

    /// Splits `list` into items present in `by` (matched by merge key, or by value for primitives) and the rest.
    static func partition(
        _ list: [JSONValue], by: [JSONValue], mergeKey: String?
    ) throws(PatchError) -> (present: [JSONValue], absent: [JSONValue]) {
        var present = [JSONValue](), absent = [JSONValue]()
        for item in list {
            let found: Bool
            if let mergeKey {
                guard case .object(let map) = item else { throw badArg(item) }
                guard let keyValue = map[mergeKey] else { throw SMPError.noMergeKey(map, mergeKey) }
                found = try indexOfMap(in: by, key: mergeKey, value: keyValue) != nil
            } else {
                found = by.contains { $0.semanticallyEquals(item) }
            }
            if found { present.append(item) } else { absent.append(item) }
        }
        return (present, absent)
    }

    static func badArg(_ item: JSONValue) -> PatchError { SMPError.badArgType(expected: "map", item) }
}
