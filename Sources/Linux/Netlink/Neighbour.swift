import CMnl
import LinuxSystem

/// A neighbour-table entry (ARP for IPv4, NDP for IPv6), as `ip neigh` shows it.
public struct Neighbour: Sendable, Hashable {
    /// The interface the neighbour is reached through.
    public var linkIndex: Int32
    public var address: IPAddress
    /// The link-layer address; `nil` while unresolved.
    public var macAddress: MACAddress?
    public var state: NeighbourState
    /// `NTF_*` flags.
    public var flags: UInt8

    /// A static entry (`ip neigh add ADDRESS lladdr MAC dev LINK nud permanent`).
    public init(linkIndex: Int32, address: IPAddress, macAddress: MACAddress?, state: NeighbourState = .permanent, flags: UInt8 = 0) {
        self.linkIndex = linkIndex
        self.address = address
        self.macAddress = macAddress
        self.state = state
        self.flags = flags
    }

    /// Decodes an `RTM_NEWNEIGH` message.
    init?(_ reply: NetlinkReply) {
        guard reply.type == RTM_NEWNEIGH, let info = reply.familyHeader(ndmsg.self) else { return nil }
        let attributes = reply.attributes(after: ndmsg.self)
        guard let address = attributes.ipAddress(NDA_DST) else { return nil }
        self.init(
            linkIndex: info.ndm_ifindex, address: address, macAddress: attributes.macAddress(NDA_LLADDR),
            state: NeighbourState(rawValue: info.ndm_state), flags: info.ndm_flags)
    }
}

/// The NUD state of a neighbour entry (`NUD_*`).
public struct NeighbourState: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let incomplete = NeighbourState(rawValue: UInt16(NUD_INCOMPLETE))
    public static let reachable = NeighbourState(rawValue: UInt16(NUD_REACHABLE))
    public static let stale = NeighbourState(rawValue: UInt16(NUD_STALE))
    public static let delay = NeighbourState(rawValue: UInt16(NUD_DELAY))
    public static let probe = NeighbourState(rawValue: UInt16(NUD_PROBE))
    public static let failed = NeighbourState(rawValue: UInt16(NUD_FAILED))
    public static let noARP = NeighbourState(rawValue: UInt16(NUD_NOARP))
    /// Static: never expires, never re-resolved.
    public static let permanent = NeighbourState(rawValue: UInt16(NUD_PERMANENT))
}
