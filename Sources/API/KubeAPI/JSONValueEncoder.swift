import Foundation

/// Encodes a value straight into a `JSONValue`, giving exactly what encoding it with `JSONEncoder` (default
/// strategies) and parsing the text back with `JSONValue(parsing:)` gives, without the text in between: numbers are
/// classified from the text `JSONEncoder` would write (`1.0` is written `1`, so it becomes `.int(1)`), `Data` is
/// base64, `URL` its absolute string, `Date` its seconds since the reference date.
///
/// The API server turns every written object into a `JSONValue` for managedFields and unknown-field checks; writing
/// JSON text and parsing it again was a large part of a write's cost.
struct JSONValueEncoder {
    func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let encoder = JSONValueEncoding(codingPath: [])
        try encoder.encodeValue(value)
        guard let partial = encoder.partial else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
        }
        return partial.value
    }

    /// The JSON value of a number as `JSONEncoder` writes it and `JSONValue(parsing:)` reads it back.
    static func number(text: String) -> JSONValue {
        var isInteger = true
        for c in text.utf8 where !(c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) && c != UInt8(ascii: "-") {
            isInteger = false
            break
        }
        if isInteger, let i = Int64(text) { return .int(i) }
        return .double(Double(text) ?? .nan)
    }

    /// `JSONEncoder`'s text of a floating-point value: its description without a trailing `.0`.
    static func number<F: FloatingPoint & LosslessStringConvertible>(_ value: F, codingPath: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: codingPath, debugDescription: "Unable to encode \(F.self).\(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return number(text: text)
    }

    /// A `JSONValue` as encoding it with `JSONEncoder` and parsing it back gives it (doubles re-classified).
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let d): (try? number(d, codingPath: [])) ?? value
        case .array(let items): .array(items.map(normalized))
        case .object(let members): .object(members.mapValues(normalized))
        default: value
        }
    }
}

/// A value under construction: objects and arrays are shared references so that containers handed out earlier keep
/// writing into them, as `JSONEncoder`'s do.
private enum PartialValue {
    case value(JSONValue)
    case object(ObjectBox)
    case array(ArrayBox)

    var value: JSONValue {
        switch self {
        case .value(let v): v
        case .object(let box): .object(box.members.mapValues(\.value))
        case .array(let box): .array(box.items.map(\.value))
        }
    }
}

private final class ObjectBox {
    var members: [String: PartialValue] = [:]
}

private final class ArrayBox {
    var items: [PartialValue] = []
}

private final class JSONValueEncoding: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var partial: PartialValue?

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    func encodeValue<T: Encodable>(_ value: T) throws {
        partial = try Self.box(value, codingPath: codingPath)
    }

    /// The node of one value: scalars and the types `JSONEncoder` special-cases directly, anything else through its
    /// own `encode(to:)`.
    static func box<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> PartialValue {
        // Metatype comparisons, not a chain of dynamic casts: most values are structs that fail every cast.
        let type = T.self
        if type == String.self { return .value(.string(unsafeBitCast(value, to: String.self))) }
        if type == Bool.self { return .value(.bool(unsafeBitCast(value, to: Bool.self))) }
        if type == Int.self { return .value(.int(Int64(unsafeBitCast(value, to: Int.self)))) }
        if type == Int64.self { return .value(.int(unsafeBitCast(value, to: Int64.self))) }
        if type == Int32.self { return .value(.int(Int64(unsafeBitCast(value, to: Int32.self)))) }
        if type == Double.self { return .value(try JSONValueEncoder.number(unsafeBitCast(value, to: Double.self), codingPath: codingPath)) }
        if type == JSONValue.self { return .value(JSONValueEncoder.normalized(value as! JSONValue)) }
        if type == Float.self { return .value(try JSONValueEncoder.number(unsafeBitCast(value, to: Float.self), codingPath: codingPath)) }
        if type == Data.self { return .value(.string((value as! Data).base64EncodedString())) }
        if type == URL.self { return .value(.string((value as! URL).absoluteString)) }
        if type == Decimal.self { return .value(JSONValueEncoder.number(text: (value as! Decimal).description)) }
        if type == UInt.self || type == UInt64.self || type == UInt32.self || type == UInt16.self || type == UInt8.self
            || type == Int16.self || type == Int8.self {
            return .value(JSONValueEncoder.number(text: "\(value)"))
        }
        let encoder = JSONValueEncoding(codingPath: codingPath)
        try value.encode(to: encoder)
        guard let partial = encoder.partial else { return .object(ObjectBox()) }
        return partial
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: ObjectBox
        if case .object(let existing) = partial {
            box = existing
        } else {
            box = ObjectBox()
            partial = .object(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing) = partial {
            box = existing
        } else {
            box = ArrayBox()
            partial = .array(box)
        }
        return UnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String
    init(_ index: Int) { intValue = index; stringValue = "Index \(index)" }
    init?(intValue: Int) { self.init(intValue) }
    init?(stringValue: String) { return nil }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { box.members[key.stringValue] = .value(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.members[key.stringValue] = try JSONValueEncoding.box(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested: ObjectBox
        if case .object(let existing) = box.members[key.stringValue] {
            nested = existing
        } else {
            nested = ObjectBox()
            box.members[key.stringValue] = .object(nested)
        }
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested: ArrayBox
        if case .array(let existing) = box.members[key.stringValue] {
            nested = existing
        } else {
            nested = ArrayBox()
            box.members[key.stringValue] = .array(nested)
        }
        return UnkeyedContainer(box: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        SuperEncoder(codingPath: codingPath, store: { [box] node in box.members["super"] = node })
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        SuperEncoder(codingPath: codingPath + [key], store: { [box] node in box.members[key.stringValue] = node })
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: ArrayBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }

    mutating func encodeNil() throws { box.items.append(.value(.null)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        box.items.append(try JSONValueEncoding.box(value, codingPath: codingPath + [IndexKey(box.items.count)]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        let path = codingPath + [IndexKey(box.items.count)]
        box.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        let path = codingPath + [IndexKey(box.items.count)]
        box.items.append(.array(nested))
        return UnkeyedContainer(box: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let index = box.items.count
        box.items.append(.value(.object([:])))
        return SuperEncoder(codingPath: codingPath + [IndexKey(index)], store: { [box] node in box.items[index] = node })
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: JSONValueEncoding
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.partial = .value(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.partial = try JSONValueEncoding.box(value, codingPath: codingPath)
    }
}

/// The encoder of `superEncoder()`: its value lands in the parent when it is released, as `JSONEncoder`'s does.
private final class SuperEncoder: Encoder {
    let inner: JSONValueEncoding
    let store: (PartialValue) -> Void
    var codingPath: [any CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(codingPath: [any CodingKey], store: @escaping (PartialValue) -> Void) {
        inner = JSONValueEncoding(codingPath: codingPath)
        self.store = store
    }

    deinit { store(inner.partial ?? .object(ObjectBox())) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { inner.unkeyedContainer() }
    func singleValueContainer() -> any SingleValueEncodingContainer { inner.singleValueContainer() }
}
