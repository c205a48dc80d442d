import CMnl
import CNftnl

/// One nf_tables netlink request inside a batch, with what it does for error messages.
///
/// Built with sequence number 0; the socket stamps the real number just before sending.
struct Message: Sendable {
    /// The whole netlink message (header, `nfgenmsg`, attributes).
    var bytes: [UInt8]
    /// What the message does (`"add rule to"`), for ``NFTablesError/operation``.
    let operation: String
    /// The object it does it to (`"chain ip kube-proxy/services"`).
    let object: String

    /// Netlink header flags (`<linux/netlink.h>`).
    enum Flag {
        static let ack: UInt16 = 0x4
        static let dump: UInt16 = 0x300
        static let create: UInt16 = 0x400
        static let append: UInt16 = 0x800
    }

    /// nf_tables message types (`enum nf_tables_msg_types`).
    enum Kind: UInt16 {
        case newTable = 0, getTable, deleteTable
        case newChain, getChain, deleteChain
        case newRule, getRule, deleteRule
        case newSet, getSet, deleteSet
        case newSetElement, getSetElement, deleteSetElement
        case newGeneration, getGeneration
    }

    /// Builds a message: `nftnl_nlmsg_build_hdr` with `flags` (plus `NLM_F_REQUEST`), then `payload`
    /// adds the attributes. `capacity` must exceed the finished message.
    init(
        _ kind: Kind, family: UInt8, flags: UInt16, operation: String, object: String, capacity: Int = 8192,
        payload: (UnsafeMutablePointer<nlmsghdr>) -> Void
    ) {
        self.operation = operation
        self.object = object
        self.bytes = Message.build(capacity: capacity) { buffer in
            nftnl_nlmsg_build_hdr(buffer, kind.rawValue, UInt16(family), flags, 0)
        } payload: { payload($0) }
    }

    /// The bytes of a message written by `header` into a scratch buffer and completed by `payload`.
    static func build(
        capacity: Int, header: (UnsafeMutablePointer<CChar>) -> UnsafeMutablePointer<nlmsghdr>?,
        payload: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in }
    ) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let length = buffer.withUnsafeMutableBytes { raw -> Int in
            let nlh = header(raw.baseAddress!.assumingMemoryBound(to: CChar.self))!
            payload(nlh)
            precondition(Int(nlh.pointee.nlmsg_len) <= capacity, "netlink message overran its buffer")
            return Int(nlh.pointee.nlmsg_len)
        }
        // A fresh array of exactly the message's size: trimming the scratch buffer would keep its whole
        // capacity alive in every queued message (8 KiB each; gigabytes for a 10k-service ruleset).
        return Array(buffer[..<length])
    }

    /// Writes `sequence` into the header's `nlmsg_seq`.
    mutating func stamp(sequence: UInt32) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: sequence, toByteOffset: 8, as: UInt32.self) }
    }
}
