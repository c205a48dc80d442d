import FoundationEssentials

/// An `Encoder` that builds a ``JSONValue``: what ``JSONCoding/encode(_:)`` encodes CNI messages with, for the same
/// reason ``JSONValueDecoder`` decodes them (no run-time conformance questions per type, which cost a plugin process
/// a scan of every conformance record each). ``JSONValue/serialized(pretty:)`` writes the text.
///
/// Encodes as `JSONEncoder` does with its default strategies: `Data` as base64, nil optionals left out by
/// `encodeIfPresent`, a value that encodes nothing as `{}`; non-finite numbers are an `EncodingError`.
struct JSONValueEncoder: Encoder {
    /// What a container writes into: filled while encoding, read once when the value is done.
    fileprivate final class Node {
        enum Content {
            case empty
            case value(JSONValue)
            case object([String: Node])
            case array([Node])
        }

        var content = Content.empty

        var value: JSONValue {
            switch content {
            case .empty: .object([:])
            case .value(let value): value
            case .object(let members): .object(members.mapValues(\.value))
            case .array(let elements): .array(elements.map(\.value))
            }
        }
    }

    fileprivate let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    fileprivate init(node: Node, codingPath: [any CodingKey]) {
        self.node = node
        self.codingPath = codingPath
    }

    /// `value` as a ``JSONValue``.
    static func encode(_ value: some Encodable) throws -> JSONValue {
        let node = Node()
        try encode(value, into: node, codingPath: [])
        return node.value
    }

    fileprivate static func encode<T: Encodable>(_ value: T, into node: Node, codingPath: [any CodingKey]) throws {
        // Metatype comparisons, not `as?` casts: a cast may ask the run time about conformances.
        if T.self == JSONValue.self {
            node.content = .value(value as! JSONValue)
        } else if T.self == Data.self {
            node.content = .value(.string((value as! Data).base64EncodedString()))
        } else {
            try value.encode(to: JSONValueEncoder(node: node, codingPath: codingPath))
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(KeyedContainer(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValue(node: node, codingPath: codingPath) }

    fileprivate static func number(_ value: Double, _ codingPath: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        return .double(value)
    }

    /// A `Float` as `JSONEncoder` writes it: its own shortest digits (0.1, not 0.10000000149011612).
    fileprivate static func number(_ value: Float, _ codingPath: [any CodingKey]) throws -> JSONValue {
        try number(Double(value.description) ?? Double(value), codingPath)
    }

    fileprivate static func integer(_ value: some FixedWidthInteger, _ codingPath: [any CodingKey]) throws -> JSONValue {
        guard let integer = Int64(exactly: value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) does not fit in a 64-bit signed integer."))
        }
        return .integer(integer)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONValueEncoder.Node
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, _ key: Key) {
        child(key).content = .value(value)
    }

    /// The node under `key`, created empty when new (a nested container or encoder writes into it).
    private func child(_ key: Key) -> JSONValueEncoder.Node {
        guard case .object(var members) = node.content else { preconditionFailure("keyed container over a non-object") }
        if let existing = members[key.stringValue] { return existing }
        let created = JSONValueEncoder.Node()
        members[key.stringValue] = created
        node.content = .object(members)
        return created
    }

    func encodeNil(forKey key: Key) throws { set(.null, key) }
    func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    func encode(_ value: Double, forKey key: Key) throws { set(try JSONValueEncoder.number(value, codingPath + [key]), key) }
    func encode(_ value: Float, forKey key: Key) throws { set(try JSONValueEncoder.number(value, codingPath + [key]), key) }
    func encode(_ value: Int, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: Int8, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: Int16, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: Int32, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: Int64, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: UInt, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: UInt8, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: UInt16, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: UInt32, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }
    func encode(_ value: UInt64, forKey key: Key) throws { set(try JSONValueEncoder.integer(value, codingPath + [key]), key) }

    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try JSONValueEncoder.encode(value, into: child(key), codingPath: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        JSONValueEncoder(node: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        JSONValueEncoder(node: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    func superEncoder(forKey key: Key) -> any Encoder { JSONValueEncoder(node: child(key), codingPath: codingPath + [key]) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: JSONValueEncoder.Node
    let codingPath: [any CodingKey]

    var count: Int {
        guard case .array(let elements) = node.content else { return 0 }
        return elements.count
    }

    /// A new last element, with the path it is encoded at.
    private func append() -> (JSONValueEncoder.Node, [any CodingKey]) {
        guard case .array(var elements) = node.content else { preconditionFailure("unkeyed container over a non-array") }
        let created = JSONValueEncoder.Node()
        let path = codingPath + [JSONPositionKey(index: elements.count)]
        elements.append(created)
        node.content = .array(elements)
        return (created, path)
    }

    private func append(_ value: (_ path: [any CodingKey]) throws -> JSONValue) throws {
        let (element, path) = append()
        element.content = .value(try value(path))
    }

    func encodeNil() throws { try append { _ in .null } }
    func encode(_ value: Bool) throws { try append { _ in .bool(value) } }
    func encode(_ value: String) throws { try append { _ in .string(value) } }
    func encode(_ value: Double) throws { try append { try JSONValueEncoder.number(value, $0) } }
    func encode(_ value: Float) throws { try append { try JSONValueEncoder.number(value, $0) } }
    func encode(_ value: Int) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: Int8) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: Int16) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: Int32) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: Int64) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: UInt) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: UInt8) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: UInt16) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: UInt32) throws { try append { try JSONValueEncoder.integer(value, $0) } }
    func encode(_ value: UInt64) throws { try append { try JSONValueEncoder.integer(value, $0) } }

    func encode<T: Encodable>(_ value: T) throws {
        let (element, path) = append()
        try JSONValueEncoder.encode(value, into: element, codingPath: path)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (element, path) = append()
        return JSONValueEncoder(node: element, codingPath: path).container(keyedBy: keyType)
    }

    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (element, path) = append()
        return JSONValueEncoder(node: element, codingPath: path).unkeyedContainer()
    }

    func superEncoder() -> any Encoder {
        let (element, path) = append()
        return JSONValueEncoder(node: element, codingPath: path)
    }
}

private struct SingleValue: SingleValueEncodingContainer {
    let node: JSONValueEncoder.Node
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue) { node.content = .value(value) }

    func encodeNil() throws { set(.null) }
    func encode(_ value: Bool) throws { set(.bool(value)) }
    func encode(_ value: String) throws { set(.string(value)) }
    func encode(_ value: Double) throws { set(try JSONValueEncoder.number(value, codingPath)) }
    func encode(_ value: Float) throws { set(try JSONValueEncoder.number(value, codingPath)) }
    func encode(_ value: Int) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: Int8) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: Int16) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: Int32) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: Int64) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: UInt) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: UInt8) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: UInt16) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: UInt32) throws { set(try JSONValueEncoder.integer(value, codingPath)) }
    func encode(_ value: UInt64) throws { set(try JSONValueEncoder.integer(value, codingPath)) }

    func encode<T: Encodable>(_ value: T) throws {
        try JSONValueEncoder.encode(value, into: node, codingPath: codingPath)
    }
}

extension JSONValue {
    /// The JSON text, as `JSONEncoder` writes it with `.sortedKeys` and `.withoutEscapingSlashes` (and
    /// `.prettyPrinted` when `pretty`): keys in byte order, two-space indents and `" : "` when pretty, integral
    /// doubles without `.0`, control characters escaped, everything else (slashes, non-ASCII) as is.
    func serialized(pretty: Bool) -> [UInt8] {
        var output: [UInt8] = []
        write(to: &output, pretty: pretty, indent: 0)
        return output
    }

    private func write(to output: inout [UInt8], pretty: Bool, indent: Int) {
        switch self {
        case .null: output += Array("null".utf8)
        case .bool(let flag): output += Array((flag ? "true" : "false").utf8)
        case .integer(let number): output += Array(String(number).utf8)
        case .double(let number):
            var text = number.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            output += Array(text.utf8)
        case .string(let text): Self.writeString(text, to: &output)
        case .array(let elements):
            Self.writeContainer(open: UInt8(ascii: "["), close: UInt8(ascii: "]"), count: elements.count, to: &output,
                                pretty: pretty, indent: indent) { index, output in
                elements[index].write(to: &output, pretty: pretty, indent: indent + 1)
            }
        case .object(let members):
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            Self.writeContainer(open: UInt8(ascii: "{"), close: UInt8(ascii: "}"), count: keys.count, to: &output,
                                pretty: pretty, indent: indent) { index, output in
                Self.writeString(keys[index], to: &output)
                output += pretty ? Array(" : ".utf8) : [UInt8(ascii: ":")]
                members[keys[index]]!.write(to: &output, pretty: pretty, indent: indent + 1)
            }
        }
    }

    private static func writeContainer(open: UInt8, close: UInt8, count: Int, to output: inout [UInt8], pretty: Bool, indent: Int,
                                       element: (Int, inout [UInt8]) -> Void) {
        output.append(open)
        guard pretty else {
            for index in 0..<count {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element(index, &output)
            }
            output.append(close)
            return
        }
        output.append(UInt8(ascii: "\n"))
        // JSONEncoder leaves an empty line in an empty container.
        if count == 0 { output.append(UInt8(ascii: "\n")) }
        for index in 0..<count {
            output += [UInt8](repeating: UInt8(ascii: " "), count: 2 * (indent + 1))
            element(index, &output)
            if index < count - 1 { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\n"))
        }
        output += [UInt8](repeating: UInt8(ascii: " "), count: 2 * indent)
        output.append(close)
    }

    private static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: output += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: output += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
