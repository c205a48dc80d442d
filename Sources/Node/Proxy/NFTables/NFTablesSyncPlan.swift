import NFTables

/// What one sync sends to the kernel, as one ``Transaction``, and a readable account of it (what tests
/// and logs look at: which chains and elements a change touched).
///
/// A full plan rewrites the whole table in one transaction (every rule deleted and added again, chains
/// and sets not wanted deleted, the affinity sets of remaining endpoints kept with their entries), so the
/// kernel switches from the old rules to the new ones atomically. A partial plan is the difference
/// between what the kernel holds and what is wanted.
public struct NFTablesSyncPlan: Sendable {
    public var isFull: Bool
    /// Chains created.
    public var addedChains: [String] = []
    /// Existing chains flushed and refilled because their rules changed.
    public var rewrittenChains: [String] = []
    /// Chains no longer wanted: flushed now, deleted by a later sync (after their map elements are gone).
    public var flushedChains: [String] = []
    /// Chains flushed by an earlier sync, deleted now.
    public var deletedChains: [String] = []
    /// Elements added, by set.
    public var addedElements: [String: [SetElement]] = [:]
    /// Elements deleted, by set.
    public var deletedElements: [String: [SetElement]] = [:]
    /// Per-endpoint sets (ClientIP affinity) created, and deleted once no rule refers to them.
    public var addedSets: [String] = []
    public var deletedSets: [String] = []
    /// The kernel transaction.
    public var transaction = Transaction()

    /// Whether the sync has nothing to send.
    public var isEmpty: Bool { transaction.isEmpty }

    /// Whether the sync changes how traffic is handled: anything but a partial sync's removal of chains and sets that
    /// no rule or element refers to any more (flushed a second ago, or affinity sets of removed endpoints).
    public var changesTraffic: Bool {
        guard !isEmpty else { return false }
        return isFull || !addedChains.isEmpty || !rewrittenChains.isEmpty || !flushedChains.isEmpty || !addedSets.isEmpty
            || addedElements.values.contains { !$0.isEmpty } || deletedElements.values.contains { !$0.isEmpty }
    }

    /// Number of chain and element operations (a rough size of the change).
    public var changeCount: Int {
        addedChains.count + rewrittenChains.count + flushedChains.count + deletedChains.count + addedSets.count + deletedSets.count
            + addedElements.values.reduce(0) { $0 + $1.count } + deletedElements.values.reduce(0) { $0 + $1.count }
    }

    /// A one-line summary for logs.
    public var summary: String {
        "\(isFull ? "full" : "partial"): +\(addedChains.count) chains, ~\(rewrittenChains.count) rewritten, "
            + "-\(flushedChains.count) flushed, x\(deletedChains.count) deleted, "
            + "+\(addedElements.values.reduce(0) { $0 + $1.count }) elements, -\(deletedElements.values.reduce(0) { $0 + $1.count }) elements"
            + (addedSets.isEmpty && deletedSets.isEmpty ? "" : ", +\(addedSets.count) sets, -\(deletedSets.count) sets")
    }

    /// The chains and element keys a partial sync needs to compare.
    struct Touched: Sendable {
        var chains: Set<String> = []
        var elements: [String: Set<Value>] = [:]
        var sets: Set<String> = []

        /// Marks everything `model` holds as touched.
        mutating func formUnion(_ model: NFTablesModel) {
            chains.formUnion(model.chains.keys)
            sets.formUnion(model.sets.keys)
            for (set, elements) in model.elements { self.elements[set, default: []].formUnion(elements.keys) }
        }
    }

    /// What the kernel holds of the table before a full sync: names and definitions of its chains and
    /// named sets, not their rules or elements (read with two dumps; a sync never lists rules).
    struct KernelTable: Sendable {
        var exists: Bool
        var chains: [String: Chain] = [:]
        var sets: [String: NamedSet] = [:]

        static let missing = KernelTable(exists: false)
    }

    /// The plan that rewrites the table in place to hold exactly `desired`, in one transaction: every rule
    /// of the table is deleted (`flush table`), the verdict maps flushed, chains and sets that are not
    /// wanted (or whose definition differs) deleted, and everything wanted added again. Sets that stay —
    /// the per-endpoint ClientIP affinity sets of endpoints that still exist — keep their elements, so
    /// clients keep their endpoints across a full resync (and a restart of the proxy).
    static func full(_ desired: NFTablesModel, layout: NFTablesLayout, existing: KernelTable) -> NFTablesSyncPlan {
        var plan = NFTablesSyncPlan(isFull: true)
        var tx = Transaction()
        tx.add(layout.table)
        if existing.exists { tx.flushRules(in: layout.table) }

        var wantedSets: [String: NamedSet] = [:]
        for set in layout.sets { wantedSets[set.name] = set }
        for (name, set) in desired.sets { wantedSets[name] = set }
        var keptSets: Set<String> = []
        for name in existing.sets.keys.sorted() {
            let have = existing.sets[name]!
            if let want = wantedSets[name], Self.sameDefinition(have, want) {
                keptSets.insert(name)
                if layout.set(named: name) != nil || NFTablesLayout.isEndpointMap(name) { tx.flush(want) }  // refilled below
                continue
            }
            tx.delete(have)
            plan.deletedSets.append(name)
        }

        var chainNames = Set(desired.chains.keys)
        for base in layout.baseChains { chainNames.insert(base.name) }
        var keptChains: Set<String> = []
        for name in existing.chains.keys.sorted() {
            if chainNames.contains(name), existing.chains[name]?.hook == layout.chain(named: name).hook {
                keptChains.insert(name)
                continue
            }
            tx.delete(Chain(name, in: layout.table))
            plan.deletedChains.append(name)
        }
        let names = chainNames.sorted()
        for name in names where !keptChains.contains(name) {
            tx.add(layout.chain(named: name))
            if layout.baseChain(named: name) == nil { plan.addedChains.append(name) }
        }
        for name in creationOrder(wantedSets.keys, layout) where !keptSets.contains(name) {
            tx.add(wantedSets[name]!)
            if desired.sets[name] != nil { plan.addedSets.append(name) }
        }
        // Rules before elements: a rule that looks a map up binds it, and binding walks every element the
        // map's tree holds (`nf_tables_bind_set`: an rbtree walk per rule, ~1 s for 10k dispatch rules over
        // maps of 1,280 elements), while an element added to a bound map is only checked against each
        // binding (a register check; for verdicts a loop check, which the walk does too).
        for name in names {
            let chain = layout.chain(named: name)
            for rule in desired.chains[name] ?? [] { tx.add(Rule(in: chain, comment: rule.comment, rule.expressions)) }
        }
        for set in elementSets(layout, desired) {
            let elements = ordered(Array((desired.elements[set.name] ?? [:]).values), in: set)
            tx.add(elements: elements, to: set)
            if !elements.isEmpty { plan.addedElements[set.name] = elements }
        }
        plan.transaction = tx
        return plan
    }

    /// The sets whose elements the model lists (the layout's maps and the shared endpoint maps of `models`),
    /// in name order.
    static func elementSets(_ layout: NFTablesLayout, _ models: NFTablesModel...) -> [NamedSet] {
        var sets: [String: NamedSet] = [:]
        for set in layout.sets { sets[set.name] = set }
        for model in models {
            for (name, set) in model.sets where NFTablesLayout.isEndpointMap(name) { sets[name] = set }
        }
        return sets.keys.sorted().map { sets[$0]! }
    }

    /// Set names in the order to create them: the layout's sets and the endpoint maps first, then the
    /// per-endpoint affinity sets. The kernel finds a set by name walking the table's sets in creation
    /// order, and partial syncs name the shared maps, not the affinity sets.
    static func creationOrder(_ names: some Collection<String>, _ layout: NFTablesLayout) -> [String] {
        names.sorted { a, b in
            let (sharedA, sharedB) = (layout.set(named: a) != nil || NFTablesLayout.isEndpointMap(a),
                                      layout.set(named: b) != nil || NFTablesLayout.isEndpointMap(b))
            return sharedA != sharedB ? sharedA : a < b
        }
    }

    /// `elements` in the order the kernel takes them for an interval set: by key, and where a range ends
    /// at the start of the next, the interval end first (as `nft` sends them); others as they are.
    static func ordered(_ elements: [SetElement], in set: NamedSet) -> [SetElement] {
        guard set.flags.contains(.interval) else { return elements }
        return elements.sorted { a, b in
            a.key.bytes != b.key.bytes ? a.key.bytes.lexicographicallyPrecedes(b.key.bytes) : a.isIntervalEnd && !b.isIntervalEnd
        }
    }

    /// Whether a set read back from the kernel has the definition we would create.
    static func sameDefinition(_ have: NamedSet, _ want: NamedSet) -> Bool {
        have.keyType == want.keyType && have.dataType == want.dataType && have.flags == want.flags && have.timeout == want.timeout
    }

    /// The plan that writes `desired` into a freshly created table (`add table; delete table; add table;
    /// …` in one transaction): the fallback when the table cannot be rewritten in place. Affinity entries
    /// are lost.
    static func recreate(_ desired: NFTablesModel, layout: NFTablesLayout) -> NFTablesSyncPlan {
        var plan = NFTablesSyncPlan(isFull: true)
        var tx = Transaction()
        tx.add(layout.table)
        tx.delete(layout.table)
        tx.add(layout.table)
        let names = desired.chains.keys.sorted()
        for base in layout.baseChains { tx.add(base) }
        for name in names where layout.baseChain(named: name) == nil {
            tx.add(layout.chain(named: name))
            plan.addedChains.append(name)
        }
        for set in layout.sets { tx.add(set) }
        for name in creationOrder(desired.sets.keys, layout) {
            tx.add(desired.sets[name]!)
            plan.addedSets.append(name)
        }
        // Rules before elements: a rule that looks a map up binds it, and binding walks every element the
        // map's tree holds (`nf_tables_bind_set`: an rbtree walk per rule, ~1 s for 10k dispatch rules over
        // maps of 1,280 elements), while an element added to a bound map is only checked against each
        // binding (a register check; for verdicts a loop check, which the walk does too).
        for name in names {
            let chain = layout.chain(named: name)
            for rule in desired.chains[name] ?? [] { tx.add(Rule(in: chain, comment: rule.comment, rule.expressions)) }
        }
        for set in elementSets(layout, desired) {
            let elements = ordered(Array((desired.elements[set.name] ?? [:]).values), in: set)
            tx.add(elements: elements, to: set)
            if !elements.isEmpty { plan.addedElements[set.name] = elements }
        }
        plan.transaction = tx
        return plan
    }

    /// The plan that turns `current` (what the kernel holds, stale chains included as empty) into
    /// `desired`. Chains in `stale` flushed at least `staleDelay` before `now` are deleted.
    ///
    /// With `touched`, only those chains and element keys (plus the stale chains) are compared: the
    /// proxier knows which services changed, so a one-endpoint change costs the same at 10 or 10,000 services.
    static func partial(
        from current: NFTablesModel, to desired: NFTablesModel, layout: NFTablesLayout,
        stale: [String: ContinuousClock.Instant], now: ContinuousClock.Instant, staleDelay: Duration,
        touched: Touched? = nil
    ) -> NFTablesSyncPlan {
        var plan = NFTablesSyncPlan(isFull: false)
        var tx = Transaction()
        let chainNames: [String] = touched.map { Array($0.chains.union(stale.keys)).sorted() }
            ?? Array(Set(current.chains.keys).union(desired.chains.keys)).sorted()

        let setNames: [String] = touched.map { Array($0.sets).sorted() } ?? Array(Set(current.sets.keys).union(desired.sets.keys)).sorted()
        // A set whose definition changed (a new affinity timeout) is deleted and created again, which needs
        // every rule referring to it gone first: those chains are rewritten even if their rules are the same.
        let redefinedSets = Set(setNames.filter { current.sets[$0] != nil && desired.sets[$0] != nil && current.sets[$0] != desired.sets[$0] })

        // 1. New chains and sets exist before anything refers to them.
        func existing(_ name: String) -> [NFTablesModel.RuleSpec]? { current.chains[name] ?? (stale[name] != nil ? [] : nil) }
        for name in chainNames where desired.chains[name] != nil && existing(name) == nil {
            tx.add(layout.chain(named: name))
            plan.addedChains.append(name)
        }
        for name in setNames where current.sets[name] == nil {
            if let set = desired.sets[name] {
                tx.add(set)
                plan.addedSets.append(name)
            }
        }
        // 2. Elements that go or change go first, so no element points at a chain about to be flushed.
        var additions: [(NamedSet, [SetElement])] = []
        var elementSets = Self.elementSets(layout, current, desired)
        for name in (touched?.elements.keys).map(Array.init) ?? [] where NFTablesLayout.isEndpointMap(name) {
            if !elementSets.contains(where: { $0.name == name }) { elementSets.append(layout.endpointMap(named: name)) }
        }
        for set in elementSets {
            let have = current.elements[set.name] ?? [:]
            let want = desired.elements[set.name] ?? [:]
            var removed: [SetElement] = []
            var added: [SetElement] = []
            if let keys = touched?.elements[set.name] {
                for key in keys {
                    if let element = have[key], want[key] != element { removed.append(element) }
                    if let element = want[key], have[key] != element { added.append(element) }
                }
            } else if touched == nil {
                for (key, element) in have where want[key] != element { removed.append(element) }
                for (key, element) in want where have[key] != element { added.append(element) }
            }
            if set.flags.contains(.interval), !removed.isEmpty || !added.isEmpty, let keys = touched?.elements[set.name] {
                // The kernel refuses a range end inside a range it holds: ranges are replaced whole, every
                // element of the changed services deleted and added again in the same transaction.
                removed = keys.compactMap { have[$0] }
                added = keys.compactMap { want[$0] }
            }
            removed = Self.ordered(removed, in: set)
            added = Self.ordered(added, in: set)
            if !removed.isEmpty {
                tx.delete(elements: removed, from: set)
                plan.deletedElements[set.name] = removed
            }
            if !added.isEmpty {
                additions.append((set, added))
                plan.addedElements[set.name] = added
            }
        }
        // 3. Chains whose rules changed are flushed (refilled in 6).
        var refill: [String] = []
        for name in chainNames where desired.chains[name] != nil {
            let want = desired.chains[name] ?? []
            let have = existing(name)
            guard have != want || (have.map { Self.refers($0, toAnyOf: redefinedSets) } ?? false) else { continue }
            if let have, !have.isEmpty {
                tx.flush(layout.chain(named: name))
                plan.rewrittenChains.append(name)
            } else if have != nil {
                plan.rewrittenChains.append(name)
            }
            refill.append(name)
        }
        // 4. Chains no longer wanted: flush now, delete once they have been stale long enough.
        for name in chainNames where existing(name) != nil && desired.chains[name] == nil {
            let chain = layout.chain(named: name)
            if let since = stale[name] {
                if now - since >= staleDelay {
                    tx.delete(chain)
                    plan.deletedChains.append(name)
                }
            } else {
                if !(current.chains[name] ?? []).isEmpty { tx.flush(chain) }
                plan.flushedChains.append(name)
            }
        }
        // 5. Sets no rule refers to any more are deleted; redefined ones created again.
        for name in setNames {
            guard let set = current.sets[name], desired.sets[name] == nil || redefinedSets.contains(name) else { continue }
            tx.delete(set)
            plan.deletedSets.append(name)
            if let replacement = desired.sets[name] {
                tx.add(replacement)
                plan.addedSets.append(name)
            }
        }
        // 6. Rules of new and changed chains.
        for name in refill {
            let chain = layout.chain(named: name)
            for rule in desired.chains[name] ?? [] { tx.add(Rule(in: chain, comment: rule.comment, rule.expressions)) }
        }
        // 7. New and changed elements, now that their chains hold their rules.
        for (set, elements) in additions { tx.add(elements: elements, to: set) }
        plan.transaction = tx
        return plan
    }

    /// Whether any of `rules` looks up or updates one of `sets`.
    static func refers(_ rules: [NFTablesModel.RuleSpec], toAnyOf sets: Set<String>) -> Bool {
        guard !sets.isEmpty else { return false }
        return rules.contains { rule in
            rule.expressions.contains { expression in
                switch expression {
                case .lookup(.named(let name), _, _, _): sets.contains(name)
                case .dynset(let update): sets.contains(update.set)
                default: false
                }
            }
        }
    }
}
