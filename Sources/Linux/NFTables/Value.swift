#if canImport(Glibc)
import Glibc
#endif

/// Bytes exactly as the kernel holds them in a register or a set element.
///
/// Addresses, protocols and ports are in network byte order; marks, integers and `numgen` results
/// in host byte order, as `nft` sends them. Concatenations pad each part to a 4-byte register unit.
///
///     let key = try Value.concat(.ipv4("10.96.0.10"), .tcp, .inetService(53))   // 12 bytes
public struct Value: Hashable, Sendable, CustomStringConvertible {
    /// The raw bytes.
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// An IPv4 address (`ipv4_addr`), parsed from dotted-quad text.
    public static func ipv4(_ text: String) throws(NFTablesError) -> Value {
        Value(try parseAddress(text, family: AF_INET, length: 4))
    }

    /// An IPv6 address (`ipv6_addr`), parsed from text.
    public static func ipv6(_ text: String) throws(NFTablesError) -> Value {
        Value(try parseAddress(text, family: AF_INET6, length: 16))
    }

    /// An IPv4 or IPv6 address, whichever `text` is.
    public static func address(_ text: String) throws(NFTablesError) -> Value {
        text.contains(":") ? try ipv6(text) : try ipv4(text)
    }

    /// A layer-4 protocol number (`inet_proto`, one byte).
    public static func inetProto(_ number: UInt8) -> Value { Value([number]) }
    /// `tcp` as an `inet_proto`.
    public static let tcp = inetProto(6)
    /// `udp` as an `inet_proto`.
    public static let udp = inetProto(17)
    /// `sctp` as an `inet_proto`.
    public static let sctp = inetProto(132)

    /// A port (`inet_service`, two bytes, network order).
    public static func inetService(_ port: UInt16) -> Value { Value([UInt8(port >> 8), UInt8(port & 0xff)]) }

    /// A packet or conntrack mark (`mark`, four bytes, host order).
    public static func mark(_ mark: UInt32) -> Value { integer(mark) }

    /// A 32-bit integer in host order (`integer`: `numgen` results, `ct state` bits, marks).
    public static func integer(_ value: UInt32) -> Value { Value(withUnsafeBytes(of: value) { Array($0) }) }

    /// A 32-bit integer in network order.
    public static func bigEndian(_ value: UInt32) -> Value { integer(value.bigEndian) }

    /// An interface name (`ifname`): NUL-padded to `IFNAMSIZ` (16) bytes.
    public static func ifname(_ name: String) -> Value {
        var bytes = Array(name.utf8.prefix(15))
        bytes += [UInt8](repeating: 0, count: 16 - bytes.count)
        return Value(bytes)
    }

    /// An Ethernet address (`ether_addr`) from `aa:bb:cc:dd:ee:ff`.
    public static func etherAddress(_ text: String) throws(NFTablesError) -> Value {
        let parts = text.split(separator: ":")
        let bytes = parts.compactMap { UInt8($0, radix: 16) }
        guard parts.count == 6, bytes.count == 6 else { throw .invalid("parse", "ether address \(text)") }
        return Value(bytes)
    }

    /// Parts laid out as a concatenation: each padded with zeros to a multiple of 4 bytes.
    public static func concat(_ parts: [Value]) -> Value {
        Value(parts.flatMap { part in part.bytes + [UInt8](repeating: 0, count: (4 - part.bytes.count % 4) % 4) })
    }

    /// Parts laid out as a concatenation; see ``concat(_:)-swift.type.method``.
    public static func concat(_ parts: Value...) -> Value { concat(parts) }

    /// The value plus one, treating the bytes as one big-endian number; `nil` on overflow.
    /// Interval sets end a range at the first value after it.
    public func successor() -> Value? {
        var bytes = self.bytes
        for index in bytes.indices.reversed() {
            if bytes[index] == 0xff {
                bytes[index] = 0
            } else {
                bytes[index] += 1
                return Value(bytes)
            }
        }
        return nil
    }

    public var description: String {
        "0x" + bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private static func parseAddress(_ text: String, family: Int32, length: Int) throws(NFTablesError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        let result = bytes.withUnsafeMutableBytes { inet_pton(family, text, $0.baseAddress) }
        guard result == 1 else {
            throw .invalid("parse", "\(family == AF_INET ? "IPv4" : "IPv6") address \(text)")
        }
        return bytes
    }
}

extension Value {
    /// The network part of `cidr` (`10.0.0.0/8`, `fd00::/64`) and its prefix length, host bits cleared.
    public static func network(_ cidr: String) throws(NFTablesError) -> (address: Value, prefixLength: Int) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        let address = try Value.address(String(parts[0]))
        let bits = address.bytes.count * 8
        guard parts.count <= 2, let length = parts.count == 2 ? Int(parts[1]) : bits, (0...bits).contains(length) else {
            throw .invalid("parse", "network \(cidr)")
        }
        return (address.masked(prefixLength: length), length)
    }

    /// A mask with the first `prefixLength` bits set, as long as this value.
    func prefixMask(_ prefixLength: Int) -> Value {
        Value(bytes.indices.map { index in
            let bits = min(max(prefixLength - index * 8, 0), 8)
            return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        })
    }

    /// This value with all bits after the first `prefixLength` cleared.
    func masked(prefixLength: Int) -> Value {
        Value(zip(bytes, prefixMask(prefixLength).bytes).map { $0 & $1 })
    }

    /// The last value inside the prefix starting here.
    func lastInPrefix(_ prefixLength: Int) -> Value {
        Value(zip(bytes, prefixMask(prefixLength).bytes).map { $0 | ~$1 })
    }
}
