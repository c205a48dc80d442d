import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// Request/reply exchange over one netlink socket, whatever the bus: numbers requests, collects the
/// replies carrying their sequence number and turns `NLMSG_ERROR` into ``NetlinkError``.
/// ``RouteNetlink`` and ``ConntrackNetlink`` speak through one. Not thread-safe.
final class NetlinkSession {
    let socket: any NetlinkSocket
    private var nextSequence: UInt32

    init(socket: any NetlinkSocket, firstSequence: UInt32) {
        self.socket = socket
        self.nextSequence = firstSequence
    }

    /// Sends an `NLM_F_DUMP` request of `type` with family header `header` (and the attributes
    /// `attributes` adds) and collects the multi-part reply up to `NLMSG_DONE`, restarting when the
    /// kernel flags the dump as interrupted by a concurrent change.
    func dump<Header>(
        _ type: Int, header: Header, _ operation: String, attributes: (NetlinkRequest) -> Void = { _ in }
    ) throws -> [NetlinkReply] {
        for _ in 0..<10 {
            let request = NetlinkRequest(type: type, flags: NLM_F_DUMP)
            request.putHeader(header)
            attributes(request)
            let replies = try execute(request, operation, nil)
            if !replies.contains(where: { Int32($0.header.nlmsg_flags) & NLM_F_DUMP_INTR != 0 }) { return replies }
        }
        throw NetlinkError(errno: EINTR, operation: operation, kernelMessage: "dump kept being interrupted")
    }

    /// Sends `request` and collects the replies that carry its sequence number up to the
    /// acknowledgement (requests made by `request(_:flags:)` ask for one) or `NLMSG_DONE` (dumps);
    /// returns them (the answer of a `GET`, the parts of a dump), or throws the kernel's error.
    @discardableResult
    func execute(_ request: NetlinkRequest, _ operation: String, _ subject: String?) throws -> [NetlinkReply] {
        request.sequence = nextSequence
        nextSequence &+= 1
        try socket.send(request.bytes)
        var replies: [NetlinkReply] = []
        while true {
            for reply in NetlinkReply.split(try socket.receive()) {
                let header = reply.header
                guard header.nlmsg_seq == request.sequence,
                      header.nlmsg_pid == 0 || socket.portID == 0 || header.nlmsg_pid == socket.portID
                else { continue }
                switch Int32(reply.type) {
                case NLMSG_ERROR:
                    if let error = Self.error(in: reply, operation, subject) { throw error }
                    return replies
                case NLMSG_DONE:
                    if let code = reply.familyHeader(Int32.self), code < 0 {
                        throw NetlinkError(errno: -code, operation: operation, subject: subject)
                    }
                    return replies
                case NLMSG_NOOP:
                    continue
                default:
                    replies.append(reply)
                }
            }
        }
    }

    /// The error an `NLMSG_ERROR` reports, or `nil` for an acknowledgement (code 0).
    static func error(in reply: NetlinkReply, _ operation: String, _ subject: String?) -> NetlinkError? {
        guard let failure = reply.familyHeader(nlmsgerr.self) else {
            return NetlinkError(errno: EBADMSG, operation: operation, subject: subject, kernelMessage: "truncated NLMSG_ERROR")
        }
        guard failure.error != 0 else { return nil }
        var kernelMessage: String?
        let flags = Int32(reply.header.nlmsg_flags)
        if flags & NLM_F_ACK_TLVS != 0 {
            // The TLVs follow the echoed request: only its header when capped, all of it otherwise.
            let echoed = flags & NLM_F_CAPPED != 0 ? MemoryLayout<nlmsghdr>.size : Int(failure.msg.nlmsg_len)
            let offset = MemoryLayout<Int32>.size + echoed
            let attributes = NetlinkAttributes(message: reply.bytes, headerSize: offset)
            kernelMessage = attributes.string(Int(NLMSGERR_ATTR_MSG.rawValue))
        }
        return NetlinkError(errno: -failure.error, operation: operation, subject: subject, kernelMessage: kernelMessage)
    }
}
