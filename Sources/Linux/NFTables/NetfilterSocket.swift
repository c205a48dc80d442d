#if canImport(Glibc)
import Glibc
#endif
import CMnl
import CNftnl
import Synchronization

/// A netlink socket to nf_tables (`NETLINK_NETFILTER`, through libmnl): commits ``Transaction``s as
/// batches, reads the ruleset back and reports the generation.
///
/// The socket belongs to the network namespace of the thread that opens it, for its whole life, so
/// to program another namespace open it from a thread inside it (`NetworkNamespace.run`). Calls are
/// serialised; the type is safe to share between tasks.
///
///     let socket = try NetfilterSocket()
///     try socket.commit(tx)
///     let rules = try socket.rules(in: table)
public final class NetfilterSocket: Sendable {
    /// Limits that decide when one commit becomes several batches.
    public struct Options: Sendable {
        /// Largest batch sent at once. A bigger transaction is split into several kernel transactions,
        /// each atomic on its own (the ENOBUFS/EMSGSIZE lesson from kube-proxy).
        public var maxBatchBytes: Int
        /// Most requests per batch, bounding how many acknowledgements queue up in the receive buffer.
        public var maxBatchMessages: Int
        /// How long to wait for the kernel's answers before failing with `ETIMEDOUT`.
        public var receiveTimeout: Duration
        /// Whether to open a ``NetfilterMonitor`` beside the socket (in the same namespace), which tells
        /// changes by others to a table apart from our own commits (``NetfilterSocket/monitor``).
        public var monitorsChanges: Bool

        public init(maxBatchBytes: Int = 32 << 20, maxBatchMessages: Int = 16_384, receiveTimeout: Duration = .seconds(30),
                    monitorsChanges: Bool = false) {
            self.maxBatchBytes = maxBatchBytes
            self.maxBatchMessages = maxBatchMessages
            self.receiveTimeout = receiveTimeout
            self.monitorsChanges = monitorsChanges
        }
    }

    struct State {
        let socket: OpaquePointer
        let portID: UInt32
        var sequence: UInt32
        var sendBuffer = 0
        var receiveBuffer = 0
        var scratch = [UInt8](repeating: 0, count: 128 * 1024)

        /// The next `count` sequence numbers.
        mutating func take(_ count: Int) -> UInt32 {
            let first = sequence
            sequence &+= UInt32(count)
            return first
        }
    }

    let options: Options
    let state: Mutex<State>
    /// Change notifications of this socket's namespace, with this socket's commits told apart; present
    /// when ``Options/monitorsChanges`` is set.
    public let monitor: NetfilterMonitor?

    /// The socket's netlink port: the kernel's change notifications name it as the sender of our
    /// commits (see ``NetfilterMonitor``).
    public var portID: UInt32 { state.withLock { $0.portID } }

    /// Opens and binds a socket in the calling thread's network namespace, asks for extended and
    /// capped acknowledgements, and sets large buffers (`SO_SNDBUFFORCE`/`SO_RCVBUFFORCE`, which
    /// need `CAP_NET_ADMIN`; without it the normal limits apply).
    public init(options: Options = Options()) throws(NFTablesError) {
        guard let socket = mnl_socket_open2(NETLINK_NETFILTER, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw .last("open netlink socket", "NETLINK_NETFILTER")
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let error = NFTablesError.last("bind netlink socket", "NETLINK_NETFILTER")
            mnl_socket_close(socket)
            throw error
        }
        var state = State(socket: socket, portID: mnl_socket_get_portid(socket), sequence: UInt32(truncatingIfNeeded: time(nil)))
        for option in [Int32(NETLINK_EXT_ACK), Int32(NETLINK_CAP_ACK)] {
            var one: Int32 = 1
            _ = mnl_socket_setsockopt(socket, option, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: Int(options.receiveTimeout.components.seconds), tv_usec: 0)
        setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        state.ensureBuffers(send: 4 << 20, receive: 4 << 20)
        do {
            monitor = options.monitorsChanges ? try NetfilterMonitor(ignoring: state.portID) : nil
        } catch {
            mnl_socket_close(socket)
            throw error
        }
        self.options = options
        self.state = Mutex(state)
    }

    deinit {
        state.withLock { _ = mnl_socket_close($0.socket) }
    }

    /// Applies `transaction` atomically: one batch, every request acknowledged, and on failure the
    /// error of the first rejected request (nothing of the batch stays applied).
    ///
    /// Transactions larger than ``Options/maxBatchBytes`` or ``Options/maxBatchMessages`` are sent as
    /// several batches in order; each is atomic, a failure stops at the failing batch. If the
    /// acknowledgements cannot be read (`ENOBUFS`, `ETIMEDOUT`) the outcome is unknown: read back.
    /// Returns the number of batches sent.
    @discardableResult
    public func commit(_ transaction: Transaction) throws(NFTablesError) -> Int {
        var batch: [Message] = []
        var bytes = 0
        var batches = 0
        for message in try transaction.messages() {
            if !batch.isEmpty, bytes + message.bytes.count > options.maxBatchBytes || batch.count >= options.maxBatchMessages {
                try send(batch: batch)
                batches += 1
                batch.removeAll(keepingCapacity: true)
                bytes = 0
            }
            batch.append(message)
            bytes += message.bytes.count
        }
        if !batch.isEmpty {
            try send(batch: batch)
            batches += 1
        }
        return batches
    }

    /// The ruleset generation: it changes with every committed transaction (`NFT_MSG_GETGEN`).
    public func generation() throws(NFTablesError) -> UInt32 {
        var id: UInt32 = 0
        let request = Message(.getGeneration, family: UInt8(AF_UNSPEC), flags: 0, operation: "get", object: "ruleset generation") { _ in }
        try query(request, dump: false) { nlh in
            let generation = nftnl_gen_alloc()!
            defer { nftnl_gen_free(generation) }
            if nftnl_gen_nlmsg_parse(nlh, generation) == 0 { id = nftnl_gen_get_u32(generation, UInt16(NFTNL_GEN_ID)) }
        }
        return id
    }

    /// Sends one batch (begin, `messages`, end) and waits for every acknowledgement.
    private func send(batch messages: [Message]) throws(NFTablesError) {
        try state.withLock { (state: inout State) throws(NFTablesError) in
            let begin = state.take(messages.count + 2)
            var buffer = Message.build(capacity: 64) { nftnl_batch_begin($0, begin) }
            for (index, message) in messages.enumerated() {
                var message = message
                message.stamp(sequence: begin &+ 1 &+ UInt32(index))
                buffer += message.bytes
            }
            let end = begin &+ UInt32(messages.count) &+ 1
            buffer += Message.build(capacity: 64) { nftnl_batch_end($0, end) }
            state.ensureBuffers(send: buffer.count + 64 * 1024, receive: messages.count * 1024 + (1 << 20))
            try state.send(buffer, operation: "send batch of \(messages.count) requests")

            var answered = 0
            var failures: [(index: Int, error: NFTablesError)] = []
            while answered < messages.count {
                try state.receive(operation: "receive acknowledgements") { reply in
                    guard reply.isError else { return true }
                    let offset = reply.sequence &- begin
                    if offset >= 1, offset <= UInt32(messages.count) {
                        let index = Int(offset) - 1
                        answered += 1
                        if reply.errno != 0 {
                            let message = messages[index]
                            failures.append((index, NFTablesError(errno: reply.errno, operation: message.operation,
                                                                  object: message.object, detail: reply.extendedMessage)))
                        }
                    } else if offset == 0 || reply.sequence == end, reply.errno != 0 {
                        failures.append((-1, NFTablesError(errno: reply.errno, operation: "commit batch of",
                                                           object: "\(messages.count) requests", detail: reply.extendedMessage)))
                        answered = messages.count
                    }
                    return answered < messages.count
                }
            }
            if let first = failures.min(by: { $0.index < $1.index }) { throw first.error }
        }
    }

    /// Sends `request` with a fresh sequence number and hands every reply message to `body` until the
    /// dump ends (`NLMSG_DONE`) or, for plain requests, the first reply arrives.
    func query(
        _ request: Message, dump: Bool, _ body: (UnsafePointer<nlmsghdr>) throws(NFTablesError) -> Void
    ) throws(NFTablesError) {
        try state.withLock { (state: inout State) throws(NFTablesError) in
            var request = request
            let sequence = state.take(1)
            request.stamp(sequence: sequence)
            if dump {
                request.bytes.withUnsafeMutableBytes {
                    let flags = $0.load(fromByteOffset: 6, as: UInt16.self) | Message.Flag.dump
                    $0.storeBytes(of: flags, toByteOffset: 6, as: UInt16.self)
                }
            }
            let operation = "\(request.operation) \(request.object)"
            try state.send(request.bytes, operation: operation)
            var done = false
            while !done {
                try state.receive(operation: operation) { (reply) throws(NFTablesError) in
                    guard reply.sequence == sequence else { return true }
                    if reply.isDone {
                        done = true
                    } else if reply.isError {
                        if reply.errno != 0 {
                            throw NFTablesError(errno: reply.errno, operation: request.operation, object: request.object,
                                                detail: reply.extendedMessage)
                        }
                        done = true
                    } else {
                        try body(reply.header)
                        done = !dump
                    }
                    return !done
                }
            }
        }
    }
}
