import CMnl
#if canImport(Glibc)
import Glibc
#endif

extension RouteNetlink {
    /// Changes the bridge-port settings of `port` (`bridge link set dev PORT hairpin on isolated on
    /// learning off`); settings left `nil` are not touched. The port must already have a bridge master.
    public func setBridgePort(_ port: LinkReference, _ settings: BridgePortSettings) throws {
        let request = try bridgeRequest(RTM_SETLINK, port, "set bridge port")
        request.nest(IFLA_PROTINFO) { settings.encode(into: request) }
        try execute(request, "set bridge port", port.description)
    }

    /// Adds `vlan` to `port` (`bridge vlan add dev PORT vid ID [pvid] [untagged] [self]`).
    /// `onBridge` targets the bridge device's own VLAN table (`self`) instead of a port's.
    public func addBridgeVLAN(_ vlan: BridgeVLAN, to port: LinkReference, onBridge: Bool = false) throws {
        try changeVLAN(RTM_SETLINK, vlan, port, onBridge, "add bridge vlan")
    }

    /// Removes VLAN `id` from `port` (`bridge vlan del dev PORT vid ID [self]`).
    public func deleteBridgeVLAN(_ id: UInt16, from port: LinkReference, onBridge: Bool = false) throws {
        try changeVLAN(RTM_DELLINK, BridgeVLAN(id: id), port, onBridge, "delete bridge vlan")
    }

    /// The VLANs configured on `port` (or on a bridge device itself), by id.
    public func bridgeVLANs(_ port: LinkReference) throws -> [BridgeVLAN] {
        let index = try index(of: port, for: "list bridge vlans")
        var info = ifinfomsg()
        info.ifi_family = UInt8(AF_BRIDGE)
        let replies = try dump(RTM_GETLINK, header: info, "list bridge vlans") { request in
            request.put(IFLA_EXT_MASK, u32: UInt32(RTEXT_FILTER_BRVLAN))
        }
        let reply = replies.first { $0.familyHeader(ifinfomsg.self)?.ifi_index == index }
        let spec = reply?.attributes(after: ifinfomsg.self).nested(IFLA_AF_SPEC)
        let vlans = spec?.all(IFLA_BRIDGE_VLAN_INFO).compactMap { payload in
            payload.count >= MemoryLayout<bridge_vlan_info>.size
                ? BridgeVLAN(payload.withUnsafeBytes { $0.loadUnaligned(as: bridge_vlan_info.self) }) : nil
        }
        return (vlans ?? []).sorted { $0.id < $1.id }
    }

    private func changeVLAN(_ type: Int, _ vlan: BridgeVLAN, _ port: LinkReference, _ onBridge: Bool, _ operation: String) throws {
        let request = try bridgeRequest(type, port, operation)
        request.nest(IFLA_AF_SPEC) {
            if onBridge { request.put(IFLA_BRIDGE_FLAGS, u16: UInt16(BRIDGE_FLAGS_SELF)) }
            withUnsafeBytes(of: vlan.info) { request.put(IFLA_BRIDGE_VLAN_INFO, bytes: Array($0)) }
        }
        try execute(request, operation, "\(vlan.id) on \(port)")
    }

    /// An `AF_BRIDGE` link request; the bridge code only finds ports by index.
    private func bridgeRequest(_ type: Int, _ port: LinkReference, _ operation: String) throws -> NetlinkRequest {
        let index = try index(of: port, for: operation)
        let request = Self.request(type)
        var info = ifinfomsg()
        info.ifi_family = UInt8(AF_BRIDGE)
        info.ifi_index = index
        request.putHeader(info)
        return request
    }
}
