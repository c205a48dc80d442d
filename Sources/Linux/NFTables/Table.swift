/// An nf_tables table: a namespace of chains and sets within one address family.
///
///     let table = Table("kube-proxy", family: .ip)
public struct Table: Hashable, Sendable {
    /// `NFT_TABLE_F_*` flags.
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// The table exists but its base chains are not hooked (`flags dormant`).
        public static let dormant = Flags(rawValue: 0x1)
        /// The table is removed when the netlink socket that created it closes (`flags owner`).
        public static let owner = Flags(rawValue: 0x2)
    }

    public var family: Family
    public var name: String
    public var flags: Flags
    /// The kernel's handle; set on tables read back, ignored when adding.
    public var handle: UInt64?

    public init(_ name: String, family: Family, flags: Flags = [], handle: UInt64? = nil) {
        self.family = family
        self.name = name
        self.flags = flags
        self.handle = handle
    }

    /// `table ip kube-proxy`, for error messages.
    var summary: String { "table \(family) \(name)" }
}
