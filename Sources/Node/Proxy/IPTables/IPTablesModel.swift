/// The proxy's iptables rules as `iptables-restore` lines: for each table, each chain the proxy owns
/// and its rules in order (`-A CHAIN …`), exactly as they are written.
///
/// The proxier keeps the model of what the kernel holds, so a partial sync writes only the chains whose
/// lines differ and deletes the chains no longer wanted.
public struct IPTablesModel: Hashable, Sendable {
    /// The tables the proxy writes.
    public enum Table: String, Hashable, Sendable, CaseIterable, Comparable {
        case filter
        case nat

        public static func < (lhs: Table, rhs: Table) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Chain name → its rule lines, per table.
    public var chains: [Table: [String: [String]]]

    public init(chains: [Table: [String: [String]]] = [:]) { self.chains = chains }

    /// The rule lines of `chain` in `table`, `nil` if the chain is not there.
    public subscript(table: Table, chain: String) -> [String]? {
        get { chains[table]?[chain] }
        set { chains[table, default: [:]][chain] = newValue }
    }

    /// Chains across tables.
    public var chainCount: Int { chains.values.reduce(0) { $0 + $1.count } }
    /// Rules across tables.
    public var ruleCount: Int { chains.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }
}
