/// A chain of a table. Base chains are hooked into the packet path; regular chains are reached by
/// `jump`/`goto` or from verdict maps.
///
///     let prerouting = Chain("nat-prerouting", in: table,
///                            hook: .init(.nat, .prerouting, priority: Chain.Priority.dstnat))
///     let services = Chain("services", in: table)
public struct Chain: Hashable, Sendable {
    /// The chain type of a base chain.
    public enum Kind: String, Hashable, Sendable {
        case filter, nat, route
    }

    /// Netfilter hooks (`NF_INET_*`).
    public enum Hook: UInt32, Hashable, Sendable {
        case prerouting = 0
        case input = 1
        case forward = 2
        case output = 3
        case postrouting = 4
    }

    /// The base-chain policy.
    public enum Policy: UInt32, Hashable, Sendable {
        case drop = 0
        case accept = 1
    }

    /// The standard priorities `nft` names.
    public enum Priority {
        public static let raw: Int32 = -300
        public static let mangle: Int32 = -150
        public static let dstnat: Int32 = -100
        public static let filter: Int32 = 0
        public static let security: Int32 = 50
        public static let srcnat: Int32 = 100
    }

    /// What makes a chain a base chain: its type, hook, priority and policy.
    public struct BaseHook: Hashable, Sendable {
        public var kind: Kind
        public var hook: Hook
        public var priority: Int32
        public var policy: Policy

        public init(_ kind: Kind, _ hook: Hook, priority: Int32, policy: Policy = .accept) {
            self.kind = kind
            self.hook = hook
            self.priority = priority
            self.policy = policy
        }
    }

    public var family: Family
    public var table: String
    public var name: String
    /// Set for base chains, `nil` for regular chains.
    public var hook: BaseHook?
    /// The kernel's handle; set on chains read back, ignored when adding.
    public var handle: UInt64?

    public init(_ name: String, in table: Table, hook: BaseHook? = nil) {
        self.init(name, family: table.family, table: table.name, hook: hook)
    }

    public init(_ name: String, family: Family, table: String, hook: BaseHook? = nil, handle: UInt64? = nil) {
        self.family = family
        self.table = table
        self.name = name
        self.hook = hook
        self.handle = handle
    }

    /// `chain ip kube-proxy/services`, for error messages.
    var summary: String { "chain \(family) \(table)/\(name)" }
}
