/// What one iptables sync writes: the `iptables-restore --noflush` input and a readable account of it
/// (which chains were written and deleted, what tests and logs look at).
///
/// Every chain named in the input is declared (`:CHAIN - [0:0]`, which creates or flushes it) and
/// refilled; chains no longer wanted are declared (flushed) and deleted (`-X`) at the end of their table,
/// after whatever referred to them was rewritten. Chains not named stay as they are.
public struct IPTablesSyncPlan: Sendable {
    public typealias Table = IPTablesModel.Table

    public var isFull: Bool
    /// Chains created or rewritten, by table.
    public var writtenChains: [Table: [String]] = [:]
    /// Chains deleted, by table.
    public var deletedChains: [Table: [String]] = [:]
    /// The input for `iptables-restore --noflush`.
    public var restoreInput = ""

    /// Whether the sync has nothing to write.
    public var isEmpty: Bool { restoreInput.isEmpty }

    /// A one-line summary for logs.
    public var summary: String {
        let written = writtenChains.values.reduce(0) { $0 + $1.count }
        let deleted = deletedChains.values.reduce(0) { $0 + $1.count }
        return "\(isFull ? "full" : "partial"): \(written) chains written, \(deleted) deleted, \(restoreInput.utf8.count) bytes"
    }

    /// Writes every chain of `desired` and deletes `stale` (chains of ours found in the kernel that are
    /// not wanted).
    static func full(_ desired: IPTablesModel, stale: [Table: [String]]) -> IPTablesSyncPlan {
        var plan = IPTablesSyncPlan(isFull: true)
        for table in Table.allCases {
            plan.writtenChains[table] = (desired.chains[table] ?? [:]).keys.sorted()
            plan.deletedChains[table] = (stale[table] ?? []).filter { desired[table, $0] == nil }.sorted()
        }
        plan.restoreInput = plan.render(desired)
        return plan
    }

    /// Flushes and deletes `chains` (the proxy's cleanup).
    static func deletion(of chains: [Table: [String]]) -> IPTablesSyncPlan {
        var plan = IPTablesSyncPlan(isFull: false)
        plan.deletedChains = chains.filter { !$0.value.isEmpty }.mapValues { $0.sorted() }
        plan.restoreInput = plan.render(IPTablesModel())
        return plan
    }

    /// Writes the chains among `candidates` whose rules differ between `current` and `desired`, and
    /// deletes those `desired` no longer has.
    static func partial(from current: IPTablesModel, to desired: IPTablesModel, candidates: [Table: Set<String>]) -> IPTablesSyncPlan {
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
        plan.restoreInput = plan.render(desired)
        return plan
    }

    /// The restore input for the written and deleted chains (empty when there are none).
    private func render(_ desired: IPTablesModel) -> String {
        var out = ""
        for table in Table.allCases {
            let written = writtenChains[table] ?? []
            let deleted = deletedChains[table] ?? []
            guard !written.isEmpty || !deleted.isEmpty else { continue }
            out += "*\(table.rawValue)\n"
            for name in written + deleted { out += ":\(name) - [0:0]\n" }
            for name in written {
                for rule in desired[table, name] ?? [] { out += rule + "\n" }
            }
            for name in deleted { out += "-X \(name)\n" }
            out += "COMMIT\n"
        }
        return out
    }
}
