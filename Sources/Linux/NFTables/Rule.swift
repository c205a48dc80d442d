/// A rule: expressions evaluated in order in one chain, with an optional comment.
///
///     let rule = Rule(in: services, comment: "ClusterIP dispatch",
///                     Expr.concat([.payload(.ipDaddr), .meta(.l4proto), .payload(.destinationPort)])
///                     + [.lookup(.named("service-ips"), from: .r1, into: .verdict, inverted: false)])
public struct Rule: Hashable, Sendable {
    public var family: Family
    public var table: String
    public var chain: String
    public var expressions: [Expr]
    /// Stored as `nft` stores comments (rule user data), so `nft list` shows it.
    public var comment: String?
    /// The kernel's handle; set on rules read back, needed to delete one rule.
    public var handle: UInt64?

    public init(in chain: Chain, comment: String? = nil, _ expressions: [Expr]) {
        self.init(family: chain.family, table: chain.table, chain: chain.name, expressions, comment: comment)
    }

    public init(
        family: Family, table: String, chain: String, _ expressions: [Expr], comment: String? = nil,
        handle: UInt64? = nil
    ) {
        self.family = family
        self.table = table
        self.chain = chain
        self.expressions = expressions
        self.comment = comment
        self.handle = handle
    }

    /// `chain ip kube-proxy/services`, for error messages.
    var chainSummary: String { "chain \(family) \(table)/\(chain)" }
}
