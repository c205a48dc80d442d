/// The type of a set key or map value, as `nft` names and numbers them (`enum datatypes` in nftables).
///
/// The kernel only stores the number (`NFTA_SET_KEY_TYPE`) and the length; `nft list` uses both to
/// print elements, so sets we create show up as `type ipv4_addr . inet_proto . inet_service`.
public enum DataType: Hashable, Sendable, CustomStringConvertible {
    /// `verdict`: the value type of verdict maps.
    case verdict
    /// `nf_proto`.
    case nfproto
    /// `integer` of the given byte length (host order for 4 bytes).
    case integer(length: Int)
    /// `ipv4_addr`.
    case ipv4Address
    /// `ipv6_addr`.
    case ipv6Address
    /// `ether_addr`.
    case etherAddress
    /// `inet_proto`.
    case inetProto
    /// `inet_service`.
    case inetService
    /// `mark`.
    case mark
    /// `ifname`.
    case ifname
    /// A concatenation as a map's value (`ipv4_addr . inet_service`: what `dnat to … map @m` takes), each
    /// component padded to a 4-byte register unit.
    case concatenation([DataType])

    /// nftables' type number.
    public var typeID: UInt32 {
        switch self {
        case .verdict: 1
        case .nfproto: 2
        case .integer: 4
        case .ipv4Address: 7
        case .ipv6Address: 8
        case .etherAddress: 9
        case .inetProto: 12
        case .inetService: 13
        case .mark: 19
        case .ifname: 41
        case .concatenation(let components): KeyType(components).typeID
        }
    }

    /// Bytes a value of this type takes (verdicts: 4, `sizeof(int)`).
    public var length: Int {
        switch self {
        case .verdict: 4
        case .nfproto, .inetProto: 1
        case .integer(let length): length
        case .ipv4Address, .mark: 4
        case .ipv6Address, .ifname: 16
        case .etherAddress: 6
        case .inetService: 2
        case .concatenation(let components): KeyType(components).length
        }
    }

    public var description: String {
        switch self {
        case .verdict: "verdict"
        case .nfproto: "nf_proto"
        case .integer: "integer"
        case .ipv4Address: "ipv4_addr"
        case .ipv6Address: "ipv6_addr"
        case .etherAddress: "ether_addr"
        case .inetProto: "inet_proto"
        case .inetService: "inet_service"
        case .mark: "mark"
        case .ifname: "ifname"
        case .concatenation(let components): components.map(\.description).joined(separator: " . ")
        }
    }

    /// The type with `typeID`, given the length the kernel reports for it.
    init?(typeID: UInt32, length: Int) {
        switch typeID {
        case 1: self = .verdict
        case 2: self = .nfproto
        case 4: self = .integer(length: length)
        case 7: self = .ipv4Address
        case 8: self = .ipv6Address
        case 9: self = .etherAddress
        case 12: self = .inetProto
        case 13: self = .inetService
        case 19: self = .mark
        case 41: self = .ifname
        default:
            let key = KeyType(typeID: typeID, length: length)
            guard key.isConcatenation else { return nil }
            self = .concatenation(key.components)
        }
    }
}

/// A set key: one type or a concatenation (`ipv4_addr . inet_proto . inet_service`).
public struct KeyType: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// Bits each component takes in the concatenated type number (`TYPE_BITS` in nftables).
    static let typeBits: UInt32 = 6

    /// The components, in order.
    public var components: [DataType]

    public init(_ components: [DataType]) { self.components = components }
    public init(arrayLiteral elements: DataType...) { self.components = elements }

    /// Whether this is a concatenation of several types.
    public var isConcatenation: Bool { components.count > 1 }

    /// `NFTA_SET_KEY_TYPE`: the components' numbers, each shifted in by 6 bits.
    public var typeID: UInt32 {
        components.reduce(0) { ($0 << Self.typeBits) | $1.typeID }
    }

    /// `NFTA_SET_KEY_LEN`: a single type's length, or each component padded to a 4-byte register unit.
    public var length: Int {
        isConcatenation ? components.reduce(0) { $0 + ($1.length + 3) / 4 * 4 } : (components.first?.length ?? 0)
    }

    /// The components' own lengths (`NFTA_SET_DESC_CONCAT`), for interval concatenations.
    var fieldLengths: [UInt8] { components.map { UInt8($0.length) } }

    public var description: String { components.map(\.description).joined(separator: " . ") }

    /// Decodes `NFTA_SET_KEY_TYPE`/`NFTA_SET_KEY_LEN`; unknown types become integers.
    init(typeID: UInt32, length: Int) {
        var ids: [UInt32] = []
        var rest = typeID
        while rest != 0 {
            ids.insert(rest & ((1 << Self.typeBits) - 1), at: 0)
            rest >>= Self.typeBits
        }
        let types = ids.compactMap { DataType(typeID: $0, length: 4) }
        if ids.count > 1, types.count == ids.count, KeyType(types).length == length {
            self.init(types)
        } else {
            self.init([DataType(typeID: typeID, length: length) ?? .integer(length: length)])
        }
    }
}
