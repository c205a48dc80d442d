import LinuxSystem
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The bridge plugin's work in the host namespace, each step run inside one netlink session.
enum BridgeHost {
    /// Creates the bridge unless it exists (with VLAN filtering when VLANs are configured), refuses a
    /// non-bridge of that name, disables router advertisements on it (as the reference does), turns on
    /// `promiscMode` and brings it up. The usual case, a bridge that is there and up, is one request.
    static func ensureBridge(_ netlink: RouteNetlink, _ config: BridgeConfig) throws -> Link {
        var bridge: Link
        do {
            bridge = try netlink.link(named: config.bridge)
        } catch let error as NetlinkError where error.errno == ENODEV {
            do {
                try netlink.createBridge(named: config.bridge, mtu: config.mtu, vlanFiltering: config.vlans.filtering ? true : nil)
            } catch let error as NetlinkError where error.errno == EEXIST {
                // Another ADD raced us to it; checked below.
            } catch let error as NetlinkError where error.errno == EOPNOTSUPP && config.vlans.filtering {
                throw BridgeVLANs.unsupported(bridge: config.bridge, error)
            }
            bridge = try netlink.link(named: config.bridge)
        }
        guard bridge.kind == "bridge" else {
            throw CNIError(.networkSetupFailure, "\"\(config.bridge)\" already exists but is not a bridge")
        }
        try? Sysctl.write("net/ipv6/conf/\(config.bridge)/accept_ra", "0")
        if config.promiscMode { try InterfaceFlags.setPromiscuous(config.bridge) }
        guard !bridge.isUp else { return bridge }
        try netlink.setUp(.index(bridge.index))
        return try netlink.link(.index(bridge.index))
    }

    /// Enslaves the host end of the veth (`port`, at `portIndex` when known) to `bridge` and brings it up in
    /// one request, sets hairpin mode and isolation and puts it into its VLANs.
    static func attachPort(_ netlink: RouteNetlink, _ port: String, index portIndex: Int32?, bridge: Link, _ config: BridgeConfig) throws -> Link {
        let reference: LinkReference = portIndex.map { .index($0) } ?? .name(port)
        try netlink.setMaster(reference, .index(bridge.index), bringUp: true)
        try? Sysctl.write("net/ipv6/conf/\(port)/accept_ra", "0")
        try netlink.setBridgePort(reference, BridgePortSettings(hairpin: config.hairpinMode, isolated: config.portIsolation ? true : nil))
        try config.vlans.apply(netlink, port: port)
        let link = try netlink.link(reference)
        guard link.name == port else {
            throw CNIError(.networkSetupFailure, "bridge: host veth \(port) is at index \(link.index) as \(link.name)")
        }
        return link
    }

    /// Gives the bridge (`bridgeIndex`) `gateway` (the reference's `ensureAddr`): nothing to do when present;
    /// another IPv4 address, or an overlapping IPv6 one, is an error unless `forceAddress` replaces it.
    static func ensureAddress(_ netlink: RouteNetlink, _ gateway: IPNetwork, bridgeIndex: Int32, _ config: BridgeConfig) throws {
        let family: IPFamily = gateway.address.isIPv4 ? .v4 : .v6
        for existing in try netlink.addresses(on: .index(bridgeIndex), family: family) {
            if existing.address == gateway { return }
            let conflicts = family == .v4 || existing.address.contains(gateway.address) || gateway.contains(existing.address.address)
            guard conflicts else { continue }
            guard config.forceAddress else {
                throw CNIError(.networkSetupFailure, "\"\(config.bridge)\" already has an IP address different from \(gateway)")
            }
            try netlink.deleteAddress(existing.address, from: .index(bridgeIndex))
        }
        do {
            try netlink.addAddress(gateway, to: .index(bridgeIndex))
        } catch let error as NetlinkError where error.errno == EEXIST {
            // Another ADD raced us to it.
        }
    }

    /// Turns on forwarding for the families the bridge routes.
    static func enableForwarding(ipv4: Bool, ipv6: Bool) throws {
        if ipv4 { try Sysctl.write("net.ipv4.ip_forward", "1") }
        if ipv6 { try Sysctl.write("net.ipv6.conf.all.forwarding", "1") }
    }
}
