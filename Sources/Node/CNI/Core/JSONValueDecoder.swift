import FoundationEssentials

/// A `Decoder` over a parsed ``JSONValue``: what ``JSONCoding/decode(_:from:)`` decodes CNI messages with.
///
/// Unlike `JSONDecoder` it asks no type at run time whether it conforms to a marker protocol (`JSONDecoder` does for
/// every type it decodes, and the first such question about a type scans all conformance records), and a
/// ``JSONValue`` or an object of them is handed over as parsed, and `Data` is base64 as `JSONDecoder` has it. The errors are `DecodingError`s with the coding path,
/// as `JSONDecoder`'s are. Integers must be integral and fit the type (as Go's `encoding/json` requires).
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Decodes `type` from `value`.
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, codingPath: [any CodingKey] = []) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        if T.self == [String: JSONValue].self, case .object(let members) = value { return members as! T }
        if T.self == Data.self { return try base64(value, codingPath) as! T }
        return try T(from: JSONValueDecoder(value: value, codingPath: codingPath))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw Self.mismatch([String: JSONValue].self, "an object", found: value, codingPath)
        }
        return KeyedDecodingContainer(KeyedContainer(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw Self.mismatch([JSONValue].self, "an array", found: value, codingPath)
        }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(value: value, codingPath: codingPath) }

    static func mismatch(_ type: Any.Type, _ expected: String, found value: JSONValue, _ codingPath: [any CodingKey]) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected \(expected) but found \(value.kindName) instead."))
    }

    /// `Data` as Go marshals `[]byte` and `JSONDecoder` expects it by default: a base64 string.
    private static func base64(_ value: JSONValue, _ codingPath: [any CodingKey]) throws -> Data {
        guard let data = Data(base64Encoded: try string(value, codingPath)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Encountered Data is not valid Base64."))
        }
        return data
    }

    /// The primitives every container decodes the same way.
    fileprivate static func string(_ value: JSONValue, _ codingPath: [any CodingKey]) throws -> String {
        guard case .string(let text) = value else { throw nullOrMismatch(String.self, "a string", value, codingPath) }
        return text
    }

    fileprivate static func bool(_ value: JSONValue, _ codingPath: [any CodingKey]) throws -> Bool {
        guard case .bool(let flag) = value else { throw nullOrMismatch(Bool.self, "a boolean", value, codingPath) }
        return flag
    }

    fileprivate static func integer<I: FixedWidthInteger>(_ type: I.Type, _ value: JSONValue, _ codingPath: [any CodingKey]) throws -> I {
        switch value {
        case .integer(let number):
            guard let fitting = I(exactly: number) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Number \(number) does not fit in \(I.self)."))
            }
            return fitting
        case .double(let number):
            guard let fitting = I(exactly: number) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "Number \(number) is not an integer that fits in \(I.self)."))
            }
            return fitting
        default:
            throw nullOrMismatch(I.self, "a number", value, codingPath)
        }
    }

    fileprivate static func floatingPoint<F: BinaryFloatingPoint>(_ type: F.Type, _ value: JSONValue, _ codingPath: [any CodingKey]) throws -> F {
        switch value {
        case .integer(let number): return F(number)
        case .double(let number): return F(number)
        default: throw nullOrMismatch(F.self, "a number", value, codingPath)
        }
    }

    private static func nullOrMismatch(_ type: Any.Type, _ expected: String, _ value: JSONValue, _ codingPath: [any CodingKey]) -> DecodingError {
        guard case .null = value else { return mismatch(type, expected, found: value, codingPath) }
        return .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "Expected \(expected) but found null instead."))
    }
}

extension JSONValue {
    /// The JSON kind, for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// The coding key of a position in an array (`Index 3`, as the standard library's coders name it) or of `super`,
/// for ``JSONValueDecoder``'s and ``JSONValueEncoder``'s coding paths.
struct JSONPositionKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(index: Int) { stringValue = "Index \(index)"; intValue = index }
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { self.init(index: intValue) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value for key \"\(key.stringValue)\"."))
        }
        return value
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard case .null = try member(key) else { return false }
        return true
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try JSONValueDecoder.bool(member(key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try JSONValueDecoder.string(member(key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try JSONValueDecoder.floatingPoint(type, member(key), path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try JSONValueDecoder.floatingPoint(type, member(key), path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try JSONValueDecoder.integer(type, member(key), path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try JSONValueDecoder.integer(type, member(key), path(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try JSONValueDecoder.decode(type, from: member(key), codingPath: path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoder(value: member(key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoder(value: member(key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoder(value: members["super"] ?? .null, codingPath: codingPath + [JSONPositionKey(stringValue: "super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoder(value: members[key.stringValue] ?? .null, codingPath: path(key))
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The next element and its path, advancing past it.
    private mutating func next(_ type: Any.Type) throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [JSONPositionKey(index: currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "Unkeyed container is at end."))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = elements[currentIndex] else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { let (value, path) = try next(type); return try JSONValueDecoder.bool(value, path) }
    mutating func decode(_ type: String.Type) throws -> String { let (value, path) = try next(type); return try JSONValueDecoder.string(value, path) }
    mutating func decode(_ type: Double.Type) throws -> Double { let (value, path) = try next(type); return try JSONValueDecoder.floatingPoint(type, value, path) }
    mutating func decode(_ type: Float.Type) throws -> Float { let (value, path) = try next(type); return try JSONValueDecoder.floatingPoint(type, value, path) }
    mutating func decode(_ type: Int.Type) throws -> Int { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let (value, path) = try next(type); return try JSONValueDecoder.integer(type, value, path) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next(type)
        return try JSONValueDecoder.decode(type, from: value, codingPath: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next([String: JSONValue].self)
        return try JSONValueDecoder(value: value, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next([JSONValue].self)
        return try JSONValueDecoder(value: value, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next(JSONValue.self)
        return JSONValueDecoder(value: value, codingPath: path)
    }
}

private struct SingleValue: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        guard case .null = value else { return false }
        return true
    }

    func decode(_ type: Bool.Type) throws -> Bool { try JSONValueDecoder.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try JSONValueDecoder.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try JSONValueDecoder.floatingPoint(type, value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try JSONValueDecoder.floatingPoint(type, value, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try JSONValueDecoder.integer(type, value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try JSONValueDecoder.integer(type, value, codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONValueDecoder.decode(type, from: value, codingPath: codingPath)
    }
}
