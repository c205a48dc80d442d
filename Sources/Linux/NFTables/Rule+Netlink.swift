#if canImport(Glibc)
import Glibc
#endif
import CNftnl

extension Rule {
    /// The anonymous sets this rule's lookups define, in order; the batch creates them before the rule.
    var anonymousSets: [AnonymousSet] {
        expressions.compactMap { expression in
            if case .lookup(.anonymous(let set), _, _, _) = expression { set } else { nil }
        }
    }

    /// Runs `body` with a libnftnl rule describing this one; `anonymousSetIDs` are the batch IDs of
    /// ``anonymousSets``.
    func withNftnl<R>(anonymousSetIDs: [UInt32], _ body: (OpaquePointer) -> R) -> R {
        let rule = nftnl_rule_alloc()!
        defer { nftnl_rule_free(rule) }
        nftnl_rule_set_str(rule, attr(NFTNL_RULE_TABLE), table)
        nftnl_rule_set_str(rule, attr(NFTNL_RULE_CHAIN), chain)
        nftnl_rule_set_u32(rule, attr(NFTNL_RULE_FAMILY), UInt32(family.rawValue))
        if let handle { nftnl_rule_set_u64(rule, attr(NFTNL_RULE_HANDLE), handle) }
        if let comment {
            let userData = Self.commentUserData(comment)
            _ = userData.withUnsafeBytes {
                nftnl_rule_set_data(rule, attr(NFTNL_RULE_USERDATA), $0.baseAddress, UInt32($0.count))
            }
        }
        var ids = anonymousSetIDs.makeIterator()
        for expression in expressions {
            nftnl_rule_add_expr(rule, expression.makeNftnl(anonymousSetIDs: &ids))
        }
        return body(rule)
    }

    /// The request adding this rule at the end of its chain (`append`) or at the start.
    func addMessage(anonymousSetIDs: [UInt32], append: Bool) -> Message {
        let flags = Message.Flag.create | Message.Flag.ack | (append ? Message.Flag.append : 0)
        return withNftnl(anonymousSetIDs: anonymousSetIDs) { rule in
            Message(.newRule, family: family.rawValue, flags: flags, operation: "add rule to", object: chainSummary,
                    capacity: 8192 + expressions.count * 512) { nftnl_rule_nlmsg_build_payload($0, rule) }
        }
    }

    /// The request deleting this rule by ``handle``.
    func deleteMessage() -> Message {
        withNftnl(anonymousSetIDs: []) { rule in
            Message(.deleteRule, family: family.rawValue, flags: Message.Flag.ack,
                    operation: "delete rule \(handle ?? 0) from",
                    object: chainSummary) { nftnl_rule_nlmsg_build_payload($0, rule) }
        }
    }

    /// Reads a rule from a parsed libnftnl object. Throws for expressions this model cannot express.
    init?(nftnl rule: OpaquePointer) throws(NFTablesError) {
        guard let family = Family(rawValue: UInt8(truncatingIfNeeded: nftnl_rule_get_u32(rule, attr(NFTNL_RULE_FAMILY))))
        else { return nil }
        let table = String(cString: nftnl_rule_get_str(rule, attr(NFTNL_RULE_TABLE)))
        let chain = String(cString: nftnl_rule_get_str(rule, attr(NFTNL_RULE_CHAIN)))
        var expressions: [Expr] = []
        let iterator = nftnl_expr_iter_create(rule)
        defer { nftnl_expr_iter_destroy(iterator) }
        while let expr = nftnl_expr_iter_next(iterator) {
            guard let expression = Expr(nftnl: expr) else {
                let name = String(cString: nftnl_expr_get_str(expr, attr(NFTNL_EXPR_NAME)))
                throw NFTablesError(errno: EOPNOTSUPP, operation: "read rule of", object: "chain \(family) \(table)/\(chain)",
                                    detail: "unsupported \(name) expression")
            }
            expressions.append(expression)
        }
        var comment: String?
        if nftnl_rule_is_set(rule, attr(NFTNL_RULE_USERDATA)) {
            var length: UInt32 = 0
            let data = nftnl_rule_get_data(rule, attr(NFTNL_RULE_USERDATA), &length)
            comment = data.flatMap { Self.comment(in: UnsafeRawBufferPointer(start: $0, count: Int(length))) }
        }
        self.init(family: family, table: table, chain: chain, expressions, comment: comment,
                  handle: nftnl_rule_get_u64(rule, attr(NFTNL_RULE_HANDLE)))
    }

    /// `NFTNL_UDATA_RULE_COMMENT` (type 0) as a type-length-value record, NUL-terminated like `nft` writes it.
    static func commentUserData(_ comment: String) -> [UInt8] {
        let text = Array(comment.utf8.prefix(127)) + [0]
        return [0, UInt8(text.count)] + text
    }

    /// The comment record in rule user data, if any.
    static func comment(in userData: UnsafeRawBufferPointer) -> String? {
        var offset = 0
        while offset + 2 <= userData.count {
            let type = userData[offset], length = Int(userData[offset + 1])
            let value = offset + 2
            guard value + length <= userData.count else { return nil }
            if type == 0 {
                return String(decoding: userData[value..<(value + length)].prefix { $0 != 0 }, as: UTF8.self)
            }
            offset = value + length
        }
        return nil
    }
}
