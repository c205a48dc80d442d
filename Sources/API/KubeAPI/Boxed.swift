/// An optional field stored out of line: one pointer wide whether set or not.
///
/// Swift stores an optional struct inline at its full size even when it is `nil`: with its three `Probe?`,
/// `Lifecycle?` and `SecurityContext?` inline a `Container` took 1,395 bytes in every cached pod, 251 with them
/// boxed. `@Boxed public var livenessProbe: Probe?` keeps the property's name, type and memberwise `init`, and
/// stores a set value in a heap box shared by copies: the box is immutable, so a change through any copy
/// replaces that copy's box and value semantics hold. Only for fields that most objects leave unset: a set field
/// costs a heap allocation.
///
/// Coding is the optional's own: the `KeyedEncodingContainer`/`KeyedDecodingContainer` overloads below make
/// synthesized `Codable` write `nil` as an absent key and read an absent or `null` key as `nil`, as it does for
/// a plain optional property, so the JSON (and the protobuf and schemas derived from it) does not change.
@propertyWrapper
public struct Boxed<Value: Codable & Sendable & Hashable>: Sendable, Hashable {
    private final class Box: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box?

    public init(wrappedValue: Value?) {
        box = wrappedValue.map(Box.init)
    }

    public var wrappedValue: Value? {
        get { box?.value }
        set { box = newValue.map(Box.init) }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.box === rhs.box || lhs.box?.value == rhs.box?.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(box?.value)
    }
}

extension Boxed: Codable {
    /// Only reached when a `Boxed` is coded outside a keyed container; keyed fields go through the overloads below.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(wrappedValue: container.decodeNil() ? nil : try container.decode(Value.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = wrappedValue { try container.encode(value) } else { try container.encodeNil() }
    }
}

extension KeyedEncodingContainer {
    /// A `@Boxed` field is encoded as its optional would be: absent when `nil`.
    public mutating func encode<Value>(_ field: Boxed<Value>, forKey key: Key) throws {
        try encodeIfPresent(field.wrappedValue, forKey: key)
    }
}

extension KeyedDecodingContainer {
    /// A `@Boxed` field is decoded as its optional would be: `nil` when absent or `null`.
    public func decode<Value>(_ type: Boxed<Value>.Type, forKey key: Key) throws -> Boxed<Value> {
        Boxed(wrappedValue: try decodeIfPresent(Value.self, forKey: key))
    }
}
