/// Any JSON value, kept as parsed so configuration keys a plugin does not model survive a round trip.
///
/// CNI configurations are open-ended: a chained plugin must receive every key the runtime wrote, and
/// libcni injects `prevResult`, `runtimeConfig` and friends by editing the raw object. Keeping the
/// object as a `[String: JSONValue]` next to the typed view makes that lossless.
///
///     let config = try NetworkConfig(json: Data(#"{"name":"n","mtu":1450}"#.utf8))
///     config.raw["mtu"]   // .integer(1450)
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Tries the kinds in the order configurations use them (strings, booleans, objects, arrays, then
    /// numbers): every kind tried before the right one is a decoding error built and thrown away.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else {
            self = .double(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The string payload, if this is a string.
    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }
}
