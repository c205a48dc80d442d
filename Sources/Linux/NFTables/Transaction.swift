/// A list of changes the kernel applies all-or-nothing: one netlink batch, one nf_tables transaction.
///
///     var tx = Transaction()
///     tx.add(table)
///     tx.add(chain)
///     tx.add(serviceIPs)
///     tx.add(rule)
///     tx.add(elements: [element], to: serviceIPs)
///     try socket.commit(tx)
///
/// Changes apply in the order they were added. If any fails the kernel rolls back the whole batch and
/// ``NetfilterSocket/commit(_:)`` throws the ``NFTablesError`` of the first failed change.
public struct Transaction: Sendable {
    /// One requested change.
    enum Change: Sendable {
        case addTable(Table)
        case deleteTable(Table)
        case addChain(Chain)
        case deleteChain(Chain)
        case flushChain(Chain)
        case flushRules(Table)
        case addRule(Rule, append: Bool)
        case deleteRule(Rule)
        case addSet(NamedSet)
        case deleteSet(NamedSet)
        case flushSet(NamedSet)
        case addElements([SetElement], NamedSet)
        case deleteElements([SetElement], NamedSet)
    }

    private(set) var changes: [Change] = []

    public init() {}

    /// Whether nothing has been added.
    public var isEmpty: Bool { changes.isEmpty }

    /// Creates `table` unless it exists.
    public mutating func add(_ table: Table) { changes.append(.addTable(table)) }
    /// Deletes `table` with all its chains, rules and sets.
    public mutating func delete(_ table: Table) { changes.append(.deleteTable(table)) }

    /// Creates `chain` unless it exists.
    public mutating func add(_ chain: Chain) { changes.append(.addChain(chain)) }
    /// Deletes `chain`, which must be empty and unreferenced (flush it first).
    public mutating func delete(_ chain: Chain) { changes.append(.deleteChain(chain)) }
    /// Deletes every rule of `chain`.
    public mutating func flush(_ chain: Chain) { changes.append(.flushChain(chain)) }
    /// Deletes every rule of every chain of `table` (`nft flush table`), keeping chains, sets and elements.
    public mutating func flushRules(in table: Table) { changes.append(.flushRules(table)) }

    /// Appends `rule` to its chain, creating any anonymous sets its lookups define.
    public mutating func add(_ rule: Rule) { changes.append(.addRule(rule, append: true)) }
    /// Inserts `rule` at the start of its chain.
    public mutating func insert(_ rule: Rule) { changes.append(.addRule(rule, append: false)) }
    /// Deletes `rule`, identified by its ``Rule/handle`` (read it back first).
    public mutating func delete(_ rule: Rule) { changes.append(.deleteRule(rule)) }

    /// Creates `set` unless it exists with the same definition.
    public mutating func add(_ set: NamedSet) { changes.append(.addSet(set)) }
    /// Deletes `set`, which no rule may reference.
    public mutating func delete(_ set: NamedSet) { changes.append(.deleteSet(set)) }
    /// Deletes every element of `set`.
    public mutating func flush(_ set: NamedSet) { changes.append(.flushSet(set)) }

    /// Adds `elements` to `set` (existing identical elements are kept).
    public mutating func add(elements: [SetElement], to set: NamedSet) {
        if !elements.isEmpty { changes.append(.addElements(elements, set)) }
    }

    /// Deletes `elements` (matched by key) from `set`.
    public mutating func delete(elements: [SetElement], from set: NamedSet) {
        if !elements.isEmpty { changes.append(.deleteElements(elements, set)) }
    }

    /// Appends all of `other`'s changes after this one's.
    public mutating func append(contentsOf other: Transaction) { changes += other.changes }
}
