import LinuxSystem
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The bridge plugin's work in the sandbox namespace.
enum BridgeContainer {
    /// Creates the veth pair from inside the sandbox: `ifName` here, the host end directly in `host`
    /// under a name from `hostName`, retried while that name is taken (as the reference does). An
    /// existing `ifName` is an error (the runtime must DEL first). `mac`, when given, becomes the
    /// container end's address. The container end comes back as the kernel echoes it (its
    /// ``Link/parentIndex`` is the host end's index), so creating it is one request.
    static func createVeth(
        _ netlink: RouteNetlink, ifName: String, hostName: () -> String, host: NetworkNamespace, mtu: UInt32?, mac: MACAddress?
    ) throws -> (container: Link, hostName: String) {
        for _ in 1...10 {
            let name = hostName()
            do {
                let created = try netlink.createVeth(named: ifName, peerName: name, peerNamespace: host, mtu: mtu, address: mac)
                return (try created ?? netlink.link(named: ifName), name)
            } catch let error as NetlinkError where error.errno == EEXIST {
                // Either end's name is taken: the container's is the caller's mistake, the host's a retry.
                if (try? netlink.link(named: ifName)) != nil {
                    throw CNIError(.networkSetupFailure, "container veth name provided (\(ifName)) already exists")
                }
            }
        }
        throw CNIError(.networkSetupFailure, "failed to find a free host veth name")
    }

    /// The reference's `ipam.ConfigureIface`: adds the addresses meant for `ifName` (index 2), brings
    /// it up, and installs the routes, a route without gateway going via its family's gateway.
    /// Duplicate address detection stays off unless `enableDAD`; `arp_notify` makes the kernel send a
    /// gratuitous ARP when the interface comes up.
    static func configure(_ netlink: RouteNetlink, ifName: String, index: Int32, result: CNIResult, enableDAD: Bool) throws {
        if enableDAD {
            try? Sysctl.write("net/ipv6/conf/\(ifName)/enhanced_dad", "1")
            try? Sysctl.write("net/ipv6/conf/\(ifName)/accept_dad", "1")
        } else {
            try? Sysctl.write("net/ipv6/conf/\(ifName)/accept_dad", "0")
        }
        try? Sysctl.write("net/ipv4/conf/\(ifName)/arp_notify", "1")
        var gateways: [Bool: IPAddress] = [:]
        for ip in result.ips where ip.interface == 2 {
            if !ip.address.address.isIPv4 {
                try? Sysctl.write("net/ipv6/conf/\(ifName)/disable_ipv6", "0")
            }
            try netlink.addAddress(ip.address, to: .index(index))
            if let gateway = ip.gateway, gateways[gateway.isIPv4] == nil { gateways[gateway.isIPv4] = gateway }
        }
        try netlink.setUp(.index(index))
        for route in result.routes {
            let gateway = route.gateway ?? gateways[route.destination.address.isIPv4]
            try netlink.addRoute(Netlink.Route(
                destination: route.destination, gateway: gateway, outputInterface: index,
                priority: route.priority.map { UInt32($0) }))
        }
    }

    /// Deletes `ifName` (and so the pair); a missing link is fine. With `readingAddresses` it returns the
    /// addresses the interface had (what the masquerading rules were made for), otherwise none.
    ///
    /// With a `watch` on the namespace of the veth's host end the deletion is a
    /// ``DetachedLinkDeletion`` asked by `asker`: DEL returns once the kernel has unregistered both ends,
    /// not 15–30 ms later when it has reclaimed them. Without one, and without `readingAddresses`, it
    /// deletes by name in one request.
    static func deleteVeth(
        _ netlink: RouteNetlink, ifName: String, readingAddresses: Bool, watch: LinkWatch? = nil, asker: DetachedLinkDeletion.Asker = .thread
    ) throws -> [IPNetwork] {
        do {
            guard readingAddresses || watch != nil else {
                try netlink.deleteLink(.name(ifName))
                return []
            }
            let link = try netlink.link(named: ifName)
            let addresses = readingAddresses ? try netlink.addresses(on: .index(link.index)).map(\.address) : []
            if let watch, let peer = link.parentIndex {
                try DetachedLinkDeletion.delete(index: link.index, subject: ifName, peerIndex: peer, announcedBy: watch, asker: asker)
            } else {
                try netlink.deleteLink(.index(link.index))
            }
            return addresses
        } catch let error as NetlinkError where error.errno == ENODEV {
            return []
        }
    }
}
