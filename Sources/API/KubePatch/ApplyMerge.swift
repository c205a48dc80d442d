import KubeAPI

/// Merges an applied configuration into the live object as structured-merge-diff's `Merge` does:
/// the configuration wins at every leaf, granular maps merge member by member, keyed and set lists merge
/// item by item (keeping the live order and placing shared items in the configuration's order), atomic
/// fields are replaced whole.
struct ApplyMerge {
    let rules: MergeKeys

    func merge(_ lhs: JSONValue?, _ rhs: JSONValue?, at path: FieldPath, rulePath: [String]) throws(PatchError) -> JSONValue? {
        guard let rhs else { return lhs }
        guard let lhs else { return rhs }
        let topology = rules.rule(rulePath)?.topology
        switch (lhs, rhs) {
        case (.object(var out), .object(let patch)) where topology != .atomic:
            for (name, value) in patch {
                out[name] = try merge(out[name], value, at: path + [.field(name)], rulePath: rulePath + [name])
            }
            return .object(out)
        case (.array(let l), .array(let r)):
            guard let list = ListTopology(topology) else { return rhs }
            return .array(try mergeList(list, l, r, at: path, rulePath: rulePath))
        default:
            return rhs
        }
    }

    /// structured-merge-diff `visitListItems`, step for step.
    func mergeList(_ list: ListTopology, _ l: [JSONValue], _ r: [JSONValue], at path: FieldPath, rulePath: [String]) throws(PatchError) -> [JSONValue] {
        let lhs = try list.index(l, at: path)
        let rhs = try list.index(r, at: path)
        let lhsItems = Dictionary(lhs, uniquingKeysWith: { a, _ in a })
        let rhsItems = Dictionary(rhs, uniquingKeysWith: { a, _ in a })
        var shared = rhs.map(\.0).filter { lhsItems[$0] != nil }[...]
        var nextShared = shared.popFirst()
        var mergedRHS = Set<PathElement>()
        var out = [JSONValue]()
        func emit(_ element: PathElement, _ a: JSONValue?, _ b: JSONValue?) throws(PatchError) {
            if let item = try merge(a, b, at: path + [element], rulePath: rulePath) { out.append(item) }
        }
        var lI = 0, rI = 0
        while lI < lhs.count || rI < rhs.count {
            if lI < lhs.count && rI < rhs.count {
                let element = lhs[lI].0
                if element == rhs[rI].0 {
                    mergedRHS.insert(element)
                    try emit(element, lhsItems[element], rhsItems[element])
                    lI += 1; rI += 1
                    nextShared = shared.popFirst()
                    continue
                }
                if rhsItems[element] != nil, let next = nextShared, next != element {
                    lI += 1
                    continue
                }
            }
            if lI < lhs.count {
                let element = lhs[lI].0
                if rhsItems[element] == nil {
                    try emit(element, lhs[lI].1, nil)
                    lI += 1
                    continue
                } else if mergedRHS.contains(element) {
                    lI += 1
                }
            }
            if rI < rhs.count {
                let element = rhs[rI].0
                mergedRHS.insert(element)
                try emit(element, lhsItems[element], rhsItems[element])
                rI += 1
                if nextShared == element { nextShared = shared.popFirst() }
            }
        }
        return out
    }
}
