import KubeAPI

/// The object or array a JSON-patch operation addresses, with evanphx/json-patch v4's per-container rules
/// and error texts (negative array indices count from the end; objects never fail a `get`).
extension JSONValue {
    /// Runs `body` on the container at `parents` (the pointer's tokens but the last), writing changes back.
    /// Returns `nil` when a parent is missing, null, a scalar or an out-of-range index ("doc is missing path").
    mutating func withPatchContainer<R>(
        _ parents: ArraySlice<String>, _ body: (inout JSONValue) throws(PatchError) -> R
    ) throws(PatchError) -> R? {
        guard let first = parents.first else {
            switch self {
            case .object, .array: return try body(&self)
            default: return nil
            }
        }
        switch self {
        case .object(var members):
            guard var child = members[first], !child.isNull else { return nil }
            members[first] = nil
            defer { members[first] = child; self = .object(members) }
            return try child.withPatchContainer(parents.dropFirst(), body)
        case .array(var items):
            guard let index = try? JSONValue.patchIndex(first, count: items.count),
                  !items[index].isNull else { return nil }
            var child = items[index]
            defer { items[index] = child; self = .array(items) }
            return try child.withPatchContainer(parents.dropFirst(), body)
        default:
            return nil
        }
    }

    /// The member or element `key`; `nil` for a missing object member (objects never fail here).
    func patchGet(_ key: String) throws(PatchError) -> JSONValue? {
        switch self {
        case .object(let members): return members[key]
        case .array(let items): return items[try JSONValue.patchIndex(key, count: items.count)]
        default: return nil
        }
    }

    /// Sets member `key`, or overwrites an existing element (the `replace` operation).
    mutating func patchSet(_ key: String, _ value: JSONValue) throws(PatchError) {
        switch self {
        case .object(var members): members[key] = value; self = .object(members)
        case .array(var items):
            items[try JSONValue.patchIndex(key, count: items.count)] = value
            self = .array(items)
        default: break
        }
    }

    /// Sets member `key`, or inserts before element `key` (`-` appends).
    mutating func patchAdd(_ key: String, _ value: JSONValue) throws(PatchError) {
        switch self {
        case .object(var members): members[key] = value; self = .object(members)
        case .array(var items):
            if key == "-" { items.append(value); self = .array(items); return }
            guard let raw = Int(key) else {
                throw PatchError(.invalid, "value was not a proper array index: '\(key)': \(JSONValue.atoiError(key))")
            }
            let index = try JSONValue.patchIndex(key, count: items.count + 1, parsed: raw)
            items.insert(value, at: index)
            self = .array(items)
        default: break
        }
    }

    /// Removes member or element `key`.
    mutating func patchRemove(_ key: String) throws(PatchError) {
        switch self {
        case .object(var members):
            guard members.removeValue(forKey: key) != nil else {
                throw PatchError(.invalid, "Unable to remove nonexistent key: \(key): missing value")
            }
            self = .object(members)
        case .array(var items):
            items.remove(at: try JSONValue.patchIndex(key, count: items.count))
            self = .array(items)
        default: break
        }
    }

    /// Resolves an array index the way json-patch v4 does (negative indices count back from `count`).
    static func patchIndex(_ key: String, count: Int, parsed: Int? = nil) throws(PatchError) -> Int {
        guard let raw = parsed ?? Int(key) else { throw PatchError(.invalid, atoiError(key)) }
        let invalid = PatchError(.invalid, "Unable to access invalid index: \(raw): invalid index referenced")
        var index = raw
        if index < 0 {
            guard index >= -count else { throw invalid }
            index += count
        }
        guard index < count else { throw invalid }
        return index
    }

    /// Go's `strconv.Atoi` error text.
    static func atoiError(_ key: String) -> String {
        let digits = key.drop { $0 == "+" || $0 == "-" }
        let outOfRange = !digits.isEmpty && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
        return "strconv.Atoi: parsing \"\(key)\": \(outOfRange ? "value out of range" : "invalid syntax")"
    }
}
