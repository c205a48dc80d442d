/// What one iptables sync writes: the `iptables-restore --noflush` input(s) and a readable account of it
/// (which chains were written and deleted, what tests and logs look at).
///
/// Every chain named in the input is declared (`:CHAIN - [0:0]`, which creates or flushes it) and
/// refilled; chains no longer wanted are declared (flushed) and deleted (`-X`) at the end of their table,
/// after whatever referred to them was rewritten. Chains not named stay as they are.
///
/// Normally that is one input, one transaction per table. Given a ``RestoreLimit`` (the proxier passes one
/// for iptables-nft, see there) a plan bigger than the limit is cut into several inputs, applied in order,
/// each one transaction: the written chains leaves first (a chain's jump targets are written in its input
/// or an earlier one), so every state in between is a consistent ruleset — each chain wholly old or wholly
/// new, no jump to a missing chain — then the stale chains are flushed, then deleted.
public struct IPTablesSyncPlan: Sendable {
    public typealias Table = IPTablesModel.Table

    /// How much one `iptables-restore` may be given.
    ///
    /// iptables-nft (1.8.9, Debian 12) keeps the chains a `--noflush` input names (each line's chain and
    /// jump target) in a sorted linked list, inserted by walking from its head, so one input naming n
    /// chains costs O(n²) string compares before anything reaches the kernel: 11k chains take 25 s, the
    /// 111k chains of 10k services × 10 endpoints do not finish. (A line naming no chain, such as a bare
    /// `-Z`, switches that off, but `-Z` zeroes every rule's counters in the table, other owners' too.)
    /// Inputs of at most a few thousand lines keep the walk short; each costs a process start.
    public struct RestoreLimit: Sendable, Hashable {
        /// Chain declarations plus rule and `-X` lines per input (a chain bigger than this gets one input).
        public var lines: Int
        public init(lines: Int) { self.lines = lines }
        /// What the proxier uses on the nf_tables backend.
        public static let nfTables = RestoreLimit(lines: 4000)
    }

    public var isFull: Bool
    /// Chains created or rewritten, by table.
    public var writtenChains: [Table: [String]] = [:]
    /// Chains deleted, by table.
    public var deletedChains: [Table: [String]] = [:]
    /// The inputs for `iptables-restore --noflush`, in the order they are to be applied.
    public var restoreInputs: [String] = []

    /// All inputs as one text (what a single restore would be given).
    public var restoreInput: String { restoreInputs.joined() }

    /// Whether the sync has nothing to write.
    public var isEmpty: Bool { restoreInputs.isEmpty }

    /// A one-line summary for logs.
    public var summary: String {
        let written = writtenChains.values.reduce(0) { $0 + $1.count }
        let deleted = deletedChains.values.reduce(0) { $0 + $1.count }
        let bytes = restoreInputs.reduce(0) { $0 + $1.utf8.count }
        let inputs = restoreInputs.count > 1 ? " in \(restoreInputs.count) restores" : ""
        return "\(isFull ? "full" : "partial"): \(written) chains written, \(deleted) deleted, \(bytes) bytes\(inputs)"
    }

    /// Writes every chain of `desired` and deletes `stale` (chains of ours found in the kernel that are
    /// not wanted).
    static func full(_ desired: IPTablesModel, stale: [Table: [String]], limit: RestoreLimit? = nil) -> IPTablesSyncPlan {
        var plan = IPTablesSyncPlan(isFull: true)
        for table in Table.allCases {
            plan.writtenChains[table] = (desired.chains[table] ?? [:]).keys.sorted()
            plan.deletedChains[table] = (stale[table] ?? []).filter { desired[table, $0] == nil }.sorted()
        }
        plan.restoreInputs = plan.render(desired, limit: limit)
        return plan
    }

    /// Flushes and deletes `chains` (the proxy's cleanup).
    static func deletion(of chains: [Table: [String]], limit: RestoreLimit? = nil) -> IPTablesSyncPlan {
        var plan = IPTablesSyncPlan(isFull: false)
        plan.deletedChains = chains.filter { !$0.value.isEmpty }.mapValues { $0.sorted() }
        plan.restoreInputs = plan.render(IPTablesModel(), limit: limit)
        return plan
    }

    /// Writes the chains among `candidates` whose rules differ between `current` and `desired`, and
    /// deletes those `desired` no longer has.
    static func partial(from current: IPTablesModel, to desired: IPTablesModel, candidates: [Table: Set<String>],
                        limit: RestoreLimit? = nil) -> IPTablesSyncPlan {
        var plan = IPTablesSyncPlan(isFull: false)
        for table in Table.allCases {
            var written: [String] = []
            var deleted: [String] = []
            for name in candidates[table] ?? [] {
                let want = desired[table, name]
                let have = current[table, name]
                if let want, want != have { written.append(name) }
                if want == nil, have != nil { deleted.append(name) }
            }
            if !written.isEmpty { plan.writtenChains[table] = written.sorted() }
            if !deleted.isEmpty { plan.deletedChains[table] = deleted.sorted() }
        }
        plan.restoreInputs = plan.render(desired, limit: limit)
        return plan
    }

    /// The restore inputs for the written and deleted chains (none when there are none).
    private func render(_ desired: IPTablesModel, limit: RestoreLimit?) -> [String] {
        var single = ""
        var split: [String] = []
        for table in Table.allCases {
            let written = writtenChains[table] ?? []
            let deleted = deletedChains[table] ?? []
            guard !written.isEmpty || !deleted.isEmpty else { continue }
            let lines = written.reduce(2 * deleted.count) { $0 + 1 + (desired[table, $1]?.count ?? 0) }
            if let limit, lines > limit.lines {
                split += Self.batches(table, written: written, deleted: deleted, desired: desired, limit: limit)
                continue
            }
            single += "*\(table.rawValue)\n"
            for name in written + deleted { single += ":\(name) - [0:0]\n" }
            for name in written {
                for rule in desired[table, name] ?? [] { single += rule + "\n" }
            }
            for name in deleted { single += "-X \(name)\n" }
            single += "COMMIT\n"
        }
        return (single.isEmpty ? [] : [single]) + split
    }

    /// One table's chains in inputs of at most `limit` lines: written chains leaves first, then the
    /// deleted ones flushed (so none refers to another), then deleted.
    private static func batches(_ table: Table, written: [String], deleted: [String], desired: IPTablesModel,
                                limit: RestoreLimit) -> [String] {
        var inputs: [String] = []
        var declarations = ""
        var rules = ""
        var lines = 0
        func close() {
            guard lines > 0 else { return }
            // Declarations first within an input: a rule may jump to a chain declared after it in the order.
            inputs.append("*\(table.rawValue)\n" + declarations + rules + "COMMIT\n")
            declarations = ""
            rules = ""
            lines = 0
        }
        for chain in leavesFirst(written, table: table, in: desired) {
            let chainRules = desired[table, chain] ?? []
            if lines > 0, lines + 1 + chainRules.count > limit.lines { close() }
            declarations += ":\(chain) - [0:0]\n"
            for rule in chainRules { rules += rule + "\n" }
            lines += 1 + chainRules.count
        }
        close()
        for start in stride(from: 0, to: deleted.count, by: limit.lines) {
            let slice = deleted[start..<min(start + limit.lines, deleted.count)]
            inputs.append("*\(table.rawValue)\n" + slice.map { ":\($0) - [0:0]\n" }.joined() + "COMMIT\n")
        }
        for start in stride(from: 0, to: deleted.count, by: limit.lines) {
            let slice = deleted[start..<min(start + limit.lines, deleted.count)]
            inputs.append("*\(table.rawValue)\n" + slice.map { "-X \($0)\n" }.joined() + "COMMIT\n")
        }
        return inputs
    }

    /// `chains` ordered so that every chain comes after the chains among them its rules jump to (`-j`/`-g`),
    /// otherwise in the order given.
    static func leavesFirst(_ chains: [String], table: Table, in model: IPTablesModel) -> [String] {
        let members = Set(chains)
        var placed = Set<String>()
        var order: [String] = []
        order.reserveCapacity(chains.count)
        func place(_ chain: String) {
            guard placed.insert(chain).inserted else { return }
            for rule in model[table, chain] ?? [] {
                if let target = jumpTarget(rule), target != chain, members.contains(target) { place(target) }
            }
            order.append(chain)
        }
        for chain in chains { place(chain) }
        return order
    }

    /// The word after a rule's last ` -j ` or ` -g ` (a chain it jumps or goes to, or a target such as DNAT).
    static func jumpTarget(_ rule: String) -> String? {
        var rule = rule
        return rule.withUTF8 { bytes -> String? in
            let space = UInt8(ascii: " "), dash = UInt8(ascii: "-")
            var index = bytes.count - 4
            while index >= 0 {
                if bytes[index] == space, bytes[index + 1] == dash, bytes[index + 3] == space,
                   bytes[index + 2] == UInt8(ascii: "j") || bytes[index + 2] == UInt8(ascii: "g") {
                    let start = index + 4
                    var end = start
                    while end < bytes.count, bytes[end] != space { end += 1 }
                    return end > start ? String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) : nil
                }
                index -= 1
            }
            return nil
        }
    }
}
