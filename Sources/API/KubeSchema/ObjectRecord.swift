import KubeAPI

/// What one `init(from:)` asked its decoder for: the keys in order, each with the schema of the requested type
/// and how it was requested.
final class ObjectRecord {
    /// One key of a keyed container.
    struct Field {
        var key: String
        /// `nil` while the key has only been probed, not decoded.
        var schema: JSONValue?
        /// Asked for with `decode` rather than `decodeIfPresent`.
        var decodedAsRequired: Bool
        /// Probed with `contains` or `decodeNil`, so the type copes with its absence.
        var probed: Bool
    }

    private(set) var fields: [Field] = []
    /// The schema of the value asked for through a single-value container, if the type used one.
    var singleValue: JSONValue?

    func record(key: String, schema: JSONValue, required: Bool) {
        let i = index(of: key)
        fields[i].schema = schema
        fields[i].decodedAsRequired = fields[i].decodedAsRequired || required
    }

    func markProbed(key: String) {
        fields[index(of: key)].probed = true
    }

    private func index(of key: String) -> Int {
        if let i = fields.firstIndex(where: { $0.key == key }) { return i }
        fields.append(Field(key: key, schema: nil, decodedAsRequired: false, probed: false))
        return fields.count - 1
    }
}
