import KubeAPI

/// A set of field paths stored as a tree, as structured-merge-diff's `fieldpath.Set`: at each node,
/// `members` are paths that end here and `children` continue deeper. A path can be both (a list item that
/// is owned itself and has owned fields), which `FieldsV1` writes as a `".": {}` entry.
public struct FieldSet: Sendable, Hashable {
    public private(set) var members: Set<PathElement> = []
    public private(set) var children: [PathElement: FieldSet] = [:]

    public init() {}

    /// A set holding `paths`.
    public init(_ paths: [FieldPath]) {
        for path in paths { insert(path) }
    }

    public var isEmpty: Bool { members.isEmpty && children.isEmpty }

    public mutating func insert(_ path: FieldPath) {
        insert(path[...])
    }

    mutating func insert(_ path: ArraySlice<PathElement>) {
        guard let first = path.first else { return }
        if path.count == 1 { members.insert(first); return }
        children[first, default: FieldSet()].insert(path.dropFirst())
    }

    public func contains(_ path: FieldPath) -> Bool { contains(path[...]) }

    func contains(_ path: ArraySlice<PathElement>) -> Bool {
        guard let first = path.first else { return false }
        if path.count == 1 { return members.contains(first) }
        return children[first]?.contains(path.dropFirst()) ?? false
    }

    /// Whether `path` or any path below it is in the set.
    public func containsPrefix(_ path: FieldPath) -> Bool {
        var node = self
        for (i, element) in path.enumerated() {
            if i == path.count - 1, node.members.contains(element) { return true }
            guard let next = node.children[element] else { return false }
            node = next
        }
        return true
    }

    public func union(_ other: FieldSet) -> FieldSet {
        var out = self
        out.members.formUnion(other.members)
        for (element, child) in other.children {
            out.children[element] = out.children[element].map { $0.union(child) } ?? child
        }
        return out
    }

    public func subtracting(_ other: FieldSet) -> FieldSet {
        var out = self
        out.members.subtract(other.members)
        for (element, child) in other.children {
            guard let mine = out.children[element] else { continue }
            let rest = mine.subtracting(child)
            out.children[element] = rest.isEmpty ? nil : rest
        }
        return out
    }

    public func intersection(_ other: FieldSet) -> FieldSet {
        var out = FieldSet()
        out.members = members.intersection(other.members)
        for (element, child) in children {
            guard let theirs = other.children[element] else { continue }
            let both = child.intersection(theirs)
            if !both.isEmpty { out.children[element] = both }
        }
        return out
    }

    /// Every path, in upstream's iteration order: this node's members, then each child's subtree.
    public var paths: [FieldPath] {
        var out = [FieldPath]()
        collect(prefix: [], into: &out)
        return out
    }

    func collect(prefix: FieldPath, into out: inout [FieldPath]) {
        for element in members.sorted() { out.append(prefix + [element]) }
        for element in children.keys.sorted() { children[element]!.collect(prefix: prefix + [element], into: &out) }
    }
}

extension FieldSet {
    /// The `FieldsV1` encoding (`{"f:metadata":{"f:labels":{"f:app":{}}}}`), as in `managedFields[].fieldsV1`.
    public var fieldsV1: JSONValue { .object(encodedMembers()) }

    func encodedMembers() -> [String: JSONValue] {
        var out = [String: JSONValue]()
        for element in members { out[element.fieldsV1Key] = [:] }
        for (element, child) in children {
            var nested = child.encodedMembers()
            if members.contains(element) { nested["."] = [:] }
            out[element.fieldsV1Key] = .object(nested)
        }
        return out
    }

    /// Decodes `FieldsV1`; unknown key prefixes are dropped, as upstream does.
    public init(fieldsV1: JSONValue) throws(PatchError) {
        guard case .object(let members) = fieldsV1 else {
            throw PatchError(.badRequest, "FieldsV1 must be a JSON object, not \(fieldsV1.typeName)")
        }
        self.init()
        for (key, value) in members where key != "." {
            guard let element = try PathElement(fieldsV1Key: key) else { continue }
            guard case .object(let nested) = value, !nested.isEmpty else {
                self.members.insert(element)
                continue
            }
            if nested["."] != nil { self.members.insert(element) }
            let child = try FieldSet(fieldsV1: value)
            if !child.isEmpty { children[element] = child }
        }
    }
}

extension FieldSet {
    /// This set without any path equal to or below a member of `prefixes` (upstream's `RecursiveDifference`).
    public func excludingSubtrees(of prefixes: FieldSet) -> FieldSet {
        var out = FieldSet()
        out.members = members.subtracting(prefixes.members)
        for (element, child) in children where !prefixes.members.contains(element) {
            let rest = prefixes.children[element].map { child.excludingSubtrees(of: $0) } ?? child
            if !rest.isEmpty { out.children[element] = rest }
        }
        return out
    }
}
