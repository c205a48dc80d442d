/// The keyed container of a ``RecordingDecoder``: `decode` records a required field and returns a placeholder,
/// `decodeIfPresent` records an optional one and returns `nil`.
///
/// Every overload is spelled out so that none falls back to the standard library's `decodeIfPresent`
/// defaults, which go through `contains` and `decodeNil` to `decode` and would demand a value where `nil`
/// is the right answer (and the only finite one for a recursive type).
struct RecordingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    let record: ObjectRecord
    let codingPath: [any CodingKey]

    /// No data, so no keys: a type that enumerates its keys records none.
    var allKeys: [Key] { [] }

    /// Every key is present, so that the decoding asks for it; a probed key is optional.
    func contains(_ key: Key) -> Bool {
        record.markProbed(key: key.stringValue)
        return true
    }

    /// Never null, so the decoding asks for the value; a key checked for null is optional.
    func decodeNil(forKey key: Key) throws -> Bool {
        record.markProbed(key: key.stringValue)
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try required(type, key) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try optional(type, key) }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try required(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try required(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try required(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try required(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try required(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try required(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try required(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try required(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try required(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try required(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try required(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try required(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try required(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try required(type, key) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw RecordingDecoder.unsupported("a nested keyed container", at: codingPath + [key])
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw RecordingDecoder.unsupported("a nested unkeyed container", at: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder {
        throw RecordingDecoder.unsupported("superDecoder()", at: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        throw RecordingDecoder.unsupported("superDecoder(forKey:)", at: codingPath + [key])
    }

    private func required<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        let (schema, value) = try recorder.requiredValue(of: type, codingPath: codingPath + [key])
        record.record(key: key.stringValue, schema: schema, required: true)
        return value
    }

    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        let schema = try recorder.schema(of: type, codingPath: codingPath + [key])
        record.record(key: key.stringValue, schema: schema, required: false)
        return nil
    }
}
