import KubeAPI

/// Object surgery the field manager needs: detaching and attaching `managedFields`, typed-object normalisation.
extension JSONValue {
    var withoutManagedFields: JSONValue {
        var copy = self
        if var metadata = copy["metadata"], metadata["managedFields"] != nil {
            metadata["managedFields"] = nil
            copy["metadata"] = metadata
        }
        return copy
    }

    /// The object without its top-level member `name` (itself when it has none or is no object).
    func removingMember(_ name: String) -> JSONValue {
        guard case .object(var members) = self, members.removeValue(forKey: name) != nil else { return self }
        return .object(members)
    }

    func withManagedFields(_ managers: FieldManager.Managers) -> JSONValue {
        let entries = managers.values.filter { !$0.fields.isEmpty }.sorted(by: ManagerEntry.ordered)
        var copy = self
        var metadata = copy["metadata"] ?? [:]
        metadata["managedFields"] = entries.isEmpty ? nil : .array(entries.map(\.json))
        copy["metadata"] = metadata
        return copy
    }

    /// Object members set to `null` removed at every depth, as decoding into a typed object does.
    var droppingNullMembers: JSONValue {
        switch self {
        case .object(let members): .object(members.filter { !$0.value.isNull }.mapValues(\.droppingNullMembers))
        case .array(let items): .array(items.map(\.droppingNullMembers))
        default: self
        }
    }

    /// The object with the fields a typed object always carries filled in as zero, for comparisons.
    var withZeroValues: JSONValue {
        var copy = self
        for (path, zero) in MergeKeys.zeroValues {
            guard path.count == 1 || copy[path: Array(path.dropLast())]?.objectValue != nil else { continue }
            if copy[path: path] == nil { copy.set(path[...], to: zero) }
        }
        return copy
    }

    mutating func set(_ path: ArraySlice<String>, to value: JSONValue) {
        guard let first = path.first, case .object(var members) = self else { return }
        if path.count == 1 { members[first] = value } else {
            var child = members[first] ?? [:]
            child.set(path.dropFirst(), to: value)
            members[first] = child
        }
        self = .object(members)
    }
}
