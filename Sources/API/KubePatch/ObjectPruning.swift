import KubeAPI

extension JSONValue {
    /// The object without the fields in `set` (list items matched through `rules`). Objects a removal
    /// leaves empty go too, as upstream's typed round trip drops empty `omitempty` maps.
    func removingFields(_ set: FieldSet, rules: MergeKeys) -> JSONValue {
        removing(set, at: [], rulePath: [], rules: rules)
    }

    func removing(_ set: FieldSet, at path: FieldPath, rulePath: [String], rules: MergeKeys) -> JSONValue {
        switch self {
        case .object(var members):
            for (name, member) in members {
                let element = PathElement.field(name)
                if set.members.contains(element) { members[name] = nil; continue }
                guard let child = set.children[element] else { continue }
                let pruned = member.removing(child, at: path + [element], rulePath: rulePath + [name], rules: rules)
                let emptied = pruned.objectValue?.isEmpty == true && member.objectValue?.isEmpty == false
                members[name] = emptied ? nil : pruned
            }
            return .object(members)
        case .array(let items):
            guard let list = ListTopology(rules.rule(rulePath)?.topology) else { return self }
            var out = [JSONValue]()
            for (index, item) in items.enumerated() {
                guard let element = try? list.element(for: item, index: index, at: path) else { out.append(item); continue }
                if set.members.contains(element) { continue }
                guard let child = set.children[element] else { out.append(item); continue }
                out.append(item.removing(child, at: path + [element], rulePath: rulePath, rules: rules))
            }
            return .array(out)
        default:
            return self
        }
    }
}
