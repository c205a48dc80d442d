/// An address with a prefix length, in CIDR notation: `10.0.0.0/24`, `fd00::5/64`.
///
/// Like Go's `netip.Prefix` it keeps the address as written, so it serves both as a network
/// (`10.0.0.0/24`) and as an interface address with its subnet (`10.0.0.5/24`); ``masked`` gives the
/// network itself.
///
///     let subnet = try IPNetwork(parsing: "10.0.0.0/24")
///     subnet.contains(try IPAddress(parsing: "10.0.0.7"))   // true
///     subnet.host(1)                                        // 10.0.0.1
///     subnet.broadcast                                      // 10.0.0.255
public struct IPNetwork: Sendable, Hashable, LosslessStringConvertible, Codable {
    public let address: IPAddress
    public let prefixLength: Int

    /// Throws if `prefixLength` is negative or longer than the address.
    public init(address: IPAddress, prefixLength: Int) throws(AddressParseError) {
        guard (0...address.bitWidth).contains(prefixLength) else {
            throw AddressParseError(
                input: "\(address)/\(prefixLength)", expected: "a CIDR network",
                reason: "prefix length \(prefixLength) is outside 0...\(address.bitWidth)")
        }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/LENGTH`.
    public init(parsing text: String) throws(AddressParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw AddressParseError(input: text, expected: "a CIDR network", reason: "expected ADDRESS/PREFIXLENGTH")
        }
        guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(parts[1]) else {
            throw AddressParseError(input: text, expected: "a CIDR network", reason: "\"\(parts[1])\" is not a prefix length")
        }
        try self.init(address: IPAddress(parsing: String(parts[0])), prefixLength: length)
    }

    public init?(_ description: String) { try? self.init(parsing: description) }

    /// The mask as a number of the address's width.
    private var maskValue: UInt128 {
        let width = address.bitWidth
        let all: UInt128 = width == 128 ? .max : (1 << width) - 1
        return prefixLength == 0 ? 0 : all & ~(all >> prefixLength)
    }

    /// The netmask as an address (`255.255.255.0` for a /24).
    public var netmask: IPAddress { address.withValue(maskValue) }

    /// The first address of the network (host bits cleared).
    public var network: IPAddress { address.withValue(address.value & maskValue) }

    /// The last address of the network (host bits set): the IPv4 broadcast address.
    public var broadcast: IPAddress {
        let width = address.bitWidth
        let all: UInt128 = width == 128 ? .max : (1 << width) - 1
        return address.withValue((address.value & maskValue) | (all & ~maskValue))
    }

    /// The same network with the host bits cleared: `10.0.0.5/24` → `10.0.0.0/24`.
    public var masked: IPNetwork { try! IPNetwork(address: network, prefixLength: prefixLength) }

    /// Whether `other` is of the same family and inside this network.
    public func contains(_ other: IPAddress) -> Bool {
        other.isIPv4 == address.isIPv4 && other.value & maskValue == address.value & maskValue
    }

    /// The address `offset` places after ``network`` (`host(1)` is the usual gateway), or `nil` when
    /// that lies outside the network.
    public func host(_ offset: UInt128) -> IPAddress? {
        let hostBits = address.bitWidth - prefixLength
        guard hostBits == 128 || offset >> hostBits == 0 else { return nil }
        return address.withValue(network.value + offset)
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public init(from decoder: any Decoder) throws { try self.init(parsing: decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
