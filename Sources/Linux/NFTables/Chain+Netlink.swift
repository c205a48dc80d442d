import CNftnl

extension Chain {
    /// Runs `body` with a libnftnl chain describing this one.
    func withNftnl<R>(_ body: (OpaquePointer) -> R) -> R {
        let chain = nftnl_chain_alloc()!
        defer { nftnl_chain_free(chain) }
        nftnl_chain_set_str(chain, attr(NFTNL_CHAIN_TABLE), table)
        nftnl_chain_set_str(chain, attr(NFTNL_CHAIN_NAME), name)
        nftnl_chain_set_u32(chain, attr(NFTNL_CHAIN_FAMILY), UInt32(family.rawValue))
        if let hook {
            nftnl_chain_set_str(chain, attr(NFTNL_CHAIN_TYPE), hook.kind.rawValue)
            nftnl_chain_set_u32(chain, attr(NFTNL_CHAIN_HOOKNUM), hook.hook.rawValue)
            nftnl_chain_set_s32(chain, attr(NFTNL_CHAIN_PRIO), hook.priority)
            nftnl_chain_set_u32(chain, attr(NFTNL_CHAIN_POLICY), hook.policy.rawValue)
        }
        return body(chain)
    }

    /// The request creating this chain (a no-op if it exists with the same hook).
    func addMessage() -> Message {
        message(.newChain, flags: Message.Flag.create | Message.Flag.ack, operation: "add")
    }

    /// The request deleting this (empty, unreferenced) chain.
    func deleteMessage() -> Message { message(.deleteChain, flags: Message.Flag.ack, operation: "delete") }

    /// The request deleting every rule of this chain.
    func flushMessage() -> Message {
        let rule = Rule(family: family, table: table, chain: name, [])
        return rule.withNftnl(anonymousSetIDs: []) { rule in
            Message(.deleteRule, family: family.rawValue, flags: Message.Flag.ack, operation: "flush",
                    object: summary) { nftnl_rule_nlmsg_build_payload($0, rule) }
        }
    }

    private func message(_ kind: Message.Kind, flags: UInt16, operation: String) -> Message {
        withNftnl { chain in
            Message(kind, family: family.rawValue, flags: flags, operation: operation, object: summary) {
                nftnl_chain_nlmsg_build_payload($0, chain)
            }
        }
    }

    /// Reads a chain from a parsed libnftnl object; `nil` for unknown families, hooks or types.
    init?(nftnl chain: OpaquePointer) {
        func u32(_ attribute: nftnl_chain_attr) -> UInt32 { nftnl_chain_get_u32(chain, attr(attribute)) }
        func isSet(_ attribute: nftnl_chain_attr) -> Bool { nftnl_chain_is_set(chain, attr(attribute)) }
        guard let family = Family(rawValue: UInt8(truncatingIfNeeded: u32(NFTNL_CHAIN_FAMILY)))
        else { return nil }
        var hook: BaseHook?
        if isSet(NFTNL_CHAIN_HOOKNUM) {
            guard let kind = Kind(rawValue: String(cString: nftnl_chain_get_str(chain, attr(NFTNL_CHAIN_TYPE)))),
                  let number = Hook(rawValue: u32(NFTNL_CHAIN_HOOKNUM))
            else { return nil }
            hook = BaseHook(
                kind, number, priority: nftnl_chain_get_s32(chain, attr(NFTNL_CHAIN_PRIO)),
                policy: Policy(rawValue: u32(NFTNL_CHAIN_POLICY)) ?? .accept)
        }
        self.init(
            String(cString: nftnl_chain_get_str(chain, attr(NFTNL_CHAIN_NAME))), family: family,
            table: String(cString: nftnl_chain_get_str(chain, attr(NFTNL_CHAIN_TABLE))), hook: hook,
            handle: nftnl_chain_get_u64(chain, attr(NFTNL_CHAIN_HANDLE)))
    }
}
