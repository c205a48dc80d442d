import LinuxSystem
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The bridge plugin's work in the host namespace, each step run inside one netlink session.
enum BridgeHost {
    /// Creates the bridge unless it exists (with VLAN filtering when VLANs are configured), refuses a
    /// non-bridge of that name, disables router advertisements on it (as the reference does), turns on
    /// `promiscMode` and brings it up.
    static func ensureBridge(_ netlink: RouteNetlink, _ config: BridgeConfig) throws -> Link {
        do {
            try netlink.createBridge(named: config.bridge, mtu: config.mtu, vlanFiltering: config.vlans.filtering ? true : nil)
        } catch let error as NetlinkError where error.errno == EEXIST {
            // Already there; checked below.
        } catch let error as NetlinkError where error.errno == EOPNOTSUPP && config.vlans.filtering {
            throw BridgeVLANs.unsupported(bridge: config.bridge, error)
        }
        let bridge = try netlink.link(named: config.bridge)
        guard bridge.kind == "bridge" else {
            throw CNIError(.networkSetupFailure, "\"\(config.bridge)\" already exists but is not a bridge")
        }
        try? Sysctl.write("net/ipv6/conf/\(config.bridge)/accept_ra", "0")
        if config.promiscMode { try InterfaceFlags.setPromiscuous(config.bridge) }
        try netlink.setUp(.index(bridge.index))
        return try netlink.link(.index(bridge.index))
    }

    /// Enslaves the host end of the veth to the bridge, sets hairpin mode and isolation, puts it into
    /// its VLANs and brings it up.
    static func attachPort(_ netlink: RouteNetlink, _ port: String, _ config: BridgeConfig) throws -> Link {
        try netlink.setMaster(.name(port), .name(config.bridge))
        try netlink.setBridgePort(.name(port), BridgePortSettings(hairpin: config.hairpinMode, isolated: config.portIsolation ? true : nil))
        try config.vlans.apply(netlink, port: port)
        try? Sysctl.write("net/ipv6/conf/\(port)/accept_ra", "0")
        try netlink.setUp(.name(port))
        return try netlink.link(named: port)
    }

    /// Gives the bridge `gateway` (the reference's `ensureAddr`): nothing to do when present; another
    /// IPv4 address, or an overlapping IPv6 one, is an error unless `forceAddress` replaces it.
    static func ensureAddress(_ netlink: RouteNetlink, _ gateway: IPNetwork, _ config: BridgeConfig) throws {
        let family: IPFamily = gateway.address.isIPv4 ? .v4 : .v6
        for existing in try netlink.addresses(on: .name(config.bridge), family: family) {
            if existing.address == gateway { return }
            let conflicts = family == .v4 || existing.address.contains(gateway.address) || gateway.contains(existing.address.address)
            guard conflicts else { continue }
            guard config.forceAddress else {
                throw CNIError(.networkSetupFailure, "\"\(config.bridge)\" already has an IP address different from \(gateway)")
            }
            try netlink.deleteAddress(existing.address, from: .name(config.bridge))
        }
        do {
            try netlink.addAddress(gateway, to: .name(config.bridge))
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
