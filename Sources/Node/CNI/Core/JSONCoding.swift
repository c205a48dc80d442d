import FoundationEssentials

/// The JSON encoder and decoder settings every CNI message uses.
///
/// Keys are sorted so output is deterministic (Go's `encoding/json` sorts map keys too), and slashes
/// stay unescaped so paths such as `CNI_NETNS` read naturally in results and caches.
enum JSONCoding {
    /// Encodes `value` as compact, key-sorted JSON.
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Encodes `value` indented for humans, as plugins print results.
    static func encodePretty(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(value)
    }

    /// Decodes `type` from `data`: parsed to a ``JSONValue`` (``JSONParser``), then decoded from that
    /// (``JSONValueDecoder``), which costs a plugin process far less start-up work than `JSONDecoder`.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONValueDecoder.decode(type, from: parse(data))
    }

    /// The JSON value `data` holds.
    static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { bytes throws(JSONParser.SyntaxError) in try JSONParser.parse(bytes) }
    }
}
