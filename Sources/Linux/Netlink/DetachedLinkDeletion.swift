import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// Deletes a veth pair and returns once the kernel has unregistered both ends, without waiting for it
/// to reclaim them.
///
/// The kernel answers `RTM_DELLINK` only after `netdev_run_todo` has waited for an RCU barrier and for
/// the devices' last references: 15–30 ms on a 2-core VM, although both ends had left their
/// namespaces, their bridge, their addresses and routes (and the kernel had announced it) within the
/// first millisecond or two. A short-lived process whose caller waits for it to exit, such as a CNI
/// plugin's DEL, leaves that wait to a ``DetachedChild``: the child sends the request on its own socket
/// and waits for the answer, while the caller returns as soon as its ``LinkWatch`` hears the peer
/// announced gone (the kernel unregisters the asked-for end first and its peer last, in one batch), or,
/// without that announcement, once the child has passed the kernel's answer on.
public enum DetachedLinkDeletion {
    /// Deletes link `index` of the calling thread's network namespace (`subject` names it in errors);
    /// `peerIndex` is its veth peer's index in the namespace `watch` was opened in. Throws the kernel's
    /// refusal as ``NetlinkError`` (`ENODEV` when there is no such link).
    public static func delete(index: Int32, subject: String, peerIndex: Int32, announcedBy watch: LinkWatch) throws {
        let request = NetlinkRequest(type: RTM_DELLINK, flags: NLM_F_ACK)
        var info = ifinfomsg()
        info.ifi_index = index
        request.putHeader(info)
        request.sequence = 1
        let message = request.bytes
        let (answers, writeEnd) = try Subprocess.makePipe()
        defer { close(answers) }
        let answer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { answer.deallocate() }
        let child = try? message.withUnsafeBytes { bytes throws(SystemError) in
            try DetachedChild.start(keeping: writeEnd) { ask(bytes, answer, reportingTo: writeEnd) }
        }
        close(writeEnd)
        guard let child else {
            // No child (the process may not fork): ask here, and wait for the answer.
            return try RouteNetlink().deleteLink(.index(index))
        }
        var descriptors = [pollfd(fd: watch.descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: answers, events: Int16(POLLIN), revents: 0)]
        while true {
            guard poll(&descriptors, 2, -1) >= 0 else {
                if errno == EINTR { continue }
                throw SystemError.lastError("poll", context: "deleting link \(subject)")
            }
            if descriptors[0].revents != 0 {
                let announcements = try watch.drain()
                if announcements.unregistered.contains(peerIndex) { return }
                if announcements.lost { descriptors[0].fd = -1 }  // the announcement may be among the lost: wait for the answer
            }
            if descriptors[1].revents != 0 {
                let count = read(answers, answer.baseAddress, answer.count)
                _ = waitpid(child, nil, 0)
                guard count > 0 else {
                    // The child could not ask: ask here.
                    return try RouteNetlink().deleteLink(.index(index))
                }
                let replies = NetlinkReply.split(Array(UnsafeRawBufferPointer(rebasing: answer[..<count])))
                for reply in replies where Int32(reply.type) == NLMSG_ERROR {
                    if let error = NetlinkSession.error(in: reply, "delete link", subject) { throw error }
                }
                return
            }
        }
    }

    /// The child's part: sends `message` on a new rtnetlink socket and writes the kernel's answer to
    /// `pipe`; writes nothing when it could not ask.
    private static func ask(_ message: UnsafeRawBufferPointer, _ answer: UnsafeMutableRawBufferPointer, reportingTo pipe: Int32) {
        let socket = Glibc.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        guard socket >= 0 else { return }
        var on: Int32 = 1
        setsockopt(socket, SOL_NETLINK, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(socket, SOL_NETLINK, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        guard send(socket, message.baseAddress, message.count, 0) == message.count else { return }
        var count: Int
        repeat { count = recv(socket, answer.baseAddress, answer.count, 0) } while count < 0 && errno == EINTR
        if count > 0 { _ = write(pipe, answer.baseAddress, count) }
    }
}
