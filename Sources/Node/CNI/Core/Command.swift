/// The six CNI verbs, as `CNI_COMMAND` spells them.
public enum Command: String, Sendable, Hashable, CaseIterable {
    case add = "ADD"
    case delete = "DEL"
    case check = "CHECK"
    case version = "VERSION"
    case garbageCollect = "GC"
    case status = "STATUS"

    /// The oldest configuration version that may use this verb (CHECK 0.4.0, GC/STATUS 1.1.0).
    public var minimumVersion: CNIVersion? {
        switch self {
        case .check: .check
        case .garbageCollect, .status: .garbageCollection
        case .add, .delete, .version: nil
        }
    }
}
