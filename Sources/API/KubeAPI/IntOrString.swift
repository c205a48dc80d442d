import Foundation

/// `intstr.IntOrString`: a field that holds either a number or a string, such as a Service's `targetPort`
/// (`8080` or `"http"`) or a rolling update's `maxSurge` (`1` or `"25%"`).
///
/// Decodes from a JSON number or string and encodes back as the same kind.
public enum IntOrString: Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral
{
    case int(Int32)
    case string(String)

    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int32.self) {
            self = .int(i)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an integer or a string")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): String(i)
        case .string(let s): s
        }
    }

    /// The integer, or `nil` for the string form.
    public var intValue: Int32? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// The string, or `nil` for the integer form.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Resolves an absolute number or a percentage of `total`, as upstream's `GetScaledValueFromIntOrPercent`
    /// (`"25%"` of 10 is 3 rounding up, 2 rounding down). Returns `nil` for a string that is not `<int>%`.
    public func scaledValue(total: Int, roundUp: Bool) -> Int? {
        switch self {
        case .int(let i): return Int(i)
        case .string(let s):
            guard s.hasSuffix("%"), let percent = Int(s.dropLast()) else { return nil }
            let product = percent * total
            if roundUp { return Int((Double(product) / 100).rounded(.up)) }
            return product / 100
        }
    }
}
