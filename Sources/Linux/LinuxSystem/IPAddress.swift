#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 address, held as a host-order integer.
///
///     let gateway = try IPv4Address(parsing: "10.0.0.1")
///     gateway.bytes   // [10, 0, 0, 1]
public struct IPv4Address: Sendable, Hashable, Comparable, LosslessStringConvertible, Codable {
    /// The address as a number: `10.0.0.1` is `0x0A00_0001`.
    public let value: UInt32

    public init(value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// The address from its four network-order bytes; `nil` unless there are exactly four.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses dotted-decimal text such as `10.0.0.1` (exactly four decimal octets, no leading zeros).
    public init(parsing text: String) throws(AddressParseError) {
        func failure(_ reason: String) -> AddressParseError {
            AddressParseError(input: text, expected: "an IPv4 address", reason: reason)
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw failure("expected 4 dot-separated octets, found \(parts.count)") }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw failure("\"\(part)\" is not a decimal octet")
            }
            guard part.count == 1 || part.first != "0" else { throw failure("octet \"\(part)\" has a leading zero") }
            guard let octet = UInt32(part), octet <= 255 else { throw failure("octet \(part) is larger than 255") }
            value = value << 8 | octet
        }
        self.value = value
    }

    public init?(_ description: String) { try? self.init(parsing: description) }

    /// The four network-order bytes.
    public var bytes: [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws { try self.init(parsing: decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv6 address, held as a 128-bit integer; printed in RFC 5952 form (`fd00::1`).
public struct IPv6Address: Sendable, Hashable, Comparable, LosslessStringConvertible, Codable {
    /// The address as a number, first byte most significant.
    public let value: UInt128

    public init(value: UInt128) { self.value = value }

    /// The address from its sixteen network-order bytes; `nil` unless there are exactly sixteen.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt128($1) }
    }

    /// Parses IPv6 text such as `fd00::1` or `::ffff:10.0.0.1` (no zone, no brackets).
    public init(parsing text: String) throws(AddressParseError) {
        var raw = in6_addr()
        guard text.contains(":"), inet_pton(AF_INET6, text, &raw) == 1 else {
            throw AddressParseError(input: text, expected: "an IPv6 address", reason: "not valid IPv6 notation")
        }
        self.init(bytes: withUnsafeBytes(of: raw) { Array($0) })!
    }

    public init?(_ description: String) { try? self.init(parsing: description) }

    /// The sixteen network-order bytes.
    public var bytes: [UInt8] { stride(from: 120, through: 0, by: -8).map { UInt8(truncatingIfNeeded: value >> $0) } }

    public var description: String {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws { try self.init(parsing: decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// IPv4 or IPv6.
public enum IPFamily: Sendable, Hashable {
    case v4, v6
}

/// An IPv4 or IPv6 address.
///
///     let a = try IPAddress(parsing: "10.0.0.1")   // .v4
///     let b = try IPAddress(parsing: "fd00::1")    // .v6
public enum IPAddress: Sendable, Hashable, Comparable, LosslessStringConvertible, Codable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses IPv4 dotted-decimal or IPv6 text.
    public init(parsing text: String) throws(AddressParseError) {
        self = text.contains(":") ? .v6(try IPv6Address(parsing: text)) : .v4(try IPv4Address(parsing: text))
    }

    public init?(_ description: String) { try? self.init(parsing: description) }

    /// The address from 4 or 16 network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        if let v4 = IPv4Address(bytes: bytes) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(bytes: bytes) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }

    public var family: IPFamily { isIPv4 ? .v4 : .v6 }

    /// 32 or 128.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// The network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let address): address.bytes
        case .v6(let address): address.bytes
        }
    }

    /// The address as a number (IPv4 in the low 32 bits).
    public var value: UInt128 {
        switch self {
        case .v4(let address): UInt128(address.value)
        case .v6(let address): address.value
        }
    }

    /// The address of the same family whose number is `value` (truncated to the family's width).
    func withValue(_ value: UInt128) -> IPAddress {
        isIPv4 ? .v4(IPv4Address(value: UInt32(truncatingIfNeeded: value))) : .v6(IPv6Address(value: value))
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    /// IPv4 sorts before IPv6; within a family by number.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.isIPv4 ? 0 : 1, lhs.value) < (rhs.isIPv4 ? 0 : 1, rhs.value)
    }

    public init(from decoder: any Decoder) throws { try self.init(parsing: decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
