/// A `Decoder` with no data: it answers every request of an `init(from:)` with a placeholder and notes what was
/// asked for in an ``ObjectRecord``, which is how a type's schema is derived from its own decoding code.
///
/// Keyed containers record each key with the requested type and whether it came through `decode` (required)
/// or `decodeIfPresent` (optional, answered with `nil`). A single-value container records the one value's
/// type. Unkeyed and nested containers are not modelled; types that need them conform to ``SchemaDescribed``.
struct RecordingDecoder: Decoder {
    let recorder: SchemaRecorder
    let record: ObjectRecord
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(RecordingKeyedContainer<Key>(recorder: recorder, record: record, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw RecordingDecoder.unsupported("an unkeyed container", at: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        RecordingSingleValueContainer(recorder: recorder, record: record, codingPath: codingPath)
    }

    static func unsupported(_ feature: String, at codingPath: [any CodingKey]) -> SchemaError {
        SchemaError(code: .unsupportedDecoding,
                    message: "the schema recorder cannot follow \(feature); describe the type with SchemaDescribed",
                    path: SchemaRecorder.dotted(codingPath))
    }
}

/// The single-value container of a ``RecordingDecoder``: the type's schema is that of the one value it reads.
struct RecordingSingleValueContainer: SingleValueDecodingContainer {
    let recorder: SchemaRecorder
    let record: ObjectRecord
    let codingPath: [any CodingKey]

    /// Never null, so the decoding goes on to ask for the value's type.
    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try recorder.requiredValue(of: type, codingPath: codingPath)
        record.singleValue = schema
        return value
    }
}
