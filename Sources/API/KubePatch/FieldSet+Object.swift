import KubeAPI

extension FieldSet {
    /// The fields an object (typically an applied configuration) sets, as structured-merge-diff's
    /// `ToFieldSet` computes them: every scalar, `null` and empty object; atomic lists and maps as one field;
    /// every item of a keyed or set list (as a member, plus its own fields).
    public init(of object: JSONValue, rules: MergeKeys) throws(PatchError) {
        self.init()
        try collect(object, at: [], rulePath: [], rules: rules)
    }

    mutating func collect(_ value: JSONValue, at path: FieldPath, rulePath: [String], rules: MergeKeys) throws(PatchError) {
        let topology = rules.rule(rulePath)?.topology
        switch value {
        case .object(let members):
            if topology == .atomic { insert(path); return }
            for (name, member) in members {
                let childPath = path + [.field(name)]
                try collect(member, at: childPath, rulePath: rulePath + [name], rules: rules)
                if member.isNull || member.objectValue?.isEmpty == true { insert(childPath) }
            }
        case .array(let items):
            guard let list = ListTopology(topology) else { insert(path); return }
            for (index, item) in items.enumerated() {
                let itemPath = path + [try list.element(for: item, index: index, at: path)]
                insert(itemPath)
                try collect(item, at: itemPath, rulePath: rulePath, rules: rules)
            }
        default:
            // A set item's own path was inserted by its list; inserting again is harmless.
            insert(path)
        }
    }
}

/// How a granular (non-atomic) list identifies its items.
enum ListTopology {
    case keyed(keys: [String], defaults: [String: JSONValue])
    case set

    init?(_ topology: FieldRule.Topology?) {
        switch topology {
        case .map(let keys, let defaults)?: self = .keyed(keys: keys, defaults: defaults)
        case .set?: self = .set
        default: return nil
        }
    }

    /// The path element of `item`, with structured-merge-diff's errors for items that cannot be identified.
    func element(for item: JSONValue, index: Int, at path: FieldPath) throws(PatchError) -> PathElement {
        let location = "\(path.pathString): element \(index)"
        switch self {
        case .keyed(let keys, let defaults):
            if item.isNull { throw PatchError(.invalid, "\(location): associative list with keys may not have a null element") }
            guard case .object(let members) = item else {
                throw PatchError(.invalid, "\(location): associative list with keys may not have non-map elements")
            }
            let fields = keys.compactMap { key in
                (members[key] ?? defaults[key]).map { PathElement.KeyField(name: key, value: $0) }
            }
            guard !fields.isEmpty else {
                let quoted = keys.map { "\"\($0)\"" }.joined(separator: " ")
                throw PatchError(.invalid, "\(location): associative list with keys has an element that omits all key fields "
                    + "[\(quoted)] (and doesn't have default values for any key fields)")
            }
            return .key(fields.sorted { $0.name < $1.name })
        case .set:
            switch item {
            case .object: throw PatchError(.invalid, "\(location): associative list without keys has an element that's a map type")
            case .array: throw PatchError(.invalid, "\(location): associative list without keys has an element that's a list type")
            default: return .value(item)
            }
        }
    }

    /// Items of `list` by element, in order; later duplicates are dropped.
    func index(_ list: [JSONValue], at path: FieldPath) throws(PatchError) -> [(PathElement, JSONValue)] {
        var seen = Set<PathElement>()
        var out = [(PathElement, JSONValue)]()
        for (i, item) in list.enumerated() {
            let element = try element(for: item, index: i, at: path)
            if seen.insert(element).inserted { out.append((element, item)) }
        }
        return out
    }
}
