import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// A session on the kernel's routing netlink (rtnetlink): links, bridge ports and VLANs, addresses,
/// routes and neighbours of one network namespace, with no `ip` subprocess.
///
/// The session works on the namespace its socket was opened in. Open it inside the target namespace
/// and use it from anywhere afterwards:
///
///     let netlink = try RouteNetlink(in: containerNamespace)
///     try netlink.setUp("eth0")
///
/// A session is not thread-safe: use it from one task or thread at a time.
public final class RouteNetlink {
    private let session: NetlinkSession

    /// A session over `socket`; `firstSequence` numbers the first request.
    public init(socket: any NetlinkSocket, firstSequence: UInt32 = 1) {
        self.session = NetlinkSession(socket: socket, firstSequence: firstSequence)
    }

    /// A session on the calling thread's network namespace.
    public convenience init() throws {
        self.init(socket: try KernelNetlinkSocket())
    }

    /// A session on `namespace`: its socket is opened on a thread inside `namespace`.
    public convenience init(in namespace: NetworkNamespace) throws {
        let socket = try namespace.run { try KernelNetlinkSocket() }
        self.init(socket: socket)
    }

    /// A new request that asks for an acknowledgement.
    static func request(_ type: Int, flags: Int32 = 0) -> NetlinkRequest {
        NetlinkRequest(type: type, flags: flags | NLM_F_ACK)
    }

    /// See ``NetlinkSession/dump(_:header:_:attributes:)``.
    func dump<Header>(
        _ type: Int, header: Header, _ operation: String, attributes: (NetlinkRequest) -> Void = { _ in }
    ) throws -> [NetlinkReply] {
        try session.dump(type, header: header, operation, attributes: attributes)
    }

    /// See ``NetlinkSession/execute(_:_:_:)``.
    @discardableResult
    func execute(_ request: NetlinkRequest, _ operation: String, _ subject: String?) throws -> [NetlinkReply] {
        try session.execute(request, operation, subject)
    }
}
