import KubeAPI

extension StrategicMergePatch {
    /// The strategic merge patch turning `original` into `modified` for `kind`, as upstream's
    /// `CreateTwoWayMergePatch` builds it: changed members, `null` for removed ones, merging lists diffed item
    /// by item (`$patch: delete` items, `$deleteFromPrimitiveList/…`, `$setElementOrder/…`), `$retainKeys`
    /// where the field's strategy asks for it, other lists replaced whole.
    public static func createTwoWayMergePatch(original: JSONValue, modified: JSONValue, kind: String) throws(PatchError) -> JSONValue {
        try createTwoWayMergePatch(original: original, modified: modified, rules: .forKind(kind))
    }

    /// ``createTwoWayMergePatch(original:modified:kind:)`` with explicit merge rules.
    public static func createTwoWayMergePatch(original: JSONValue, modified: JSONValue, rules: MergeKeys) throws(PatchError) -> JSONValue {
        guard case .object(let a) = original, case .object(let b) = modified else {
            throw PatchError(.badRequest, "invalid JSON document")
        }
        return .object(try Differ(rules: rules).diffMaps(a, b, at: [], buildRetainKeys: false))
    }
}

/// Upstream's `diffMaps` family with `DiffOptions{SetElementOrder: true}`.
struct Differ {
    let rules: MergeKeys

    func diffMaps(_ original: [String: JSONValue], _ modified: [String: JSONValue], at path: [String], buildRetainKeys: Bool) throws(PatchError) -> [String: JSONValue] {
        var patch = [String: JSONValue]()
        var retainKeys = [JSONValue]()
        for key in modified.keys.sorted() {
            let new = modified[key]!
            if buildRetainKeys && !new.isNull { retainKeys.append(.string(key)) }
            guard let old = original[key] else { patch[key] = new; continue }
            if key == StrategicMergePatch.directiveMarker {
                guard old.stringValue != nil, new.stringValue != nil else {
                    throw SMPError.internalError("invalid value for special key: \(StrategicMergePatch.directiveMarker)")
                }
                if old != new { patch[key] = new }
                continue
            }
            guard old.kindMatches(new) else { patch[key] = new; continue }
            let rule = rules.rule(path + [key])
            switch (old, new) {
            case (.object(let a), .object(let b)):
                if rule?.patchStrategy == .replace {
                    patch[key] = new  // upstream sends a replace-strategy map whole, changed or not
                } else {
                    let nested = try diffMaps(a, b, at: path + [key], buildRetainKeys: rule?.retainKeys ?? false)
                    if !nested.isEmpty { patch[key] = .object(nested) }
                }
            case (.array(let a), .array(let b)):
                guard case .merge(let mergeKey) = rule?.patchStrategy else {
                    if !old.semanticallyEquals(new) { patch[key] = new }
                    continue
                }
                let diff = try diffLists(a, b, mergeKey: mergeKey, at: path + [key], buildRetainKeys: rule?.retainKeys ?? false)
                if !diff.patch.isEmpty { patch[key] = .array(diff.patch) }
                if !diff.deletions.isEmpty { patch["\(StrategicMergePatch.deleteFromPrimitiveListPrefix)/\(key)"] = .array(diff.deletions) }
                if !diff.order.isEmpty { patch["\(StrategicMergePatch.setElementOrderPrefix)/\(key)"] = .array(diff.order) }
            default:
                if !old.semanticallyEquals(new) { patch[key] = new }
            }
        }
        for key in original.keys where modified[key] == nil { patch[key] = .null }
        let clearsFields = original.contains { !$0.value.isNull && modified[$0.key] == nil }
        if !retainKeys.isEmpty && (!patch.isEmpty || clearsFields) {
            patch[StrategicMergePatch.retainKeysDirective] = .array(Self.sortedScalars(retainKeys))
        }
        return patch
    }

    func diffLists(
        _ original: [JSONValue], _ modified: [JSONValue], mergeKey: String?, at path: [String], buildRetainKeys: Bool
    ) throws(PatchError) -> (patch: [JSONValue], deletions: [JSONValue], order: [JSONValue]) {
        if original.isEmpty { return (modified, [], []) }
        let kind = try Merger.elementKind(original, modified)
        if kind == "object" {
            let key = mergeKey ?? ""
            var (patch, deletions) = try diffListsOfMaps(original, modified, mergeKey: key, at: path, buildRetainKeys: buildRetainKeys)
            patch = try Merger.sortedSlice(patch, by: modified, mergeKey: key)
            var sameOrder = original.count == modified.count
            for (a, b) in zip(original, modified) where sameOrder {
                sameOrder = try Merger.mergeKeyEqual(a, b, mergeKey: key)
            }
            patch += deletions
            let order = patch.isEmpty && sameOrder ? [] : modified.map { JSONValue.object([key: $0.objectValue?[key] ?? .null]) }
            return (patch, [], order)
        }
        let (added, deletions) = Self.diffListsOfScalars(original, modified)
        let patch = try Merger.sortedSlice(added, by: modified, mergeKey: nil)
        // Upstream compares the original after sorting it in place; a reordering alone still emits the order.
        let unchanged = Self.sortedScalars(original) == modified
        return (patch, deletions, deletions.isEmpty && unchanged ? [] : modified)
    }

    /// Items only in `modified` (to add) and only in `original` (to delete), compared by their printed form.
    static func diffListsOfScalars(_ original: [JSONValue], _ modified: [JSONValue]) -> ([JSONValue], [JSONValue]) {
        let a = sortedScalars(original), b = sortedScalars(modified)
        var i = 0, k = 0
        var added = [JSONValue](), deleted = [JSONValue]()
        while i < a.count || k < b.count {
            let left = i < a.count ? a[i].goDescription : nil
            let right = k < b.count ? b[k].goDescription : nil
            if let left, let right, left == right { i += 1; k += 1 }
            else if left == nil || (right != nil && left! > right!) { added.append(b[k]); k += 1 }
            else { deleted.append(a[i]); i += 1 }
        }
        return (added, Merger.deduplicated(deleted))
    }

    func diffListsOfMaps(
        _ original: [JSONValue], _ modified: [JSONValue], mergeKey: String, at path: [String], buildRetainKeys: Bool
    ) throws(PatchError) -> ([JSONValue], [JSONValue]) {
        let a = try Self.sortedByKey(original, mergeKey), b = try Self.sortedByKey(modified, mergeKey)
        var patch = [JSONValue](), deletions = [JSONValue]()
        var i = 0, k = 0
        while i < a.count || k < b.count {
            let left = i < a.count ? a[i].1.goDescription : nil
            let right = k < b.count ? b[k].1.goDescription : nil
            if let left, let right, left == right {
                var nested = try diffMaps(a[i].0, b[k].0, at: path, buildRetainKeys: buildRetainKeys)
                if !nested.isEmpty {
                    nested[mergeKey] = b[k].1
                    patch.append(.object(nested))
                }
                i += 1; k += 1
            } else if left == nil || (right != nil && left! > right!) {
                patch.append(.object(b[k].0)); k += 1
            } else {
                deletions.append([mergeKey: a[i].1, StrategicMergePatch.directiveMarker: "delete"]); i += 1
            }
        }
        return (patch, deletions)
    }

    /// Maps with their merge-key values, sorted by the printed key (upstream's `sortMergeListsByNameArray`).
    static func sortedByKey(_ list: [JSONValue], _ mergeKey: String) throws(PatchError) -> [([String: JSONValue], JSONValue)] {
        var out = [([String: JSONValue], JSONValue)]()
        for item in list {
            guard case .object(let map) = item else { throw Merger.badArg(item) }
            guard let value = map[mergeKey] else { throw SMPError.noMergeKey(map, mergeKey) }
            out.append((map, value))
        }
        return out.sorted { $0.1.goDescription < $1.1.goDescription }
    }

    static func sortedScalars(_ items: [JSONValue]) -> [JSONValue] {
        items.sorted { $0.goDescription < $1.goDescription }
    }
}
