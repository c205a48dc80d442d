import Logging
import LinuxSystem
import Netlink
import NFTables

/// What a local cluster reads from and leaves in the network namespace it runs in.
public enum HostNetwork {
    /// The first global IPv4 address on an interface that is up, outside `excluding` (the pod network): the
    /// node's address, where cluster DNS listens.
    public static func firstGlobalIPv4(excluding: IPNetwork?) -> IPAddress? {
        guard let netlink = try? RouteNetlink(), let links = try? netlink.links(),
              let addresses = try? netlink.addresses(family: .v4) else { return nil }
        let up = Set(links.filter { $0.isUp && $0.name != "lo" }.map(\.index))
        return addresses.first { address in
            address.scope == 0 && up.contains(address.linkIndex) && !(excluding?.contains(address.address.address) ?? false)
        }?.address.address
    }

    /// After the node's runtime removed every sandbox: the CNI bridge (if no port is left on it) and the CNI
    /// plugins' nftables tables (if no container rule is left in them), so a stopped `swiftlet up` leaves the host's
    /// interfaces and ruleset as they were. Anything still in use stays and is logged.
    public static func removeCNILeftovers(bridge: String, logger: Logger) {
        if let netlink = try? RouteNetlink(), let links = try? netlink.links(), let link = links.first(where: { $0.name == bridge }) {
            if links.contains(where: { $0.masterIndex == link.index }) {
                logger.warning("CNI bridge still has ports, left in place", metadata: ["bridge": "\(bridge)"])
            } else {
                do { try netlink.deleteLink(.index(link.index)) } catch {
                    logger.warning("cannot delete the CNI bridge", metadata: ["bridge": "\(bridge)", "error": "\(error)"])
                }
            }
        }
        guard let socket = try? NetfilterSocket() else { return }
        let containerChains: [(Table, [String])] = [
            (Table("cni_plugins_masquerade", family: .inet), ["masq_checks"]),
            (Table("cni_hostport", family: .ip), ["hostports", "hostip_hostports", "masquerading"]),
            (Table("cni_hostport", family: .ip6), ["hostports", "hostip_hostports", "masquerading"]),
        ]
        let existing = Set(((try? socket.tables()) ?? []).map { "\($0.family) \($0.name)" })
        for (table, chains) in containerChains where existing.contains("\(table.family) \(table.name)") {
            guard let rules = try? socket.rules(in: table), !rules.contains(where: { chains.contains($0.chain) }) else {
                logger.warning("CNI table still holds container rules, left in place", metadata: ["table": "\(table.name)"])
                continue
            }
            var transaction = Transaction()
            transaction.delete(table)
            do { try socket.commit(transaction) } catch {
                logger.warning("cannot delete a CNI table", metadata: ["table": "\(table.name)", "error": "\(error)"])
            }
        }
    }
}
