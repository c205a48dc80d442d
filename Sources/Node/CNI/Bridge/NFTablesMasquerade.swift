import LinuxSystem
import NFTables
#if canImport(Glibc)
import Glibc
#endif

/// The bridge's `ipMasq` in nf_tables, in the layout of the reference's nftables backend: table
/// `inet cni_plugins_masquerade`, a `postrouting` NAT base chain that skips multicast and jumps to
/// `masq_checks`, and there one rule per container address,
/// `ip saddr ADDR ip daddr != SUBNET masquerade`, commented
/// `<network hash>-<attachment hash>, net: N, if: I, id: C` so DEL and GC find their rules.
///
/// The hashes are 16 hex digits of FNV-1a (the reference uses SHA-512), so rules of the two
/// implementations never match each other's prefixes even in the shared table.
public struct NFTablesMasquerade: Masquerade {
    static let table = Table("cni_plugins_masquerade", family: .inet)
    static let checks = Chain("masq_checks", in: table)
    static let postrouting = Chain("postrouting", in: table, hook: .init(.nat, .postrouting, priority: Chain.Priority.srcnat))
    /// knftables' `CommentLengthMax`.
    static let commentLimit = 128

    private let namespace: NetworkNamespace?

    /// Programs `namespace`, or the plugin's own namespace when `nil`.
    public init(namespace: NetworkNamespace? = nil) {
        self.namespace = namespace
    }

    public func setUp(_ addresses: [IPNetwork], network: String, _ environment: PluginEnvironment) async throws(CNIError) {
        let comment = Self.comment(network: network, environment)
        let prefix = Self.instanceHash(network: network, environment)
        try await withSocket("set up masquerading") { socket in
            let existing = try Self.tableRules(socket)
            var transaction = Transaction()
            // The shared skeleton is rewritten only when it is not intact: a flush and re-add in every
            // ADD would make each commit wait for the kernel to retire the old rules.
            if existing.filter({ $0.chain == Self.postrouting.name }).count != 3 {
                transaction.add(Self.table)
                transaction.add(Self.checks)
                transaction.add(Self.postrouting)
                transaction.flush(Self.postrouting)
                transaction.add(Rule(in: Self.postrouting, try Self.family(.v4) + Expr.match(.ipDaddr, network: "224.0.0.0/4") + [.verdict(.return)]))
                transaction.add(Rule(in: Self.postrouting, try Self.family(.v6) + Expr.match(.ip6Daddr, network: "ff00::/8") + [.verdict(.return)]))
                transaction.add(Rule(in: Self.postrouting, [.verdict(.goto(Self.checks.name))]))
            }
            for stale in existing where stale.chain == Self.checks.name && stale.comment?.hasPrefix(prefix) == true {
                transaction.delete(stale)
            }
            for address in addresses {
                let isIPv4 = address.address.isIPv4
                let rule = try Self.family(isIPv4 ? .v4 : .v6)
                    + Expr.match(.payload(isIPv4 ? .ipSaddr : .ip6Saddr), .equal, Value.address(address.address.description))
                    + Expr.match(isIPv4 ? .ipDaddr : .ip6Daddr, network: address.masked.description, .notEqual)
                    + [Expr.masquerade()]
                transaction.add(Rule(in: Self.checks, comment: comment, rule))
            }
            try socket.commit(transaction)
        }
    }

    public func tearDown(_ addresses: [IPNetwork], network: String, _ environment: PluginEnvironment) async throws(CNIError) {
        let prefix = Self.instanceHash(network: network, environment)
        try await withSocket("tear down masquerading") { socket in
            var transaction = Transaction()
            for rule in try Self.rules(socket, commentPrefix: prefix) { transaction.delete(rule) }
            if !transaction.isEmpty { try socket.commit(transaction) }
        }
    }

    /// Deletes the rules of `network` whose attachment is not in `valid`.
    public func garbageCollect(network: String, valid: [GCAttachment]) async throws(CNIError) {
        let keep = Set(valid.map {
            Self.comment(network: network, PluginEnvironment(command: .garbageCollect, containerID: $0.containerID, ifName: $0.ifname))
        })
        try await withSocket("collect masquerading rules") { socket in
            var transaction = Transaction()
            for rule in try Self.rules(socket, commentPrefix: Self.hash(network)) where !keep.contains(rule.comment ?? "") {
                transaction.delete(rule)
            }
            if !transaction.isEmpty { try socket.commit(transaction) }
        }
    }

    /// The rules of `masq_checks` whose comment starts with `prefix`; none when the table is absent.
    static func rules(_ socket: NetfilterSocket, commentPrefix prefix: String) throws(NFTablesError) -> [Rule] {
        try tableRules(socket).filter { $0.chain == checks.name && $0.comment?.hasPrefix(prefix) == true }
    }

    /// Every rule of the table; none when it is absent.
    static func tableRules(_ socket: NetfilterSocket) throws(NFTablesError) -> [Rule] {
        do {
            return try socket.rules(in: table)
        } catch {
            guard error.errno == ENOENT else { throw error }
            return []
        }
    }

    private func withSocket(_ what: String, _ body: @escaping @Sendable (NetfilterSocket) throws -> Void) async throws(CNIError) {
        do {
            if let namespace, InlineExecution.isActive {
                try namespace.runOnCallingThread { try body(NetfilterSocket()) }
            } else if let namespace {
                try await namespace.perform { try body(NetfilterSocket()) }
            } else {
                try body(NetfilterSocket())
            }
        } catch {
            throw CNIError(.networkSetupFailure, "bridge: failed to \(what)", details: String(describing: error))
        }
    }

    /// `meta nfproto ipv4|ipv6`: the dependency `nft` adds in an `inet` table.
    private static func family(_ family: IPFamily) throws -> [Expr] {
        Expr.match(.meta(.nfproto), .equal, Value([family == .v4 ? 2 : 10]))
    }

    static func comment(network: String, _ environment: PluginEnvironment) -> String {
        let text = "\(instanceHash(network: network, environment)), net: \(network.replacing("\"", with: "")), "
            + "if: \(environment.ifName.replacing("\"", with: "")), id: \(environment.containerID.replacing("\"", with: ""))"
        return String(text.prefix(commentLimit))
    }

    static func instanceHash(network: String, _ environment: PluginEnvironment) -> String {
        hash(network) + "-" + hash(environment.ifName + ":" + environment.containerID)
    }

    /// 16 hex digits of the 64-bit FNV-1a hash of `text`.
    static func hash(_ text: String) -> String {
        let value = text.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
