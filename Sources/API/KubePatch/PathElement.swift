import KubeAPI

/// One step of a field path in structured-merge-diff's model: a struct or map member, a keyed list item,
/// a set item, or a list index. `FieldsV1` spells them `f:name`, `k:{"name":"app"}`, `v:"foo"`, `i:0`.
public enum PathElement: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// A member of an object.
    case field(String)
    /// An item of a keyed list, by its key fields (sorted by name).
    case key([KeyField])
    /// An item of a set-like list of primitives.
    case value(JSONValue)
    /// An item of a list addressed by position.
    case index(Int)

    /// One key field of a keyed list item.
    public struct KeyField: Sendable, Hashable {
        public var name: String
        public var value: JSONValue
        public init(name: String, value: JSONValue) { self.name = name; self.value = value }
    }

    /// The element as a `FieldsV1` object key.
    public var fieldsV1Key: String {
        switch self {
        case .field(let name): return "f:" + name
        case .key(let fields):
            // Fields are sorted, and JSONValue prints object members sorted, so this matches upstream.
            let object = JSONValue.object(Dictionary(fields.map { ($0.name, $0.value) }) { a, _ in a })
            return "k:" + object.jsonString
        case .value(let value): return "v:" + value.jsonString
        case .index(let index): return "i:" + String(index)
        }
    }

    /// Parses a `FieldsV1` object key; `nil` for an unknown prefix (upstream skips those).
    public init?(fieldsV1Key key: String) throws(PatchError) {
        guard key.count >= 2 else { throw PatchError(.badRequest, "key must be 2 characters long: \(key)") }
        let body = String(key.dropFirst(2))
        let prefix = key.prefix(2)
        switch prefix {
        case "f:": self = .field(body)
        case "v:": self = .value(try Self.parse(body, key))
        case "k:":
            guard case .object(let members) = try Self.parse(body, key) else {
                throw PatchError(.badRequest, "parsing key as path element: \(key)")
            }
            self = .key(members.map { KeyField(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name })
        case "i:":
            guard let index = Int(body) else { throw PatchError(.badRequest, JSONValue.atoiError(body)) }
            self = .index(index)
        default:
            guard prefix.last == ":" else { throw PatchError(.badRequest, "missing colon: \(key)") }
            return nil
        }
    }

    static func parse(_ text: String, _ key: String) throws(PatchError) -> JSONValue {
        do { return try JSONValue(parsing: text) } catch {
            throw PatchError(.badRequest, "parsing key as path element: \(key): \(error)")
        }
    }

    /// Upstream's human form, used in conflict messages: `.spec`, `[name="app"]`, `[="foo"]`, `[0]`.
    public var description: String {
        switch self {
        case .field(let name): return "." + name
        case .key(let fields): return "[" + fields.map { "\($0.name)=\($0.value.jsonString)" }.joined(separator: ",") + "]"
        case .value(let value): return "[=\(value.jsonString)]"
        case .index(let index): return "[\(index)]"
        }
    }

    /// Upstream's order: fields, then keys, then values, then indices.
    public static func < (lhs: PathElement, rhs: PathElement) -> Bool {
        switch (lhs, rhs) {
        case (.field(let a), .field(let b)): return a < b
        case (.index(let a), .index(let b)): return a < b
        default:
            if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
            return lhs.fieldsV1Key < rhs.fieldsV1Key
        }
    }

    var rank: Int {
        switch self {
        case .field: 0
        case .key: 1
        case .value: 2
        case .index: 3
        }
    }
}

/// A path from the object root, e.g. `.spec.containers[name="app"].image`.
public typealias FieldPath = [PathElement]

extension Array where Element == PathElement {
    /// Upstream's human form of the path.
    public var pathString: String { map(\.description).joined() }
}
