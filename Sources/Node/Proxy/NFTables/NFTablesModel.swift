import NFTables

/// The proxy's table as a value: the rules of every chain and the elements of every named set.
///
/// The proxier keeps one of these for what the kernel holds and builds one for what it wants; the
/// difference is what a partial sync sends (see ``NFTablesSyncPlan``).
public struct NFTablesModel: Hashable, Sendable {
    /// One rule without its chain: the expressions and the comment `nft list` shows.
    public struct RuleSpec: Hashable, Sendable {
        public var expressions: [Expr]
        public var comment: String?

        public init(_ expressions: [Expr], comment: String? = nil) {
            self.expressions = expressions
            self.comment = comment
        }
    }

    /// Rules by chain name, base chains included.
    public var chains: [String: [RuleSpec]]
    /// Elements by set name, keyed by the element key.
    public var elements: [String: [Value: SetElement]]
    /// Sets besides the layout's fixed ones, by name: the shared endpoint maps (whose elements are in
    /// ``elements``) and the per-endpoint ClientIP affinity sets, whose elements the kernel adds from the
    /// packet path (so ``elements`` never lists them).
    public var sets: [String: NamedSet]

    public init(chains: [String: [RuleSpec]] = [:], elements: [String: [Value: SetElement]] = [:], sets: [String: NamedSet] = [:],
                references: [String: [Value: Int]] = [:]) {
        self.chains = chains
        self.elements = elements
        self.sets = sets
        self.references = references
    }

    /// How many fragments hold each element of a set several services may share (the hairpin pairs of an
    /// endpoint address behind several service ports): the element stays while any does.
    public var references: [String: [Value: Int]] = [:]

    /// Sets whose elements several fragments may hold.
    static let sharedSets: Set<String> = [NFTablesLayout.hairpinEndpoints]

    /// The key `element` is filed under: its key, or for the interval end of a range (which may share its
    /// key with the start of the next range) the key with a marker byte.
    static func modelKey(_ element: SetElement) -> Value {
        element.isIntervalEnd ? Value(element.key.bytes + [0xEE]) : element.key
    }

    /// Adds (or replaces) `element` of `set`.
    mutating func insert(_ element: SetElement, into set: String) {
        elements[set, default: [:]][Self.modelKey(element)] = element
    }

    /// Removes what `fragment` added: its chains, and its elements where they still hold its values (shared
    /// elements once no other fragment holds them).
    mutating func remove(_ fragment: NFTablesModel) {
        for name in fragment.chains.keys { chains[name] = nil }
        for name in fragment.sets.keys { sets[name] = nil }
        for (set, elements) in fragment.elements {
            let shared = Self.sharedSets.contains(set)
            for (key, element) in elements where self.elements[set]?[key] == element {
                if shared {
                    let count = (references[set]?[key] ?? 1) - 1
                    references[set, default: [:]][key] = count > 0 ? count : nil
                    if count > 0 { continue }
                }
                self.elements[set]?[key] = nil
            }
        }
    }

    /// Adds `fragment`'s chains and elements, replacing any with the same names or keys.
    mutating func merge(_ fragment: NFTablesModel) {
        for (name, rules) in fragment.chains { chains[name] = rules }
        for (name, set) in fragment.sets { sets[name] = set }
        for (set, elements) in fragment.elements {
            let shared = Self.sharedSets.contains(set)
            for (key, element) in elements {
                if shared { references[set, default: [:]][key, default: 0] += 1 }
                self.elements[set, default: [:]][key] = element
            }
        }
    }

    /// Makes room for `counts[set]` elements of each set (and as many references for the shared ones).
    mutating func reserveCapacity(elements counts: [String: Int]) {
        for (set, count) in counts where count > 0 {
            elements[set, default: [:]].reserveCapacity(count)
            if Self.sharedSets.contains(set) { references[set, default: [:]].reserveCapacity(count) }
        }
    }

    /// Total number of rules.
    public var ruleCount: Int { chains.values.reduce(0) { $0 + $1.count } }
    /// Total number of set elements.
    public var elementCount: Int { elements.values.reduce(0) { $0 + $1.count } }
}
