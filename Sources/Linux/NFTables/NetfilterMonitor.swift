#if canImport(Glibc)
import Glibc
#endif
import CMnl
import LinuxSystem
import Synchronization

/// Listens to nf_tables change notifications (the `NFNLGRP_NFTABLES` multicast group, what `nft monitor`
/// reads) and remembers which watched tables someone else changed.
///
/// The ruleset generation (`NFT_MSG_GETGEN`) is global: any commit by anyone (a CNI plugin's masquerade
/// table, a firewall) moves it. The kernel announces every committed change with the table it belongs to
/// and the netlink port of the socket that sent it, so a program can tell changes to its own tables by
/// others apart from its own commits and from changes to other tables:
///
///     let monitor = try NetfilterMonitor(ignoring: socket.portID)
///     monitor.watch(table)
///     …
///     if try monitor.takeChanges(to: table, upTo: try socket.generation()) { /* resync the whole table */ }
///
/// Entries that expire from `timeout` sets and elements added from the packet path (`update @set`) are
/// not announced, so they never count as changes. If notifications are lost (the receive buffer
/// overflowed: `ENOBUFS`), every watched table counts as changed.
///
/// The socket belongs to the network namespace of the thread that opens it.
public final class NetfilterMonitor: Sendable {
    /// `NFNLGRP_NFTABLES`.
    static let group: Int32 = 7
    /// `NFNL_SUBSYS_NFTABLES`.
    static let subsystem: UInt16 = 10

    struct Key: Hashable {
        var family: UInt8
        var table: String
    }

    struct State {
        let socket: OpaquePointer
        /// Commits from this netlink port are our own.
        var ownPort: UInt32
        var subscribed = false
        /// Watched tables and whether someone else changed each since it was last asked about.
        var changed: [Key: Bool] = [:]
        /// The generation announced by the last `NFT_MSG_NEWGEN` read (or known otherwise).
        var seenGeneration: UInt32?
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
    }

    let state: Mutex<State>

    /// Opens a netlink socket in the calling thread's namespace and joins the nf_tables group;
    /// commits sent from netlink port `ownPort` (see ``NetfilterSocket/portID``) are not counted.
    public init(ignoring ownPort: UInt32, receiveBuffer: Int = 16 << 20) throws(NFTablesError) {
        guard let socket = mnl_socket_open2(NETLINK_NETFILTER, Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)) else {
            throw .last("open netlink socket", "nf_tables monitor")
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let error = NFTablesError.last("bind netlink socket", "nf_tables monitor")
            mnl_socket_close(socket)
            throw error
        }
        var size = Int32(clamping: receiveBuffer)
        let fd = mnl_socket_get_fd(socket)
        if setsockopt(fd, SOL_SOCKET, 33, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {  // SO_RCVBUFFORCE
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var state = State(socket: socket, ownPort: ownPort)
        try state.setMembership(true)
        self.state = Mutex(state)
    }

    deinit {
        state.withLock { _ = mnl_socket_close($0.socket) }
    }

    /// Starts tracking changes to `table` (from now on).
    public func watch(_ table: Table) {
        state.withLock { $0.changed[Key(family: table.family.rawValue, table: table.name)] = false }
    }

    /// Whether anyone but us changed `table` since the last call, reading every notification up to the
    /// commit that made generation `generation` (the value ``NetfilterSocket/generation()`` returned just
    /// before). A commit's notifications trail its generation bump slightly; if they do not arrive within
    /// `wait`, the answer is `true` (unknown counts as changed). Clears the table's mark.
    public func takeChanges(to table: Table, upTo generation: UInt32, wait: Duration = .milliseconds(200)) throws(NFTablesError) -> Bool {
        try state.withLock { (state: inout State) throws(NFTablesError) -> Bool in
            let key = Key(family: table.family.rawValue, table: table.name)
            let deadline = ContinuousClock.now + wait
            try state.drain()
            while !state.hasSeen(generation) {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero, try state.waitReadable(left) else { break }
                try state.drain()
            }
            let changed = state.changed[key] ?? true
            state.changed[key] = false
            return changed || !state.hasSeen(generation)
        }
    }

    /// Runs `commit` (a large commit of our own that rewrites the whole of `table`, returning how many
    /// kernel transactions it made, as ``NetfilterSocket/commit(_:)`` does) with the group left, so the
    /// kernel builds no notifications for it, then joins again. Changes to `table` announced before count
    /// no more (the rewrite supersedes them). Commits by others in that window cannot be attributed, so
    /// unless the generation moved by at most that many every watched table counts as changed.
    /// `generation` reads the ruleset generation.
    @discardableResult
    public func withoutNotifications(
        rewriting table: Table, generation: () throws(NFTablesError) -> UInt32, _ commit: () throws(NFTablesError) -> Int
    ) throws(NFTablesError) -> Int {
        let before = try state.withLock { (state: inout State) throws(NFTablesError) -> UInt32 in
            try state.drain()
            let key = Key(family: table.family.rawValue, table: table.name)
            if state.changed[key] != nil { state.changed[key] = false }
            try state.setMembership(false)
            return try generation()
        }
        do {
            let commits = try commit()
            try state.withLock { (state: inout State) throws(NFTablesError) in
                let after = try generation()
                try state.setMembership(true)
                let joined = try generation()
                if joined == after, after &- before <= UInt32(commits) {
                    state.seenGeneration = joined
                } else {
                    state.markAllChanged()
                }
            }
            return commits
        } catch {
            try? state.withLock { (state: inout State) throws(NFTablesError) in
                try state.setMembership(true)
                state.markAllChanged()
            }
            throw error
        }
    }
}

extension NetfilterMonitor.State {
    mutating func setMembership(_ join: Bool) throws(NFTablesError) {
        guard join != subscribed else { return }
        var group = NetfilterMonitor.group
        // NETLINK_ADD_MEMBERSHIP = 1, NETLINK_DROP_MEMBERSHIP = 2
        guard mnl_socket_setsockopt(socket, join ? 1 : 2, &group, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .last(join ? "join" : "leave", "nf_tables notification group")
        }
        subscribed = join
    }

    mutating func markAllChanged() {
        for key in changed.keys { changed[key] = true }
    }

    func hasSeen(_ generation: UInt32) -> Bool {
        guard let seenGeneration else { return false }
        return Int32(bitPattern: seenGeneration &- generation) >= 0
    }

    /// Waits up to `timeout` for a notification; whether one is there.
    func waitReadable(_ timeout: Duration) throws(NFTablesError) -> Bool {
        var descriptor = pollfd(fd: mnl_socket_get_fd(socket), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeout.pollMilliseconds(atLeast: 1))
        if ready < 0, errno != EINTR { throw .last("wait for", "nf_tables notifications") }
        return ready > 0
    }

    /// Reads every queued notification without blocking and records what it says.
    mutating func drain() throws(NFTablesError) {
        let fd = mnl_socket_get_fd(socket)
        while true {
            let capacity = buffer.count
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, capacity, Int32(MSG_DONTWAIT)) }
            if received < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR: continue
                case ENOBUFS:
                    markAllChanged()  // notifications were dropped: nothing can be ruled out
                    continue
                default: throw .last("read", "nf_tables notifications")
                }
            }
            if received == 0 { return }
            buffer.withUnsafeBytes { raw in record(raw, count: received) }
        }
    }

    /// Records the notifications in one datagram.
    private mutating func record(_ raw: UnsafeRawBufferPointer, count: Int) {
        var offset = 0
        while offset + 20 <= count {
            let length = Int(raw.load(fromByteOffset: offset, as: UInt32.self))
            guard length >= 20, offset + length <= count else { return }
            let type = raw.load(fromByteOffset: offset + 4, as: UInt16.self)
            let port = raw.load(fromByteOffset: offset + 12, as: UInt32.self)
            let family = raw.load(fromByteOffset: offset + 16, as: UInt8.self)
            if type >> 8 == NetfilterMonitor.subsystem {
                let attribute = Self.firstAttribute(raw, from: offset + 20, to: offset + length)
                if type & 0xff == 15 {  // NFT_MSG_NEWGEN: NFTA_GEN_ID (big endian)
                    if let attribute, attribute.count >= 4 {
                        seenGeneration = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: attribute.lowerBound, as: UInt32.self))
                    }
                } else if port != ownPort, let attribute {
                    // Every object message carries its table's name as attribute 1 (NFTA_TABLE_NAME,
                    // NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, …).
                    let name = String(decoding: raw[attribute].prefix { $0 != 0 }, as: UTF8.self)
                    let key = NetfilterMonitor.Key(family: family, table: name)
                    if changed[key] != nil { changed[key] = true }
                }
            }
            offset += (length + 3) & ~3
        }
    }

    /// The payload range of attribute type 1 among the attributes in `start..<end`.
    private static func firstAttribute(_ raw: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Range<Int>? {
        var offset = start
        while offset + 4 <= end {
            let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let type = raw.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3fff
            guard length >= 4, offset + length <= end else { return nil }
            if type == 1 { return (offset + 4)..<(offset + length) }
            offset += (length + 3) & ~3
        }
        return nil
    }
}
