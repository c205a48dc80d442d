import CNftnl

/// Reading the ruleset back as the typed model, so callers can verify what the kernel holds.
extension NetfilterSocket {
    /// The tables of `family`, or of every family.
    public func tables(family: Family? = nil) throws(NFTablesError) -> [Table] {
        var tables: [Table] = []
        let request = Message(.getTable, family: family?.rawValue ?? 0, flags: 0, operation: "list", object: "tables") { _ in }
        try query(request, dump: true) { nlh in
            let table = nftnl_table_alloc()!
            defer { nftnl_table_free(table) }
            if nftnl_table_nlmsg_parse(nlh, table) == 0, let parsed = Table(nftnl: table) { tables.append(parsed) }
        }
        return tables
    }

    /// The chains of `table`, base and regular.
    public func chains(in table: Table) throws(NFTablesError) -> [Chain] {
        var chains: [Chain] = []
        let request = Message(.getChain, family: table.family.rawValue, flags: 0, operation: "list chains of",
                              object: table.summary) { _ in }
        try query(request, dump: true) { nlh in
            let chain = nftnl_chain_alloc()!
            defer { nftnl_chain_free(chain) }
            if nftnl_chain_nlmsg_parse(nlh, chain) == 0, let parsed = Chain(nftnl: chain), parsed.table == table.name {
                chains.append(parsed)
            }
        }
        return chains
    }

    /// The rules of `table` (of one chain if `chain` is given), in chain order. Lookups in anonymous
    /// sets come back as `.anonymous` with the elements the kernel holds (in the kernel's order).
    public func rules(in table: Table, chain: String? = nil) throws(NFTablesError) -> [Rule] {
        var rules: [Rule] = []
        let filter = Rule(family: table.family, table: table.name, chain: chain ?? "", [])
        let request = filter.withNftnl(anonymousSetIDs: []) { rule in
            if chain == nil { nftnl_rule_unset(rule, attr(NFTNL_RULE_CHAIN)) }
            return Message(.getRule, family: table.family.rawValue, flags: 0, operation: "list rules of",
                           object: chain.map { "chain \(table.family) \(table.name)/\($0)" } ?? table.summary) {
                nftnl_rule_nlmsg_build_payload($0, rule)
            }
        }
        try query(request, dump: true) { (nlh) throws(NFTablesError) in
            let rule = nftnl_rule_alloc()!
            defer { nftnl_rule_free(rule) }
            if nftnl_rule_nlmsg_parse(nlh, rule) == 0, let parsed = try Rule(nftnl: rule) { rules.append(parsed) }
        }
        return try inliningAnonymousSets(rules, in: table)
    }

    /// The named sets and maps of `table` (anonymous sets are left out, see ``rules(in:chain:)``).
    public func sets(in table: Table) throws(NFTablesError) -> [NamedSet] {
        try allSets(in: table).filter { !$0.anonymous }.map(\.set)
    }

    /// The elements of `set`, in the kernel's order (interval sets: starts and interval ends).
    public func elements(of set: NamedSet) throws(NFTablesError) -> [SetElement] {
        var elements: [SetElement] = []
        let request = set.descriptor.withNftnl { nftnlSet in
            Message(.getSetElement, family: set.family.rawValue, flags: 0, operation: "list elements of",
                    object: set.summary) { nftnl_set_elems_nlmsg_build_payload($0, nftnlSet) }
        }
        try query(request, dump: true) { nlh in
            let parsed = nftnl_set_alloc()!
            defer { nftnl_set_free(parsed) }
            guard nftnl_set_elems_nlmsg_parse(nlh, parsed) == 0 else { return }
            let iterator = nftnl_set_elems_iter_create(parsed)
            defer { nftnl_set_elems_iter_destroy(iterator) }
            while let element = nftnl_set_elems_iter_next(iterator) {
                elements.append(SetElement(nftnl: element))
            }
        }
        return elements
    }

    private func allSets(in table: Table) throws(NFTablesError) -> [(set: NamedSet, anonymous: Bool)] {
        var sets: [(set: NamedSet, anonymous: Bool)] = []
        let filter = SetDescriptor(family: table.family, table: table.name, name: "", keyType: [], flags: 0)
        let request = filter.withNftnl { set in
            nftnl_set_unset(set, attr(NFTNL_SET_NAME))
            return Message(.getSet, family: table.family.rawValue, flags: 0, operation: "list sets of",
                           object: table.summary) { nftnl_set_nlmsg_build_payload($0, set) }
        }
        try query(request, dump: true) { nlh in
            let set = nftnl_set_alloc()!
            defer { nftnl_set_free(set) }
            if nftnl_set_nlmsg_parse(nlh, set) == 0, let parsed = NamedSet.from(nftnl: set), parsed.set.table == table.name {
                sets.append(parsed)
            }
        }
        return sets
    }

    private func inliningAnonymousSets(_ rules: [Rule], in table: Table) throws(NFTablesError) -> [Rule] {
        let usesAnonymous = rules.contains { rule in
            rule.expressions.contains { if case .lookup(.named(let name), _, _, _) = $0 { name.hasPrefix("__") } else { false } }
        }
        guard usesAnonymous else { return rules }
        var anonymous: [String: AnonymousSet] = [:]
        for (set, isAnonymous) in try allSets(in: table) where isAnonymous {
            anonymous[set.name] = AnonymousSet(key: set.keyType, data: set.dataType, interval: set.flags.contains(.interval),
                                               elements: try elements(of: set))
        }
        return rules.map { rule in
            var rule = rule
            rule.expressions = rule.expressions.map { expression in
                guard case .lookup(.named(let name), let from, let into, let inverted) = expression,
                      let set = anonymous[name] else { return expression }
                return .lookup(.anonymous(set), from: from, into: into, inverted: inverted)
            }
            return rule
        }
    }
}
