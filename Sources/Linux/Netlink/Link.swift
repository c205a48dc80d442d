import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// A network interface as rtnetlink reports it (`RTM_NEWLINK`), with the bridge details
/// `ip -d link` shows.
public struct Link: Sendable, Hashable {
    /// The interface index (`ifindex`), unique within the namespace.
    public var index: Int32
    public var name: String
    /// The driver kind (`"veth"`, `"bridge"`, …); `nil` for devices without one, like `lo`.
    public var kind: String?
    /// The `IFF_*` flags.
    public var flags: UInt32
    public var mtu: UInt32
    public var macAddress: MACAddress?
    /// The index of the bridge (or other master) this interface is enslaved to.
    public var masterIndex: Int32?
    /// `IFLA_LINK`: for a veth, the peer's index (in the peer's namespace).
    public var parentIndex: Int32?
    /// The RFC 2863 operational state (`IF_OPER_*`: 2 down, 6 up).
    public var operationalState: UInt8
    /// For a bridge: whether VLAN filtering is on.
    public var vlanFiltering: Bool?
    /// For a bridge port: its port settings.
    public var bridgePort: BridgePortSettings?

    /// Whether the interface is administratively up (`IFF_UP`).
    public var isUp: Bool { flags & UInt32(IFF_UP) != 0 }
}

/// The per-port settings of an interface enslaved to a bridge (`IFLA_BRPORT_*`).
public struct BridgePortSettings: Sendable, Hashable {
    /// Hairpin mode (`IFLA_BRPORT_MODE`): frames may leave through the port they came in on.
    public var hairpin: Bool?
    /// Isolation (`IFLA_BRPORT_ISOLATED`): isolated ports cannot talk to each other.
    public var isolated: Bool?
    /// Whether the bridge learns source MACs on this port (`IFLA_BRPORT_LEARNING`).
    public var learning: Bool?

    public init(hairpin: Bool? = nil, isolated: Bool? = nil, learning: Bool? = nil) {
        self.hairpin = hairpin
        self.isolated = isolated
        self.learning = learning
    }
}

extension Link {
    /// Decodes an `RTM_NEWLINK` message.
    init?(_ reply: NetlinkReply) {
        guard reply.type == RTM_NEWLINK, let info = reply.familyHeader(ifinfomsg.self) else { return nil }
        let attributes = reply.attributes(after: ifinfomsg.self)
        guard let name = attributes.string(IFLA_IFNAME) else { return nil }
        index = info.ifi_index
        self.name = name
        flags = info.ifi_flags
        mtu = attributes.u32(IFLA_MTU) ?? 0
        macAddress = attributes.macAddress(IFLA_ADDRESS)
        masterIndex = attributes.i32(IFLA_MASTER)
        parentIndex = attributes.i32(IFLA_LINK)
        operationalState = attributes.u8(IFLA_OPERSTATE) ?? 0
        let linkInfo = attributes.nested(IFLA_LINKINFO)
        kind = linkInfo?.string(IFLA_INFO_KIND)
        if kind == "bridge", let data = linkInfo?.nested(IFLA_INFO_DATA) {
            vlanFiltering = data.u8(IFLA_BR_VLAN_FILTERING).map { $0 != 0 }
        }
        if linkInfo?.string(IFLA_INFO_SLAVE_KIND) == "bridge", let port = linkInfo?.nested(IFLA_INFO_SLAVE_DATA) {
            bridgePort = BridgePortSettings(port)
        }
    }
}

extension BridgePortSettings {
    /// Decodes the `IFLA_BRPORT_*` attributes of a bridge port.
    init(_ attributes: NetlinkAttributes) {
        hairpin = attributes.u8(IFLA_BRPORT_MODE).map { $0 != 0 }
        isolated = attributes.u8(IFLA_BRPORT_ISOLATED).map { $0 != 0 }
        learning = attributes.u8(IFLA_BRPORT_LEARNING).map { $0 != 0 }
    }

    /// Encodes the settings that are set as `IFLA_BRPORT_*` attributes.
    func encode(into request: NetlinkRequest) {
        if let hairpin { request.put(IFLA_BRPORT_MODE, u8: hairpin ? 1 : 0) }
        if let isolated { request.put(IFLA_BRPORT_ISOLATED, u8: isolated ? 1 : 0) }
        if let learning { request.put(IFLA_BRPORT_LEARNING, u8: learning ? 1 : 0) }
    }
}
