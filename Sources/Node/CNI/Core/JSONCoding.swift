import FoundationEssentials

/// How every CNI message is written and read: through ``JSONValue`` (``JSONValueEncoder``/``JSONParser``/
/// ``JSONValueDecoder``) rather than Foundation's `JSONEncoder`/`JSONDecoder`, whose run-time conformance questions
/// were most of a plugin process's start-up work.
///
/// Keys are sorted so output is deterministic (Go's `encoding/json` sorts map keys too), and slashes
/// stay unescaped so paths such as `CNI_NETNS` read naturally in results and caches; the text is byte for byte what
/// `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes.
enum JSONCoding {
    /// Encodes `value` as compact, key-sorted JSON.
    static func encode(_ value: some Encodable) throws -> Data {
        Data(try JSONValueEncoder.encode(value).serialized(pretty: false))
    }

    /// Encodes `value` indented for humans, as plugins print results.
    static func encodePretty(_ value: some Encodable) throws -> Data {
        Data(try JSONValueEncoder.encode(value).serialized(pretty: true))
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
