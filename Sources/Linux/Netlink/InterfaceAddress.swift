import CMnl
import LinuxSystem

/// An IP address assigned to an interface (`RTM_NEWADDR`), as `ip addr` lists it.
public struct InterfaceAddress: Sendable, Hashable {
    /// The interface it is on.
    public var linkIndex: Int32
    /// The address with its prefix length, e.g. `10.0.0.5/24`.
    public var address: IPNetwork
    /// The IPv4 broadcast address, if one is set.
    public var broadcast: IPAddress?
    /// `RT_SCOPE_*`: 0 global, 253 link, 254 host.
    public var scope: UInt8
    public var flags: InterfaceAddressFlags
    /// The IPv4 label (`eth0:1`), if any.
    public var label: String?

    /// Decodes an `RTM_NEWADDR` message.
    init?(_ reply: NetlinkReply) {
        guard reply.type == RTM_NEWADDR, let info = reply.familyHeader(ifaddrmsg.self) else { return nil }
        let attributes = reply.attributes(after: ifaddrmsg.self)
        guard let ip = attributes.ipAddress(IFA_LOCAL) ?? attributes.ipAddress(IFA_ADDRESS),
              let address = try? IPNetwork(address: ip, prefixLength: Int(info.ifa_prefixlen))
        else { return nil }
        linkIndex = Int32(bitPattern: info.ifa_index)
        self.address = address
        broadcast = attributes.ipAddress(IFA_BROADCAST)
        scope = info.ifa_scope
        flags = InterfaceAddressFlags(rawValue: attributes.u32(IFA_FLAGS) ?? UInt32(info.ifa_flags))
        label = attributes.string(IFA_LABEL)
    }
}

/// The `IFA_F_*` flags of an interface address.
public struct InterfaceAddressFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Duplicate address detection was skipped (`nodad`).
    public static let noDAD = InterfaceAddressFlags(rawValue: UInt32(IFA_F_NODAD))
    /// IPv6 duplicate address detection is still running; the address is not usable yet.
    public static let tentative = InterfaceAddressFlags(rawValue: UInt32(IFA_F_TENTATIVE))
    /// Duplicate address detection found the address in use.
    public static let dadFailed = InterfaceAddressFlags(rawValue: UInt32(IFA_F_DADFAILED))
    /// Added by hand rather than autoconfigured.
    public static let permanent = InterfaceAddressFlags(rawValue: UInt32(IFA_F_PERMANENT))
}
