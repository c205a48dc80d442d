import CMnl

/// A VLAN on a bridge port (or on the bridge itself), as `bridge vlan` shows it.
public struct BridgeVLAN: Sendable, Hashable {
    /// The VLAN id, 1…4094.
    public var id: UInt16
    /// Untagged ingress frames are classified into this VLAN (`pvid`).
    public var isPVID: Bool
    /// Egress frames of this VLAN leave untagged (`untagged`).
    public var isUntagged: Bool

    public init(id: UInt16, isPVID: Bool = false, isUntagged: Bool = false) {
        self.id = id
        self.isPVID = isPVID
        self.isUntagged = isUntagged
    }

    /// The kernel's `struct bridge_vlan_info`.
    var info: bridge_vlan_info {
        var info = bridge_vlan_info()
        info.vid = id
        if isPVID { info.flags |= UInt16(BRIDGE_VLAN_INFO_PVID) }
        if isUntagged { info.flags |= UInt16(BRIDGE_VLAN_INFO_UNTAGGED) }
        return info
    }

    init(_ info: bridge_vlan_info) {
        id = info.vid
        isPVID = info.flags & UInt16(BRIDGE_VLAN_INFO_PVID) != 0
        isUntagged = info.flags & UInt16(BRIDGE_VLAN_INFO_UNTAGGED) != 0
    }
}
