import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// The kernel's announcements about links (the `RTNLGRP_LINK` group, what `ip monitor link` shows) in
/// the network namespace of the thread that opened the watch, read without blocking.
///
/// ``DetachedLinkDeletion`` learns from one when the kernel has unregistered a link.
public final class LinkWatch: Sendable {
    /// The non-blocking rtnetlink socket: poll it for `POLLIN`, then ``drain()``.
    public let descriptor: Int32

    /// What ``drain()`` read.
    public struct Announcements: Sendable, Equatable {
        /// The indices of the links announced as unregistered (`RTM_DELLINK` of family `AF_UNSPEC`; a
        /// bridge also sends one of family `AF_BRIDGE` when a port leaves it, which is not counted).
        public var unregistered: [Int32] = []
        /// Whether the socket overflowed (`ENOBUFS`) since the last read: some announcements were lost.
        public var lost = false

        public init(unregistered: [Int32] = [], lost: Bool = false) {
            self.unregistered = unregistered
            self.lost = lost
        }
    }

    /// Opens the watch in the calling thread's network namespace.
    public init() throws(SystemError) {
        let flags = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        descriptor = try SystemError.check(socket(AF_NETLINK, flags, NETLINK_ROUTE), "socket", context: "link watch")
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_groups = UInt32(RTMGRP_LINK)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        guard bound == 0 else {
            let error = SystemError.lastError("bind", context: "link watch (RTMGRP_LINK)")
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// Reads every announcement waiting on the socket.
    public func drain() throws(SystemError) -> Announcements {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var announcements = Announcements()
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN: return announcements
                case ENOBUFS: announcements.lost = true; continue
                default: throw SystemError.lastError("recv", context: "link watch")
                }
            }
            for message in NetlinkReply.split(Array(UnsafeRawBufferPointer(rebasing: buffer[..<count])))
            where message.type == RTM_DELLINK {
                if let info = message.familyHeader(ifinfomsg.self), info.ifi_family == AF_UNSPEC {
                    announcements.unregistered.append(info.ifi_index)
                }
            }
        }
    }
}
