/// One step of a rule, as the kernel evaluates it (`struct nft_expr`): load something into a register,
/// compare or look it up, or act on the packet.
///
/// Rules are arrays of these; the helpers in `Expr+Match.swift` build the usual sequences
/// (`ip daddr 10.0.0.1`, `ct state established,related`, `dnat to 10.1.0.5:8080`), and ``concat(_:)``
/// lays out several keys the way `nft` does for `ip daddr . meta l4proto . th dport`.
public enum Expr: Hashable, Sendable {
    /// Loads `field` from the packet into `register` (`payload load`).
    case payload(PayloadField, into: Register)
    /// Writes `register` into `field` of the packet, optionally fixing a checksum (`payload write`).
    case payloadWrite(PayloadField, from: Register, checksum: PayloadChecksum?)
    /// Loads packet metadata into `register`.
    case meta(MetaKey, into: Register)
    /// Sets packet metadata from `register` (`meta mark set …`).
    case metaSet(MetaKey, from: Register)
    /// Compares `register` with `value`; a mismatch ends the rule.
    case compare(CompareOperator, Register, Value)
    /// `into = (from & mask) ^ xor` over `mask.bytes.count` bytes.
    case bitwise(from: Register, into: Register, mask: Value, xor: Value)
    /// Looks `from` up in a set; with `into` a map's value (or, for `.verdict`, the verdict) is loaded.
    case lookup(SetReference, from: Register, into: Register?, inverted: Bool)
    /// Loads a constant into a data register.
    case immediate(Value, into: Register)
    /// Ends evaluation with a verdict (or jumps).
    case verdict(Verdict)
    /// Source or destination NAT.
    case nat(NAT)
    /// Source NAT to the outgoing interface's address, optionally to a port range.
    case masquerade(NATFlags, portMin: Register?, portMax: Register?)
    /// Counts packets and bytes.
    case counter
    /// Loads conntrack data into `register`; `direction` for per-direction keys (original/reply).
    case ct(ConntrackKey, direction: ConntrackDirection?, into: Register)
    /// Sets conntrack data (`ct mark set …`) from `register`.
    case ctSet(ConntrackKey, from: Register)
    /// Loads a generated number into `register`: `(random or counter) % modulus + offset`.
    case numgen(NumgenKind, modulus: UInt32, offset: UInt32, into: Register)
    /// Converts `length` bytes of `from` between host and network byte order in `size`-byte words (what
    /// `nft` puts before a lookup of a host-order key, such as a mark or `numgen` value, in an interval set,
    /// whose keys the kernel compares as big-endian bytes).
    case byteorder(from: Register, into: Register, ByteOrderOperation, length: UInt32, size: UInt32)
    /// Drops the packet and answers with an ICMP error or a TCP reset.
    case reject(Reject)
    /// Matches while traffic stays under a rate.
    case limit(Limit)
    /// Adds, refreshes or deletes the key in a register in a named set from the packet path
    /// (`update @set { ip saddr }`): what kube-proxy's ClientIP affinity uses to remember clients.
    case dynset(DynamicSetUpdate)
}

/// A `dynset` statement (`add`/`update`/`delete @set { key }`): the packet path changes a named set.
///
/// The set needs `flags dynamic` (and `timeout` for element timeouts). `update` adds the key if missing
/// and, if present, restarts its timeout; `add` leaves an existing element's timeout alone.
///
///     // endpoint chain: remember the client for the affinity timeout of the set
///     Expr.payload(.ipSaddr, into: .r1), .dynset(DynamicSetUpdate(.update, set: "affinity-…", key: .r1))
public struct DynamicSetUpdate: Hashable, Sendable {
    /// `enum nft_dynset_ops`.
    public enum Operation: UInt32, Hashable, Sendable {
        case add = 0
        case update = 1
        case delete = 2
    }

    public var operation: Operation
    /// The named set to change.
    public var set: String
    /// Where the key is (loaded by the expressions before).
    public var key: Register
    /// Where a map's value is, for maps.
    public var data: Register?
    /// The timeout of elements this statement adds or refreshes; `nil`: the set's default timeout.
    public var timeout: Duration?

    public init(_ operation: Operation, set: String, key: Register, data: Register? = nil, timeout: Duration? = nil) {
        self.operation = operation
        self.set = set
        self.key = key
        self.data = data
        self.timeout = timeout
    }
}

/// A set a lookup refers to: a named set of the table, or an anonymous one defined inline with the
/// rule (created in the same transaction, like `{ 0 : goto a, 1 : goto b }` in `nft`).
public enum SetReference: Hashable, Sendable {
    case named(String)
    case anonymous(AnonymousSet)
}

/// Where a payload field starts (`enum nft_payload_bases`).
public enum PayloadBase: UInt32, Hashable, Sendable {
    case link = 0
    case network = 1
    case transport = 2
    case inner = 3
}

/// A field of the packet: base header, byte offset and length.
public struct PayloadField: Hashable, Sendable {
    public var base: PayloadBase
    public var offset: UInt32
    public var length: UInt32

    public init(_ base: PayloadBase, offset: UInt32, length: UInt32) {
        self.base = base
        self.offset = offset
        self.length = length
    }

    /// `ip protocol`.
    public static let ipProtocol = PayloadField(.network, offset: 9, length: 1)
    /// `ip saddr`.
    public static let ipSaddr = PayloadField(.network, offset: 12, length: 4)
    /// `ip daddr`.
    public static let ipDaddr = PayloadField(.network, offset: 16, length: 4)
    /// `ip6 nexthdr`.
    public static let ip6Nexthdr = PayloadField(.network, offset: 6, length: 1)
    /// `ip6 saddr`.
    public static let ip6Saddr = PayloadField(.network, offset: 8, length: 16)
    /// `ip6 daddr`.
    public static let ip6Daddr = PayloadField(.network, offset: 24, length: 16)
    /// `th sport` (also `tcp sport`, `udp sport` after a protocol match).
    public static let sourcePort = PayloadField(.transport, offset: 0, length: 2)
    /// `th dport` (also `tcp dport`, `udp dport` after a protocol match).
    public static let destinationPort = PayloadField(.transport, offset: 2, length: 2)
}

/// Checksum fix-up for a payload write.
public struct PayloadChecksum: Hashable, Sendable {
    /// `NFT_PAYLOAD_CSUM_INET` (1) or `NFT_PAYLOAD_CSUM_SCTP` (2).
    public var type: UInt32
    /// Offset of the checksum field within the base header.
    public var offset: UInt32
    /// `NFT_PAYLOAD_L4CSUM_PSEUDOHDR` (1) to also update the layer-4 pseudo-header checksum.
    public var flags: UInt32

    public init(type: UInt32 = 1, offset: UInt32, flags: UInt32 = 0) {
        self.type = type
        self.offset = offset
        self.flags = flags
    }
}

/// Packet metadata (`enum nft_meta_keys`).
public enum MetaKey: UInt32, Hashable, Sendable {
    case length = 0
    case proto = 1
    case priority = 2
    case mark = 3
    case iif = 4
    case oif = 5
    case iifname = 6
    case oifname = 7
    case iiftype = 8
    case oiftype = 9
    case skuid = 10
    case skgid = 11
    case nftrace = 12
    case nfproto = 15
    case l4proto = 16
    case pkttype = 19

    /// Bytes the key loads.
    public var length: Int {
        switch self {
        case .iifname, .oifname: 16
        case .nfproto, .l4proto, .nftrace, .pkttype: 1
        case .proto, .iiftype, .oiftype: 2
        default: 4
        }
    }
}

/// Comparison operators (`enum nft_cmp_ops`).
public enum CompareOperator: UInt32, Hashable, Sendable {
    case equal = 0
    case notEqual = 1
    case less = 2
    case lessOrEqual = 3
    case greater = 4
    case greaterOrEqual = 5
}

/// Conntrack keys (`enum nft_ct_keys`).
public enum ConntrackKey: UInt32, Hashable, Sendable {
    case state = 0
    case direction = 1
    case status = 2
    case mark = 3
    case expiration = 5
    case l3protocol = 7
    case `protocol` = 10
    case protoSource = 11
    case protoDestination = 12
    case zone = 17
    case sourceIP = 19
    case destinationIP = 20
    case sourceIP6 = 21
    case destinationIP6 = 22

    /// Bytes the key loads.
    public var length: Int {
        switch self {
        case .direction, .l3protocol, .protocol: 1
        case .protoSource, .protoDestination, .zone: 2
        case .sourceIP6, .destinationIP6: 16
        default: 4
        }
    }
}

/// The direction of a conntrack tuple (`enum ip_conntrack_dir`).
public enum ConntrackDirection: UInt8, Hashable, Sendable {
    case original = 0
    case reply = 1
}

/// `ct state` bits (host order), for ``Expr/ctState(_:)``.
public struct ConntrackState: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let invalid = ConntrackState(rawValue: 1)
    public static let established = ConntrackState(rawValue: 2)
    public static let related = ConntrackState(rawValue: 4)
    public static let new = ConntrackState(rawValue: 8)
    public static let untracked = ConntrackState(rawValue: 64)
}

/// The direction of a ``Expr/byteorder(from:into:_:length:size:)`` conversion (`enum nft_byteorder_ops`).
public enum ByteOrderOperation: UInt32, Hashable, Sendable {
    /// Network to host order.
    case ntoh = 0
    /// Host to network order.
    case hton = 1
}

/// How `numgen` generates (`enum nft_ng_types`).
public enum NumgenKind: UInt32, Hashable, Sendable {
    /// Round robin.
    case incremental = 0
    /// Uniformly random.
    case random = 1
}

/// Flags shared by NAT and masquerade (`NF_NAT_RANGE_*` that `nft` shows).
public struct NATFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `random`: hash-based random source port.
    public static let random = NATFlags(rawValue: 1 << 2)
    /// `persistent`: same mapping for a client across connections.
    public static let persistent = NATFlags(rawValue: 1 << 3)
    /// `fully-random`: PRNG source port (what kube-proxy uses for masquerade).
    public static let fullyRandom = NATFlags(rawValue: 1 << 4)

    /// The flags `nft` exposes; the kernel adds `MAP_IPS`/`PROTO_SPECIFIED` itself when registers are set.
    static let visible: NATFlags = [.random, .persistent, .fullyRandom]
}

/// A `snat`/`dnat` statement: the registers holding the address and port range.
public struct NAT: Hashable, Sendable {
    /// Source or destination NAT (`enum nft_nat_types`).
    public enum Kind: UInt32, Hashable, Sendable {
        case snat = 0
        case dnat = 1
    }

    public var kind: Kind
    /// The address family of the addresses (`.ip` or `.ip6`).
    public var family: Family
    public var addressMin: Register?
    public var addressMax: Register?
    public var portMin: Register?
    public var portMax: Register?
    public var flags: NATFlags

    public init(
        _ kind: Kind, family: Family = .ip, addressMin: Register? = nil, addressMax: Register? = nil,
        portMin: Register? = nil, portMax: Register? = nil, flags: NATFlags = []
    ) {
        self.kind = kind
        self.family = family
        self.addressMin = addressMin
        self.addressMax = addressMax
        self.portMin = portMin
        self.portMax = portMax
        self.flags = flags
    }
}

/// A `reject` statement.
public enum Reject: Hashable, Sendable {
    /// ICMP destination unreachable with `code` (3 = port unreachable, what plain `reject` sends in `ip`).
    case icmp(code: UInt8)
    /// A TCP reset (`reject with tcp reset`).
    case tcpReset
    /// Family-independent ICMP/ICMPv6 unreachable for `inet` tables (1 = port unreachable).
    case icmpx(code: UInt8)

    /// Plain `reject` in an `ip` table: ICMP port unreachable.
    public static let portUnreachable = Reject.icmp(code: 3)
}

/// A `limit` statement: `rate` per `unit` seconds with `burst`, in packets or bytes.
public struct Limit: Hashable, Sendable {
    public var rate: UInt64
    /// The period in seconds (1 = second, 60 = minute, …).
    public var unit: UInt64
    public var burst: UInt32
    /// Count bytes instead of packets.
    public var bytes: Bool
    /// Match when over the limit instead of under it (`limit rate over`).
    public var over: Bool

    public init(rate: UInt64, per unit: UInt64 = 1, burst: UInt32 = 5, bytes: Bool = false, over: Bool = false) {
        self.rate = rate
        self.unit = unit
        self.burst = burst
        self.bytes = bytes
        self.over = over
    }
}
