import Foundation
import LinuxSystem
import Netlink

/// The network of a lab: a bridge in the namespace the lab runs in (the "host") with the first address of the lab
/// network, and per node a named network namespace joined to it by a veth pair (`eth0` inside, with the node's
/// address, a default route via the bridge and forwarding on, so the node routes its pods). The host gets a route
/// to each node's pod CIDR via the node, so it reaches pods as well as nodes.
public struct LabNetwork: Codable, Sendable, Equatable {
    /// One node's place on the lab network.
    public struct Member: Codable, Sendable, Equatable {
        /// The network namespace (`/var/run/netns/<namespace>`).
        public var namespace: String
        /// The host end of the veth pair (on the bridge).
        public var hostInterface: String
        /// The node's InternalIP.
        public var address: String
        public var podCIDR: String
    }

    public var bridge: String
    /// The bridge's address with the prefix length, e.g. `172.31.0.1/24`.
    public var hostAddress: String
    public var members: [Member]

    /// `nodes` members named `<prefix>-1` … on `network` (the host takes its first address, node i the (10+i)th),
    /// with pod CIDRs `10.244.<i>.0/24`.
    public init(bridge: String, network: IPNetwork, prefix: String, nodes: Int) throws(LocalClusterError) {
        let network = network.masked
        guard network.address.isIPv4, network.prefixLength <= 24 else {
            throw LocalClusterError(.invalid, "the lab network must be an IPv4 /24 or larger, got \(network)")
        }
        guard (1...200).contains(nodes) else { throw LocalClusterError(.invalid, "a lab has 1 to 200 nodes, not \(nodes)") }
        guard bridge.utf8.count <= 12 else { throw LocalClusterError(.invalid, "bridge name \(bridge) is longer than 12 characters") }
        self.bridge = bridge
        hostAddress = "\(network.host(1)!)/\(network.prefixLength)"
        members = (1...nodes).map { index in
            Member(namespace: "\(prefix)-\(index)", hostInterface: "\(bridge)-\(index)",
                   address: "\(network.host(UInt128(10 + index))!)", podCIDR: "10.244.\(index).0/24")
        }
    }

    /// The bridge's address without the prefix length.
    public var gateway: String { String(hostAddress.prefix { $0 != "/" }) }

    /// Refuses to touch anything already there: a link named like the bridge, a route overlapping the lab network or
    /// a pod CIDR, a network namespace of a member's name.
    public func checkUnused() throws(LocalClusterError) {
        let netlink: RouteNetlink, links: [Link], routes: [Route]
        do {
            netlink = try RouteNetlink()
            links = try netlink.links()
            routes = try netlink.routes(family: .v4, table: nil)
        } catch {
            throw LocalClusterError(.system, "cannot read this namespace's links and routes", cause: error)
        }
        if links.contains(where: { $0.name == bridge }) { throw LocalClusterError(.conflict, "an interface named \(bridge) exists already") }
        // Traffic to a local address (the bridge's, where the server listens) goes through lo: with lo down nothing
        // here would reach the server, and up would only wait for nodes that cannot register.
        if let loopback = links.first(where: { $0.name == "lo" }), !loopback.isUp {
            throw LocalClusterError(.invalid, "the loopback interface is down in this network namespace, so the server on \(gateway) could not be reached from here (ip link set lo up)")
        }
        let networks = [try! IPNetwork(parsing: hostAddress).masked] + members.map { try! IPNetwork(parsing: $0.podCIDR) }
        for route in routes where route.table == Route.mainTable && route.destination.prefixLength > 0 {
            for network in networks where network.contains(route.destination.address) || route.destination.contains(network.address) {
                throw LocalClusterError(.conflict, "\(network) is in use here (route to \(route.destination)); pick another --network")
            }
        }
        for member in members where FileManager.default.fileExists(atPath: NetworkNamespace.path(named: member.namespace)) {
            throw LocalClusterError(.conflict, "network namespace \(member.namespace) exists already (a lab is up? swiftlet lab down)")
        }
    }

    /// Creates the bridge, the namespaces and the veths; on failure removes what it made.
    public func create() throws(LocalClusterError) {
        do {
            let netlink = try RouteNetlink()
            try netlink.createBridge(named: bridge)
            try netlink.addAddress(try IPNetwork(parsing: hostAddress), to: .name(bridge))
            try netlink.setUp(.name(bridge))
            let gateway = try IPAddress(parsing: self.gateway)
            let prefixLength = try IPNetwork(parsing: hostAddress).prefixLength
            for member in members {
                let namespace = try NetworkNamespace.create(named: member.namespace)
                try netlink.createVeth(named: member.hostInterface, peerName: "eth0", peerNamespace: namespace)
                try netlink.setMaster(.name(member.hostInterface), .name(bridge))
                try netlink.setUp(.name(member.hostInterface))
                let inside = try RouteNetlink(in: namespace)
                try inside.setUp(.name("lo"))
                try inside.addAddress(try IPNetwork(address: try IPAddress(parsing: member.address), prefixLength: prefixLength), to: .name("eth0"))
                try inside.setUp(.name("eth0"))
                try inside.addRoute(Route(destination: try IPNetwork(parsing: "0.0.0.0/0"), gateway: gateway))
                try Sysctl.write("net.ipv4.ip_forward", "1", in: namespace)
                try netlink.replaceRoute(Route(destination: try IPNetwork(parsing: member.podCIDR), gateway: try IPAddress(parsing: member.address)))
            }
        } catch {
            remove()
            throw LocalClusterError(.system, "cannot set up the lab network", cause: error)
        }
    }

    /// Deletes the host ends of the veths (which takes their peers with them at once; a namespace's own devices
    /// are destroyed asynchronously after the namespace goes, so deleting the namespace first would leave the host
    /// end around for a moment), the namespaces and the bridge (with it the host's routes through it); whatever is
    /// already gone is skipped. Returns what could not be removed.
    @discardableResult
    public func remove() -> [String] {
        var failures: [String] = []
        if let netlink = try? RouteNetlink(), let links = try? netlink.links() {
            for name in members.map(\.hostInterface) + [bridge] where links.contains(where: { $0.name == name }) {
                do {
                    try netlink.deleteLink(.name(name))
                } catch let error as NetlinkError where error.errno == ENODEV {
                    continue
                } catch {
                    failures.append("link \(name): \(error)")
                }
            }
        } else {
            failures.append("cannot read links")
        }
        for member in members where FileManager.default.fileExists(atPath: NetworkNamespace.path(named: member.namespace)) {
            do { try NetworkNamespace.delete(named: member.namespace) } catch { failures.append("netns \(member.namespace): \(error)") }
        }
        return failures
    }
}
