import Foundation
import KubeAPI

/// Turns protobuf messages into their JSON form, driven by the schema tables.
///
/// Follows what upstream's Go decoder followed by its JSON encoder would print: a singular message field that
/// appears twice is merged, a scalar's last occurrence wins, zero scalars without `keepsZero` are dropped, and a
/// field number the schema does not know is skipped and remembered in `unknownFields` (as `path.#number`).
/// A class, used for one body: the recursive reads share the one list of unknown fields.
final class MessageDecoder {
    let bytes: [UInt8]
    /// Paths of skipped fields with unknown numbers, such as `spec.template.spec.containers[0].#99`.
    private(set) var unknownFields: [String] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Decodes the message in `region` as `schema`, adding its members to `object`.
    func decode(
        _ schema: MessageSchema, region: Range<Int>, path: String, into object: inout [String: JSONValue]
    ) throws {
        var reader = WireReader(bytes: bytes, region: region, path: path)
        while !reader.isAtEnd {
            let tagOffset = reader.offset
            let (number, wireType) = try reader.readTag()
            guard let field = schema.field(number: number) else {
                unknownFields.append(Self.join(path, "#\(number)"))
                try reader.skip(wireType)
                continue
            }
            try decode(field, wireType: wireType, tagOffset: tagOffset, reader: &reader, into: &object)
        }
    }

    private func decode(
        _ field: Field, wireType: WireType, tagOffset: Int, reader: inout WireReader,
        into object: inout [String: JSONValue]
    ) throws {
        let path = Self.join(reader.path, field.name)
        if field.options.contains(.inline), case .message(let name) = field.type {
            try Self.expect(.lengthDelimited, got: wireType, field: field, reader: reader, at: tagOffset)
            try decode(Schemas.message(name), region: try reader.readLengthDelimited(), path: reader.path, into: &object)
            return
        }
        if field.options.contains(.repeated) {
            var items = object[field.name]?.arrayValue ?? []
            if wireType == .lengthDelimited, field.type.wireType == .varint {
                // A packed run of varints (proto3 style; Kubernetes' proto2 messages never pack, but it is legal).
                var packed = WireReader(bytes: bytes, region: try reader.readLengthDelimited(), path: path)
                while !packed.isAtEnd { items.append(Self.scalar(field.type, try packed.readVarint())) }
            } else {
                try Self.expect(field.type.wireType, got: wireType, field: field, reader: reader, at: tagOffset)
                if let item = try value(field.type, reader: &reader, path: "\(path)[\(items.count)]", existing: nil) {
                    items.append(item)
                }
            }
            object[field.name] = .array(items)
            return
        }
        try Self.expect(field.type.wireType, got: wireType, field: field, reader: reader, at: tagOffset)
        let value = try value(field.type, reader: &reader, path: path, existing: object[field.name])
        if let value, field.options.contains(.keepsZero) || !value.isGoZero {
            object[field.name] = value
        } else {
            object.removeValue(forKey: field.name)
        }
    }

    /// Reads one value of `type` (the wire type already checked), merged into `existing` for messages and
    /// maps; `nil` for a zero `Time` or empty raw JSON, which Go prints as `null`.
    private func value(
        _ type: FieldType, reader: inout WireReader, path: String, existing: JSONValue?
    ) throws -> JSONValue? {
        switch type {
        case .bool, .int32, .int64:
            return Self.scalar(type, try reader.readVarint())
        case .string:
            return .string(String(decoding: bytes[try reader.readLengthDelimited()], as: UTF8.self))
        case .bytes:
            return .string(Data(bytes[try reader.readLengthDelimited()]).base64EncodedString())
        case .stringList:
            var items: [JSONValue] = []
            try readFields(try reader.readLengthDelimited(), path: path, known: [1: .lengthDelimited]) { _, sub in
                items.append(.string(String(decoding: bytes[try sub.readLengthDelimited()], as: UTF8.self)))
            }
            return .array(items)
        case .message(let name):
            var members = existing?.objectValue ?? [:]
            try decode(Schemas.message(name), region: try reader.readLengthDelimited(), path: path, into: &members)
            return .object(members)
        case .map(let valueType):
            // Each entry is one occurrence of the field; it joins the entries read so far.
            var map = existing?.objectValue ?? [:]
            let (key, value) = try mapEntry(valueType, region: try reader.readLengthDelimited(), path: path)
            map[key] = value
            return .object(map)
        case .quantity:
            var text = ""
            try readFields(try reader.readLengthDelimited(), path: path, known: [1: .lengthDelimited]) { _, sub in
                text = String(decoding: bytes[try sub.readLengthDelimited()], as: UTF8.self)
            }
            // Go's zero Quantity prints as "0".
            return .string(text.isEmpty ? "0" : text)
        case .intOrString:
            var isString = false
            var intValue: Int64 = 0
            var stringValue = ""
            try readFields(try reader.readLengthDelimited(), path: path, known: [1: .varint, 2: .varint, 3: .lengthDelimited]) { number, sub in
                switch number {
                case 1: isString = try sub.readVarint() == 1
                case 2: intValue = Int64(Int32(truncatingIfNeeded: try sub.readVarint()))
                default: stringValue = String(decoding: bytes[try sub.readLengthDelimited()], as: UTF8.self)
                }
            }
            return isString ? .string(stringValue) : .int(intValue)
        case .time, .microTime:
            let region = try reader.readLengthDelimited()
            // Go marshals the zero time as an empty message.
            guard !region.isEmpty else { return nil }
            var seconds: Int64 = 0
            var nanos: Int64 = 0
            try readFields(region, path: path, known: [1: .varint, 2: .varint]) { number, sub in
                let raw = try sub.readVarint()
                if number == 1 { seconds = Int64(bitPattern: raw) } else { nanos = Int64(Int32(truncatingIfNeeded: raw)) }
            }
            if case .time = type {
                return .string(RFC3339.format(Date(timeIntervalSince1970: Double(seconds)), fractionalDigits: 0))
            }
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(nanos / 1000) / 1_000_000)
            return .string(RFC3339.format(date, fractionalDigits: 6))
        case .rawJSON:
            var raw = 0..<0
            try readFields(try reader.readLengthDelimited(), path: path, known: [1: .lengthDelimited]) { _, sub in
                raw = try sub.readLengthDelimited()
            }
            guard !raw.isEmpty else { return nil }
            do {
                return try JSONValue(parsing: Data(bytes[raw]))
            } catch {
                throw ProtobufError(.invalidValue, "embedded JSON does not parse: \(error)", path: path, offset: raw.lowerBound)
            }
        }
    }

    /// Reads a map entry `{key = 1, value = 2}`; a missing value is the value type's zero.
    private func mapEntry(
        _ valueType: FieldType, region: Range<Int>, path: String
    ) throws -> (String, JSONValue) {
        var key = ""
        var value: JSONValue?
        try readFields(region, path: path, known: [1: .lengthDelimited, 2: valueType.wireType]) { number, sub in
            if number == 1 {
                key = String(decoding: bytes[try sub.readLengthDelimited()], as: UTF8.self)
            } else {
                value = try self.value(valueType, reader: &sub, path: path, existing: nil)
            }
        }
        if let value { return (key, value) }
        if case .quantity = valueType { return (key, .string("0")) }
        return (key, .string(""))
    }

    /// Reads a small fixed message (`Quantity`, `Time`, a map entry), checking each known field's wire type and
    /// handing it to `read`; unknown numbers are skipped and recorded.
    private func readFields(
        _ region: Range<Int>, path: String, known: [Int: WireType],
        _ read: (Int, inout WireReader) throws -> Void
    ) throws {
        var reader = WireReader(bytes: bytes, region: region, path: path)
        while !reader.isAtEnd {
            let tagOffset = reader.offset
            let (number, wireType) = try reader.readTag()
            guard let expected = known[number] else {
                unknownFields.append(Self.join(path, "#\(number)"))
                try reader.skip(wireType)
                continue
            }
            guard wireType == expected else {
                throw reader.error("unexpected wire type \(wireType.rawValue) for field \(number)", at: tagOffset)
            }
            try read(number, &reader)
        }
    }

    private static func expect(
        _ expected: WireType, got wireType: WireType, field: Field, reader: WireReader, at tagOffset: Int
    ) throws {
        guard wireType == expected else {
            throw reader.error("unexpected wire type \(wireType.rawValue) for field \(field.number)", at: tagOffset)
        }
    }

    private static func scalar(_ type: FieldType, _ raw: UInt64) -> JSONValue {
        switch type {
        case .bool: .bool(raw != 0)
        case .int32: .int(Int64(Int32(truncatingIfNeeded: raw)))
        default: .int(Int64(bitPattern: raw))
        }
    }

    static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }
}

extension FieldType {
    /// The wire type a single value of this type is written with.
    var wireType: WireType {
        switch self {
        case .bool, .int32, .int64: .varint
        default: .lengthDelimited
        }
    }
}

extension JSONValue {
    /// Whether Go's `omitempty` would leave this scalar out: `""`, `0` or `false`.
    var isGoZero: Bool {
        switch self {
        case .string(let s): s.isEmpty
        case .int(let i): i == 0
        case .bool(let b): !b
        default: false
        }
    }
}
