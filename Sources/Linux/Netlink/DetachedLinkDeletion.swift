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
/// first millisecond or two. So an ``Asker`` sends the request on its own socket and waits for the
/// answer, while the caller returns as soon as its ``LinkWatch`` hears the peer announced gone (the
/// kernel unregisters the asked-for end first and its peer last, in one batch), or, without that
/// announcement, once the asker has passed the kernel's answer on.
public enum DetachedLinkDeletion {
    /// Who asks the kernel and waits for its answer.
    public enum Asker: Sendable {
        /// A ``DetachedChild``: for a process that exits once the call returns, such as a CNI
        /// plugin's, whose caller waits for it to exit. The child outlives it.
        case childProcess
        /// A fresh thread: for a daemon, which outlives the answer.
        case thread
    }

    /// Deletes link `index` of the calling thread's network namespace (`subject` names it in errors);
    /// `peerIndex` is its veth peer's index in the namespace `watch` was opened in. Throws the kernel's
    /// refusal as ``NetlinkError`` (`ENODEV` when there is no such link). When no asker can be started
    /// the caller asks, and waits for the answer.
    public static func delete(index: Int32, subject: String, peerIndex: Int32, announcedBy watch: LinkWatch, asker: Asker) throws {
        let request = RouteNetlink.linkRequest(RTM_DELLINK, .index(index))
        request.sequence = 1
        let message = request.bytes
        var ends: [Int32] = [-1, -1]
        try SystemError.check(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends), "socketpair", context: "deleting link \(subject)")
        let (answers, askerEnd) = (ends[0], ends[1])
        defer { close(answers) }
        let answer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { answer.deallocate() }
        let started = start(asker, message, answer, askerEnd)
        if case .none = started { return try RouteNetlink().deleteLink(.index(index)) }
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
                let count = recv(answers, answer.baseAddress, answer.count, 0)
                if case .child(let pid) = started { _ = waitpid(pid, nil, 0) }
                guard count > 0 else {
                    // The asker could not ask: ask here.
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

    /// What ``start(_:_:_:_:)`` started.
    private enum Started {
        case child(pid_t)
        case thread
        case none
    }

    /// Starts the asker, which owns `askerEnd` from then on (the caller's copy, if any, is closed, and
    /// so is `askerEnd` when no asker starts).
    private static func start(_ asker: Asker, _ message: [UInt8], _ answer: UnsafeMutableRawBufferPointer, _ askerEnd: Int32) -> Started {
        switch asker {
        case .childProcess:
            defer { close(askerEnd) }
            // The child works on `message` and `answer` as they were at the fork: no allocation there.
            let pid = try? message.withUnsafeBytes { bytes throws(SystemError) in
                try DetachedChild.start(keeping: askerEnd) { ask(bytes, answer, reportingTo: askerEnd) }
            }
            return pid.map(Started.child) ?? .none
        case .thread:
            do {
                try NetworkNamespace.current().detach { entered in
                    defer { close(askerEnd) }
                    guard entered else { return }
                    var own = [UInt8](repeating: 0, count: 4096)
                    message.withUnsafeBytes { bytes in own.withUnsafeMutableBytes { ask(bytes, $0, reportingTo: askerEnd) } }
                }
                return .thread
            } catch {
                close(askerEnd)
                return .none
            }
        }
    }

    /// The asker's part: sends `message` on a new rtnetlink socket and passes the kernel's answer on
    /// through `reply`; passes nothing when it could not ask. System calls only (async-signal-safe).
    private static func ask(_ message: UnsafeRawBufferPointer, _ answer: UnsafeMutableRawBufferPointer, reportingTo reply: Int32) {
        let socket = Glibc.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        guard socket >= 0 else { return }
        defer { close(socket) }
        var on: Int32 = 1
        setsockopt(socket, SOL_NETLINK, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(socket, SOL_NETLINK, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        guard send(socket, message.baseAddress, message.count, 0) == message.count else { return }
        var count: Int
        repeat { count = recv(socket, answer.baseAddress, answer.count, 0) } while count < 0 && errno == EINTR
        if count > 0 { _ = send(reply, answer.baseAddress, count, Int32(MSG_NOSIGNAL)) }
    }
}
