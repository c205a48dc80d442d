extension Transaction {
    /// The netlink requests for the changes, in order: anonymous sets (and their elements) just before
    /// the rule using them, every new set with a batch-local ID (the kernel requires
    /// `NFTA_SET_ID`), set elements split into messages of bounded size.
    /// Throws for a rule deletion without a handle (the kernel would read it as "flush the chain").
    func messages() throws(NFTablesError) -> [Message] {
        var messages: [Message] = []
        var nextSetID: UInt32 = 1
        for change in changes {
            switch change {
            case .addTable(let table): messages.append(table.addMessage())
            case .deleteTable(let table): messages.append(table.deleteMessage())
            case .addChain(let chain): messages.append(chain.addMessage())
            case .deleteChain(let chain): messages.append(chain.deleteMessage())
            case .flushChain(let chain): messages.append(chain.flushMessage())
            case .flushRules(let table): messages.append(table.flushRulesMessage())
            case .addRule(let rule, let append):
                var ids: [UInt32] = []
                for set in rule.anonymousSets {
                    let descriptor = set.descriptor(id: nextSetID, for: rule)
                    ids.append(nextSetID)
                    nextSetID += 1
                    messages.append(descriptor.addMessage())
                    messages += descriptor.elementMessages(set.elements, delete: false)
                }
                messages.append(rule.addMessage(anonymousSetIDs: ids, append: append))
            case .deleteRule(let rule):
                guard rule.handle != nil else { throw .invalid("delete rule without handle from", rule.chainSummary) }
                messages.append(rule.deleteMessage())
            case .addSet(let set):
                var descriptor = set.descriptor
                descriptor.id = nextSetID
                nextSetID += 1
                messages.append(descriptor.addMessage())
            case .deleteSet(let set): messages.append(set.deleteMessage())
            case .flushSet(let set): messages.append(set.flushMessage())
            case .addElements(let elements, let set):
                messages += set.descriptor.elementMessages(elements, delete: false)
            case .deleteElements(let elements, let set):
                messages += set.descriptor.elementMessages(elements, delete: true)
            }
        }
        return messages
    }
}
