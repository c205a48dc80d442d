import CMnl

/// One message the kernel sent back, copied out of its datagram.
struct NetlinkReply {
    /// The whole message, starting with its `nlmsghdr`.
    let bytes: [UInt8]

    var header: nlmsghdr { bytes.withUnsafeBytes { $0.loadUnaligned(as: nlmsghdr.self) } }
    var type: Int { Int(header.nlmsg_type) }

    /// The family header (`ifinfomsg`, `rtmsg`, …) right after the `nlmsghdr`.
    func familyHeader<Header>(_: Header.Type) -> Header? {
        let offset = MemoryLayout<nlmsghdr>.size
        guard bytes.count >= offset + MemoryLayout<Header>.size else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Header.self) }
    }

    /// The attributes after a family header of type `Header`.
    func attributes<Header>(after _: Header.Type) -> NetlinkAttributes {
        NetlinkAttributes(message: bytes, headerSize: MemoryLayout<Header>.size)
    }

    /// Splits a received datagram into its messages (`mnl_nlmsg_ok` / `mnl_nlmsg_next`).
    static func split(_ datagram: [UInt8]) -> [NetlinkReply] {
        datagram.withUnsafeBytes { raw in
            guard var message = raw.baseAddress?.assumingMemoryBound(to: nlmsghdr.self) else { return [] }
            var remaining = Int32(raw.count)
            var replies: [NetlinkReply] = []
            while mnl_nlmsg_ok(message, remaining) {
                let bytes = UnsafeRawBufferPointer(start: message, count: Int(message.pointee.nlmsg_len))
                replies.append(NetlinkReply(bytes: Array(bytes)))
                message = UnsafePointer(mnl_nlmsg_next(message, &remaining))
            }
            return replies
        }
    }
}
