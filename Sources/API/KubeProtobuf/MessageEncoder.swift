import Foundation
import KubeAPI

/// Turns the JSON form of an object into its protobuf message, driven by the schema tables.
///
/// Fields are written in field-number order and map entries in key order, as Go's marshaller writes them;
/// `null` members are left out; a member the schema does not know is an error (the tables must be complete
/// for what is encoded).
enum MessageEncoder {
    static func encode(_ object: [String: JSONValue], as schema: MessageSchema, path: String) throws -> [UInt8] {
        var writer = WireWriter()
        var claimed = Set<String>()
        try encodeFields(object, schema, path: path, into: &writer, claimed: &claimed)
        if let extra = object.keys.filter({ !claimed.contains($0) }).sorted().first {
            throw ProtobufError(.invalidValue, "unknown field \"\(extra)\" for \(schema.name)", path: path)
        }
        return writer.bytes
    }

    /// Writes the fields of `schema` found in `object`, noting which members it used (an inline message's
    /// members live in the same object).
    private static func encodeFields(
        _ object: [String: JSONValue], _ schema: MessageSchema, path: String,
        into writer: inout WireWriter, claimed: inout Set<String>
    ) throws {
        for field in schema.fields {
            if field.options.contains(.inline), case .message(let name) = field.type {
                var inline = WireWriter()
                try encodeFields(object, Schemas.message(name), path: path, into: &inline, claimed: &claimed)
                writer.writeBytesField(field.number, inline.bytes)
                continue
            }
            guard let value = object[field.name] else { continue }
            claimed.insert(field.name)
            if value == .null { continue }
            let fieldPath = MessageDecoder.join(path, field.name)
            if field.options.contains(.repeated) {
                guard case .array(let items) = value else { throw mismatch("array", value, fieldPath) }
                for (index, item) in items.enumerated() {
                    try write(field.type, item, number: field.number, path: "\(fieldPath)[\(index)]", into: &writer)
                }
            } else {
                try write(field.type, value, number: field.number, path: fieldPath, into: &writer)
            }
        }
    }

    private static func write(
        _ type: FieldType, _ value: JSONValue, number: Int, path: String, into writer: inout WireWriter
    ) throws {
        switch type {
        case .string:
            writer.writeStringField(number, try string(value, path))
        case .bytes:
            guard let data = Data(base64Encoded: try string(value, path)) else {
                throw ProtobufError(.invalidValue, "illegal base64 data", path: path)
            }
            writer.writeBytesField(number, data)
        case .bool:
            guard case .bool(let flag) = value else { throw mismatch("boolean", value, path) }
            writer.writeVarintField(number, flag ? 1 : 0)
        case .int32:
            guard let int = value.intValue, let int32 = Int32(exactly: int) else { throw mismatch("int32", value, path) }
            writer.writeVarintField(number, Int64(int32))
        case .int64:
            guard let int = value.intValue else { throw mismatch("integer", value, path) }
            writer.writeVarintField(number, int)
        case .quantity:
            var quantity = WireWriter()
            quantity.writeStringField(1, try string(value, path))
            writer.writeBytesField(number, quantity.bytes)
        case .intOrString:
            var intOrString = WireWriter()
            switch value {
            case .string(let text):
                intOrString.writeVarintField(1, 1)
                intOrString.writeVarintField(2, 0)
                intOrString.writeStringField(3, text)
            default:
                guard let int = value.intValue, let int32 = Int32(exactly: int) else {
                    throw mismatch("int32 or string", value, path)
                }
                intOrString.writeVarintField(1, 0)
                intOrString.writeVarintField(2, Int64(int32))
                intOrString.writeStringField(3, "")
            }
            writer.writeBytesField(number, intOrString.bytes)
        case .time, .microTime:
            guard let date = RFC3339.parse(try string(value, path)) else {
                throw ProtobufError(.invalidValue, "cannot parse \(value.jsonString) as RFC 3339", path: path)
            }
            let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
            let seconds = (micros / 1_000_000).rounded(.down)
            var timestamp = WireWriter()
            timestamp.writeVarintField(1, Int64(seconds))
            timestamp.writeVarintField(2, Int64(micros - seconds * 1_000_000) * 1000)
            writer.writeBytesField(number, timestamp.bytes)
        case .rawJSON:
            var raw = WireWriter()
            raw.writeBytesField(1, value.serialized())
            writer.writeBytesField(number, raw.bytes)
        case .stringList:
            guard case .array(let items) = value else { throw mismatch("array", value, path) }
            var list = WireWriter()
            for (index, item) in items.enumerated() { list.writeStringField(1, try string(item, "\(path)[\(index)]")) }
            writer.writeBytesField(number, list.bytes)
        case .message(let name):
            guard case .object(let members) = value else { throw mismatch("object", value, path) }
            writer.writeBytesField(number, try encode(members, as: Schemas.message(name), path: path))
        case .map(let valueType):
            guard case .object(let members) = value else { throw mismatch("object", value, path) }
            for key in members.keys.sorted() {
                var entry = WireWriter()
                entry.writeStringField(1, key)
                try write(valueType, members[key]!, number: 2, path: "\(path)[\(key)]", into: &entry)
                writer.writeBytesField(number, entry.bytes)
            }
        }
    }

    private static func string(_ value: JSONValue, _ path: String) throws -> String {
        guard case .string(let text) = value else { throw mismatch("string", value, path) }
        return text
    }

    private static func mismatch(_ expected: String, _ value: JSONValue, _ path: String) -> ProtobufError {
        ProtobufError(.invalidValue, "expected \(expected), got \(value.typeName)", path: path)
    }
}
