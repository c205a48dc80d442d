import KubeAPI

/// What changed between two versions of an object, in field paths (structured-merge-diff `Comparison`):
/// leaves added, removed or given another value, plus granular maps and list items that appeared or vanished.
struct ObjectComparison {
    var added = FieldSet()
    var modified = FieldSet()
    var removed = FieldSet()

    init(old: JSONValue, new: JSONValue, rules: MergeKeys) throws(PatchError) {
        try compare(old, new, at: [], rulePath: [], rules: rules)
    }

    /// `nil` means absent; JSON `null` is present and, facing a map or list, acts as an empty one.
    mutating func compare(_ lhs: JSONValue?, _ rhs: JSONValue?, at path: FieldPath, rulePath: [String], rules: MergeKeys) throws(PatchError) {
        let topology = rules.rule(rulePath)?.topology
        if topology != .atomic, let l = Self.members(lhs), let r = Self.members(rhs) {
            for name in Set(l.keys).union(r.keys) {
                try compare(l[name], r[name], at: path + [.field(name)], rulePath: rulePath + [name], rules: rules)
            }
        } else if let list = ListTopology(topology), let l = Self.items(lhs), let r = Self.items(rhs) {
            let left = Dictionary(try list.index(l, at: path), uniquingKeysWith: { a, _ in a })
            let right = Dictionary(try list.index(r, at: path), uniquingKeysWith: { a, _ in a })
            for element in Set(left.keys).union(right.keys) {
                try compare(left[element], right[element], at: path + [element], rulePath: rulePath, rules: rules)
            }
        } else {
            if lhs == nil { added.insert(path) }
            else if rhs == nil { removed.insert(path) }
            else if !lhs!.semanticallyEquals(rhs!) { modified.insert(path) }
            return
        }
        if lhs == nil { added.insert(path) } else if rhs == nil { removed.insert(path) }
    }

    /// Object members for a granular walk: absent and `null` count as empty; `nil` for non-objects.
    static func members(_ value: JSONValue?) -> [String: JSONValue]? {
        switch value {
        case nil, .null?: return [:]
        case .object(let members)?: return members
        default: return nil
        }
    }

    static func items(_ value: JSONValue?) -> [JSONValue]? {
        switch value {
        case nil, .null?: return []
        case .array(let items)?: return items
        default: return nil
        }
    }
}
