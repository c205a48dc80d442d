#if canImport(Glibc)
import Glibc
#endif
import CMnl

/// One message of a netlink reply, decoded just enough to route it.
struct Reply {
    let header: UnsafePointer<nlmsghdr>

    var sequence: UInt32 { header.pointee.nlmsg_seq }
    var isError: Bool { header.pointee.nlmsg_type == UInt16(NLMSG_ERROR) }
    var isDone: Bool { header.pointee.nlmsg_type == UInt16(NLMSG_DONE) }

    /// The positive `errno` of an `NLMSG_ERROR` (0 for an acknowledgement).
    var errno: Int32 {
        guard header.pointee.nlmsg_len >= 20 else { return 0 }
        return -UnsafeRawPointer(header).load(fromByteOffset: 16, as: Int32.self)
    }

    /// `NLMSGERR_ATTR_MSG` from the extended acknowledgement, if the kernel explained itself.
    var extendedMessage: String? {
        let flags = header.pointee.nlmsg_flags
        guard flags & 0x200 != 0 else { return nil }  // NLM_F_ACK_TLVS
        let base = UnsafeRawPointer(header)
        let total = Int(header.pointee.nlmsg_len)
        let echoed = flags & 0x100 != 0 ? 16 : Int(base.load(fromByteOffset: 20, as: UInt32.self))  // NLM_F_CAPPED
        var offset = 20 + ((echoed + 3) & ~3)
        while offset + 4 <= total {
            let length = Int(base.load(fromByteOffset: offset, as: UInt16.self))
            let type = base.load(fromByteOffset: offset + 2, as: UInt16.self) & 0x3fff
            guard length >= 4, offset + length <= total else { return nil }
            if type == 1 {  // NLMSGERR_ATTR_MSG
                let text = UnsafeRawBufferPointer(start: base + offset + 4, count: length - 4)
                return String(decoding: text.prefix { $0 != 0 }, as: UTF8.self)
            }
            offset += (length + 3) & ~3
        }
        return nil
    }
}

extension NetfilterSocket.State {
    /// Grows the socket buffers to at least these sizes (forcing past `rmem_max`/`wmem_max` when allowed).
    mutating func ensureBuffers(send: Int, receive: Int) {
        let fd = mnl_socket_get_fd(socket)
        if send > sendBuffer {
            sendBuffer = Self.setBuffer(fd, force: 32, fallback: SO_SNDBUF, size: send)  // SO_SNDBUFFORCE
        }
        if receive > receiveBuffer {
            receiveBuffer = Self.setBuffer(fd, force: 33, fallback: SO_RCVBUF, size: receive)  // SO_RCVBUFFORCE
        }
    }

    private static func setBuffer(_ fd: Int32, force: Int32, fallback: Int32, size: Int) -> Int {
        var value = Int32(clamping: size)
        let length = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd, SOL_SOCKET, force, &value, length) != 0 {
            setsockopt(fd, SOL_SOCKET, fallback, &value, length)
        }
        return size
    }

    /// Sends `bytes` as one datagram.
    func send(_ bytes: [UInt8], operation: String) throws(NFTablesError) {
        let sent = bytes.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) }
        guard sent >= 0 else { throw .last(operation) }
    }

    /// Receives one datagram and hands each message in it to `body`, which returns whether to keep
    /// reading after this datagram.
    mutating func receive(
        operation: String, _ body: (Reply) throws(NFTablesError) -> Bool
    ) throws(NFTablesError) {
        let capacity = scratch.count
        let received = scratch.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, capacity) }
        guard received >= 0 else {
            let code = Glibc.errno
            throw NFTablesError(errno: code == EAGAIN || code == EWOULDBLOCK ? ETIMEDOUT : code, operation: operation, object: "")
        }
        var failure: NFTablesError?
        scratch.withUnsafeBytes { raw in
            var offset = 0
            while offset + 16 <= received {
                let header = (raw.baseAddress! + offset).assumingMemoryBound(to: nlmsghdr.self)
                let length = Int(header.pointee.nlmsg_len)
                guard length >= 16, offset + length <= received else { return }
                if header.pointee.nlmsg_pid == portID || header.pointee.nlmsg_pid == 0 {
                    do throws(NFTablesError) {
                        guard try body(Reply(header: header)) else { return }
                    } catch {
                        failure = error
                        return
                    }
                }
                offset += (length + 3) & ~3
            }
        }
        if let failure { throw failure }
    }
}
