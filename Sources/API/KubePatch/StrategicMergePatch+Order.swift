import KubeAPI

/// `$setElementOrder/<field>` and the ordering rules every merged list goes through
/// (design: kubernetes design-proposals-archive `cli/preserve-order-in-strategic-merge-patch.md`).
extension Merger {
    /// Processes each `$setElementOrder/<field>` with its list: merges the list, then orders it by the
    /// directive. Both keys leave `patch`, so the main merge loop skips them.
    func mergeOrderedLists(_ original: inout [String: JSONValue], _ patch: inout [String: JSONValue], at path: [String]) throws(PatchError) {
        for key in patch.keys.sorted() where key.hasPrefix(StrategicMergePatch.setElementOrderPrefix) {
            let directive = patch.removeValue(forKey: key)!
            guard case .array(let order) = directive else { throw SMPError.badArgType(expected: "slice", directive) }
            let field = try SMPError.extractKey(key, StrategicMergePatch.setElementOrderPrefix)
            let originalList: [JSONValue]?
            let patchList: [JSONValue]?
            switch original[field] {
            case nil: originalList = nil
            case .array(let items)?: originalList = items
            case let other?: throw SMPError.badArgType(expected: "slice", other)
            }
            switch patch[field] {
            case nil: patchList = nil
            case .array(let items)?: patchList = items
            case let other?: throw SMPError.badArgType(expected: "slice", other)
            }
            let fieldPath = path + [field]
            let strategy = rules.rule(fieldPath)?.patchStrategy
            let mergeKey: String? = if case .merge(let key) = strategy { key } else { nil }
            try Self.validate(patchList ?? [], against: order, mergeKey: mergeKey)

            let merged: [JSONValue]
            switch (originalList, patchList) {
            case (let current?, nil): merged = current
            case (nil, let added?): merged = added.compactMap(Self.removeDirectives)
            case (let current?, let added?):
                if case .merge = strategy {
                    merged = try mergeSlice(current, added, mergeKey: mergeKey, isDeleteList: false, at: fieldPath)
                } else {
                    merged = added
                }
            case (nil, nil): continue
            }
            let (patchItems, serverOnly) = try Self.partition(merged, by: order, mergeKey: mergeKey)
            let kind = try Self.elementKind(originalList ?? [], patchList ?? [])
            original[field] = .array(try Self.normalizeElementOrder(
                patchItems, serverOnly, patchOrder: order, serverOrder: originalList ?? [],
                mergeKey: kind == "object" ? mergeKey : nil))
            patch[field] = nil
        }
    }

    /// The patch list's items (deletions aside) must appear in the directive's relative order.
    static func validate(_ patchList: [JSONValue], against order: [JSONValue], mergeKey: String?) throws(PatchError) {
        guard !order.isEmpty, !patchList.isEmpty else { return }
        var items = patchList
        if mergeKey != nil {
            items = []
            for item in patchList {
                guard case .object(let map) = item else { throw badArg(item) }
                if map[StrategicMergePatch.directiveMarker]?.stringValue != "delete" { items.append(item) }
            }
        }
        var p = 0, o = 0
        while p < items.count, o < order.count {
            if items[p].objectValue?[StrategicMergePatch.directiveMarker] != nil { p += 1; continue }
            if try mergeKeyEqual(items[p], order[o], mergeKey: mergeKey) { p += 1 }
            o += 1
        }
        if p < items.count && o >= order.count {
            throw SMPError.internalError(
                "The order in patch list:\n\(JSONValue.array(patchList).goDescription)\n doesn't match "
                    + "\(StrategicMergePatch.setElementOrderPrefix) list:\n\(JSONValue.array(order).goDescription)\n")
        }
    }

    static func mergeKeyEqual(_ a: JSONValue, _ b: JSONValue, mergeKey: String?) throws(PatchError) -> Bool {
        guard let mergeKey else { return a.semanticallyEquals(b) }
        guard case .object(let left) = a else { throw badArg(a) }
        guard case .object(let right) = b else { throw badArg(b) }
        guard let l = left[mergeKey] else { throw SMPError.noMergeKey(left, mergeKey) }
        guard let r = right[mergeKey] else { throw SMPError.noMergeKey(right, mergeKey) }
        return l.semanticallyEquals(r)
    }

    /// Sorts patch items by `patchOrder` and server-only items by `serverOrder`, then interleaves them:
    /// a server-only item goes before a patch item only when both are in the live list and it came first.
    static func normalizeElementOrder(
        _ patchItems: [JSONValue], _ serverOnly: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue],
        mergeKey: String?
    ) throws(PatchError) -> [JSONValue] {
        let right = try sortedSlice(patchItems, by: patchOrder, mergeKey: mergeKey)
        let left = try sortedSlice(serverOnly, by: serverOrder, mergeKey: mergeKey)
        var out = [JSONValue]()
        out.reserveCapacity(left.count + right.count)
        var i = 0, j = 0
        while i < left.count || j < right.count {
            if i >= left.count { out.append(right[j]); j += 1; continue }
            if j >= right.count { out.append(left[i]); i += 1; continue }
            let li = position(of: left[i], in: serverOrder, mergeKey: mergeKey)
            let ri = position(of: right[j], in: serverOrder, mergeKey: mergeKey)
            if let li, let ri, li < ri { out.append(left[i]); i += 1 } else { out.append(right[j]); j += 1 }
        }
        return out
    }

    /// Upstream's `normalizeSliceOrder`: `$patch: delete` items last, the rest stably sorted by `order`
    /// with Go's insertion sort and comparator (an item missing from `order` counts as "less").
    static func sortedSlice(_ items: [JSONValue], by order: [JSONValue], mergeKey: String?) throws(PatchError) -> [JSONValue] {
        var toSort = items
        var toDelete = [JSONValue]()
        if let mergeKey {
            for item in items + order {
                guard case .object(let map) = item else { throw badArg(item) }
                if map[mergeKey] == nil { throw SMPError.noMergeKey(map, mergeKey) }
            }
            toSort = items.filter { $0.objectValue?[StrategicMergePatch.directiveMarker]?.stringValue != "delete" }
            toDelete = items.filter { $0.objectValue?[StrategicMergePatch.directiveMarker]?.stringValue == "delete" }
        }
        func less(_ a: JSONValue, _ b: JSONValue) -> Bool {
            guard let ia = position(of: a, in: order, mergeKey: mergeKey),
                  let ib = position(of: b, in: order, mergeKey: mergeKey) else { return true }
            return ia < ib
        }
        if toSort.count > 1 {
            for i in 1..<toSort.count {
                var j = i
                while j > 0 && less(toSort[j], toSort[j - 1]) { toSort.swapAt(j, j - 1); j -= 1 }
            }
        }
        return toSort + toDelete
    }

    /// Index of `item` in `list`, comparing merge-key values for maps and whole values otherwise.
    static func position(of item: JSONValue, in list: [JSONValue], mergeKey: String?) -> Int? {
        guard let mergeKey else { return list.firstIndex { $0.semanticallyEquals(item) } }
        let wanted = item.objectValue?[mergeKey] ?? .null
        return list.firstIndex { ($0.objectValue?[mergeKey] ?? .null).semanticallyEquals(wanted) }
    }
}
