import LinuxSystem
import NFTables
#if canImport(Glibc)
import Glibc
#endif

/// The portmap rules in nf_tables, in the layout of the reference's nftables backend: per family a
/// table `ip cni_hostport` / `ip6 cni_hostport` with
///
///     chain hostports          { tcp dport 8080 dnat to 10.88.0.5:80 comment "<id>, net: <name>" }
///     chain hostip_hostports   { ip daddr 192.0.2.1 tcp dport 8080 dnat to … comment "…" }
///     chain prerouting   { type nat hook prerouting priority dstnat;  <conditions> jump hostip_hostports; <conditions> jump hostports }
///     chain output       { type nat hook output priority -100;        <conditions> jump hostip_hostports; <conditions> oifname "lo" jump hostports }
///     chain masquerading { type nat hook postrouting priority srcnat; ip saddr C ip daddr C masquerade; ip saddr 127.0.0.1 ip daddr C masquerade }
///
/// Every per-container rule carries the comment ``comment(containerID:network:)``, so DEL and GC
/// delete exactly the rules of one attachment even when a later container reuses the address.
///
/// `output` uses `oifname "lo"` where the reference has `fib daddr type local`: a locally generated
/// packet to a local address is routed through `lo` before the output hook, so the two agree there.
enum PortmapRules {
    static let tableName = "cni_hostport"
    static let hostPorts = "hostports"
    static let hostIPHostPorts = "hostip_hostports"
    static let masquerading = "masquerading"
    /// The chains holding per-container rules.
    static let containerChains = [hostPorts, hostIPHostPorts, masquerading]
    /// knftables' `CommentLengthMax`.
    static let commentLimit = 128

    static func table(_ family: IPFamily) -> Table { Table(tableName, family: family == .v4 ? .ip : .ip6) }

    /// `<containerID>, net: <network>`: starts with the container ID as the reference's comment does.
    static func comment(containerID: String, network: String) -> String {
        String("\(containerID), net: \(network)".replacing("\"", with: "").prefix(commentLimit))
    }

    /// What ADD programs for one container address: the shared tables and chains, and the rules
    /// carrying the attachment's comment.
    struct Plan {
        var skeleton = Transaction()
        var containerRules: [Rule] = []

        /// The skeleton followed by the container's rules, as one transaction.
        var transaction: Transaction {
            var transaction = skeleton
            for rule in containerRules { transaction.add(rule) }
            return transaction
        }
    }

    /// The plan for `container` (one address).
    static func plan(_ config: PortmapConfig, container: IPAddress, comment: String) throws(CNIError) -> Plan {
        let family = container.family
        let table = table(family)
        let conditions = try PortmapConditions.expressions(config.conditions(family), family: family)
        let prerouting = Chain("prerouting", in: table, hook: .init(.nat, .prerouting, priority: Chain.Priority.dstnat))
        let output = Chain("output", in: table, hook: .init(.nat, .output, priority: Chain.Priority.dstnat))
        var plan = Plan()
        var transaction = Transaction()
        transaction.add(table)
        transaction.add(Chain(hostPorts, in: table))
        transaction.add(Chain(hostIPHostPorts, in: table))
        for chain in [prerouting, output] {
            transaction.add(chain)
            transaction.flush(chain)
            transaction.add(Rule(in: chain, conditions + [.verdict(.jump(hostIPHostPorts))]))
        }
        transaction.add(Rule(in: prerouting, conditions + [.verdict(.jump(hostPorts))]))
        transaction.add(Rule(in: output, conditions + Expr.match(.meta(.oifname), .equal, Value.ifname("lo")) + [.verdict(.jump(hostPorts))]))

        let containerValue = try value(container)
        let daddr: PayloadField = family == .v4 ? .ipDaddr : .ip6Daddr
        let saddr: PayloadField = family == .v4 ? .ipSaddr : .ip6Saddr
        var applied: [PortMapping] = []
        for mapping in config.mappings {
            let hostIP = try mapping.parsedHostIP()
            if let hostIP, hostIP.family != family { continue }
            applied.append(mapping)
            let proto = try mapping.protocolValue()
            let dnat = Expr.destinationPort(UInt16(mapping.hostPort), proto: proto)
                + Expr.dnat(to: containerValue, port: UInt16(mapping.containerPort))
            if let hostIP, hostIP.value != 0 {
                let match = Expr.match(.payload(daddr), .equal, try value(hostIP))
                plan.containerRules.append(Rule(in: Chain(hostIPHostPorts, in: table), comment: comment, match + dnat))
            } else {
                plan.containerRules.append(Rule(in: Chain(hostPorts, in: table), comment: comment, dnat))
            }
        }
        guard config.snat else {
            plan.skeleton = transaction
            return plan
        }
        let masquerading = Chain(masquerading, in: table, hook: .init(.nat, .postrouting, priority: Chain.Priority.srcnat))
        transaction.add(masquerading)
        plan.skeleton = transaction
        let toContainer = Expr.match(.payload(daddr), .equal, containerValue)
        var sources = [containerValue]
        if family == .v4 { sources.append(try value(IPAddress("127.0.0.1")!)) }
        for source in sources {
            plan.containerRules.append(Rule(in: masquerading, comment: comment, Expr.match(.payload(saddr), .equal, source) + toContainer + [Expr.masquerade()]))
        }
        if config.masqAll {
            // Every connection that arrived on one of the host ports, whatever its source.
            for mapping in applied {
                let arrived = Expr.l4proto(try mapping.protocolValue())
                    + Expr.match(.ct(.protoDestination, direction: .original), .equal, .inetService(UInt16(mapping.hostPort)))
                plan.containerRules.append(Rule(in: masquerading, comment: comment, toContainer + arrived + [Expr.masquerade()]))
            }
        }
        return plan
    }

    /// The per-container rules of `family` whose comment satisfies `matches`; none when the table
    /// or a chain does not exist.
    static func rules(_ socket: NetfilterSocket, _ family: IPFamily, where matches: (String) -> Bool) throws(NFTablesError) -> [Rule] {
        var found: [Rule] = []
        for chain in containerChains {
            do {
                found += try socket.rules(in: table(family), chain: chain).filter { matches($0.comment ?? "") }
            } catch {
                guard error.errno == ENOENT else { throw error }
            }
        }
        return found
    }

    private static func value(_ address: IPAddress) throws(CNIError) -> Value {
        do {
            return try Value.address(address.description)
        } catch {
            throw CNIError(.invalidNetworkConfig, "portmap: invalid address \(address)", details: error.description)
        }
    }
}
