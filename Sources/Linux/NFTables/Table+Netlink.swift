import CNftnl

extension Table {
    /// Runs `body` with a libnftnl table describing this one.
    func withNftnl<R>(_ body: (OpaquePointer) -> R) -> R {
        let table = nftnl_table_alloc()!
        defer { nftnl_table_free(table) }
        nftnl_table_set_str(table, attr(NFTNL_TABLE_NAME), name)
        nftnl_table_set_u32(table, attr(NFTNL_TABLE_FAMILY), UInt32(family.rawValue))
        if !flags.isEmpty { nftnl_table_set_u32(table, attr(NFTNL_TABLE_FLAGS), flags.rawValue) }
        return body(table)
    }

    /// The request creating this table (a no-op if it exists, like `nft add table`).
    func addMessage() -> Message {
        withNftnl { table in
            Message(.newTable, family: family.rawValue, flags: Message.Flag.create | Message.Flag.ack,
                    operation: "add", object: summary) { nftnl_table_nlmsg_build_payload($0, table) }
        }
    }

    /// The request deleting this table with everything in it.
    func deleteMessage() -> Message {
        withNftnl { table in
            Message(.deleteTable, family: family.rawValue, flags: Message.Flag.ack, operation: "delete",
                    object: summary) { nftnl_table_nlmsg_build_payload($0, table) }
        }
    }

    /// The request deleting every rule of every chain of this table (a rule deletion naming no chain).
    func flushRulesMessage() -> Message {
        let rule = Rule(family: family, table: name, chain: "", [])
        return rule.withNftnl(anonymousSetIDs: []) { rule in
            nftnl_rule_unset(rule, attr(NFTNL_RULE_CHAIN))
            return Message(.deleteRule, family: family.rawValue, flags: Message.Flag.ack, operation: "flush rules of",
                           object: summary) { nftnl_rule_nlmsg_build_payload($0, rule) }
        }
    }

    /// Reads a table from a parsed libnftnl object; `nil` for families this model does not know.
    init?(nftnl table: OpaquePointer) {
        guard let family = Family(rawValue: UInt8(truncatingIfNeeded: nftnl_table_get_u32(table, attr(NFTNL_TABLE_FAMILY))))
        else { return nil }
        self.init(
            String(cString: nftnl_table_get_str(table, attr(NFTNL_TABLE_NAME))), family: family,
            flags: Flags(rawValue: nftnl_table_get_u32(table, attr(NFTNL_TABLE_FLAGS))),
            handle: nftnl_table_get_u64(table, attr(NFTNL_TABLE_HANDLE)))
    }
}
