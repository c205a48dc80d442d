/// A named set or map of a table (`set service-ips { type …; flags …; }`).
///
/// A map has a ``dataType``; a verdict map (`vmap`) has `.verdict`. Concatenated keys are encoded like
/// `nft` encodes them, so `nft list` prints them and lookups built with ``Expr/concat(_:)`` match.
///
///     let serviceIPs = NamedSet("service-ips", in: table,
///                               key: [.ipv4Address, .inetProto, .inetService], data: .verdict)
public struct NamedSet: Hashable, Sendable {
    /// `NFT_SET_*` flags a caller chooses; `map`, `concat` and `anonymous` follow from the definition.
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Contents never change once bound.
        public static let constant = Flags(rawValue: 0x2)
        /// Elements are ranges (CIDRs, port ranges).
        public static let interval = Flags(rawValue: 0x4)
        /// Elements may carry timeouts.
        public static let timeout = Flags(rawValue: 0x10)
        /// Rules may add elements (`dynamic`, `NFT_SET_EVAL`).
        public static let dynamic = Flags(rawValue: 0x20)

        static let chosen: Flags = [.constant, .interval, .timeout, .dynamic]
        static let anonymous: UInt32 = 0x1
        static let map: UInt32 = 0x8
        static let concat: UInt32 = 0x80
    }

    public var family: Family
    public var table: String
    public var name: String
    public var keyType: KeyType
    /// The value type for maps, `nil` for plain sets.
    public var dataType: DataType?
    public var flags: Flags
    /// Default element timeout (needs `.timeout`).
    public var timeout: Duration?
    /// Maximum number of elements, if bounded.
    public var size: UInt32?
    /// The kernel's handle; set on sets read back, ignored when adding.
    public var handle: UInt64?
    /// User data (`NFTNL_SET_USERDATA`) to send instead of the key and data byte-order records, e.g. the
    /// `typeof` records `nft` writes so `nft list` names the key by its expression. Not read back.
    public var userData: [UInt8]?

    public init(
        _ name: String, in table: Table, key: KeyType, data: DataType? = nil, flags: Flags = [],
        timeout: Duration? = nil, size: UInt32? = nil
    ) {
        self.init(name, family: table.family, table: table.name, key: key, data: data, flags: flags,
                  timeout: timeout, size: size)
    }

    public init(
        _ name: String, family: Family, table: String, key: KeyType, data: DataType? = nil, flags: Flags = [],
        timeout: Duration? = nil, size: UInt32? = nil, handle: UInt64? = nil
    ) {
        self.family = family
        self.table = table
        self.name = name
        self.keyType = key
        self.dataType = data
        self.flags = flags
        self.timeout = timeout
        self.size = size
        self.handle = handle
    }

    /// Whether this is a map (has values).
    public var isMap: Bool { dataType != nil }

    /// `set ip kube-proxy/service-ips`, for error messages.
    var summary: String { "\(isMap ? "map" : "set") \(family) \(table)/\(name)" }
}

/// A set defined inline with a rule, like `{ 0 : goto a, 1 : goto b }`: created as a constant
/// anonymous set (`__map%d`/`__set%d`) in the same transaction, freed by the kernel with the rule.
public struct AnonymousSet: Hashable, Sendable {
    public var keyType: KeyType
    public var dataType: DataType?
    public var interval: Bool
    public var elements: [SetElement]

    public init(key: KeyType, data: DataType? = nil, interval: Bool = false, elements: [SetElement]) {
        self.keyType = key
        self.dataType = data
        self.interval = interval
        self.elements = elements
    }
}
