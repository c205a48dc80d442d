import LinuxSystem
import NFTables
#if canImport(Glibc)
import Glibc
#endif

/// `macspoofchk`: drops frames entering the bridge from the container's port whose source MAC is not
/// the container's, in the layout of the reference's spoof checker: table `bridge nat`, base chain
/// `PREROUTING` (filter, prerouting, priority -300) with `iifname HOSTVETH jump cni-br-iface-ID`
/// commented `macspoofchk-ID`, and that chain holding `ether saddr MAC return` and `drop`.
/// ID is a hash of container ID and interface name, so DEL removes exactly this attachment's rules.
enum MacSpoofCheck {
    static let table = Table("nat", family: .bridge)
    static let prerouting = Chain("PREROUTING", in: table, hook: .init(.filter, .prerouting, priority: -300))
    static let sourceMAC = PayloadField(.link, offset: 6, length: 6)

    static func id(containerID: String, ifName: String) -> String {
        NFTablesMasquerade.hash(containerID + "-" + ifName)
    }

    static func chain(_ id: String) -> Chain { Chain("cni-br-iface-\(id)", in: table) }

    /// Installs the check for the port `hostVeth` whose container end has `mac`.
    static func setUp(_ socket: NetfilterSocket, id: String, hostVeth: String, mac: String) throws {
        var transaction = try removal(socket, id: id)
        let chain = chain(id)
        transaction.add(table)
        transaction.add(prerouting)
        transaction.add(chain)
        transaction.add(Rule(in: chain, Expr.match(.payload(sourceMAC), .equal, try Value.etherAddress(mac)) + [.verdict(.return)]))
        transaction.add(Rule(in: chain, [.verdict(.drop)]))
        transaction.add(Rule(in: prerouting, comment: "macspoofchk-\(id)",
                             Expr.match(.meta(.iifname), .equal, Value.ifname(hostVeth)) + [.verdict(.jump(chain.name))]))
        try socket.commit(transaction)
    }

    /// Removes the check of attachment `id`; nothing installed is fine.
    static func tearDown(_ socket: NetfilterSocket, id: String) throws {
        let transaction = try removal(socket, id: id)
        if !transaction.isEmpty { try socket.commit(transaction) }
    }

    /// Deletes the jump and the per-attachment chain, if present.
    private static func removal(_ socket: NetfilterSocket, id: String) throws(NFTablesError) -> Transaction {
        var transaction = Transaction()
        let rules: [Rule]
        do {
            rules = try socket.rules(in: table, chain: prerouting.name)
        } catch {
            guard error.errno == ENOENT else { throw error }
            return transaction
        }
        for rule in rules where rule.comment == "macspoofchk-\(id)" { transaction.delete(rule) }
        if try socket.chains(in: table).contains(where: { $0.name == chain(id).name }) {
            transaction.flush(chain(id))
            transaction.delete(chain(id))
        }
        return transaction
    }
}
