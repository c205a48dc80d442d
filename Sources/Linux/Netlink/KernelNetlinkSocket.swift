import CMnl
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// A real netlink socket (libmnl `mnl_socket`), bound to the network namespace of the thread that
/// opened it for its whole life.
///
/// Extended acks are switched on (`NETLINK_EXT_ACK`) so kernel error messages reach ``NetlinkError``,
/// and acks are capped (`NETLINK_CAP_ACK`) so errors do not echo the whole request.
public final class KernelNetlinkSocket: NetlinkSocket {
    private let socket: OpaquePointer
    public let portID: UInt32
    /// Where datagrams land before they are copied out: big enough for any rtnetlink dump datagram (the kernel caps
    /// them at 32 KiB), allocated once per socket and never cleared (a receive overwrites what it returns).
    private let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// Opens and binds a socket for netlink `bus` (`NETLINK_ROUTE` by default).
    public init(bus: Int32 = NETLINK_ROUTE) throws {
        guard let socket = mnl_socket_open(bus) else { throw SystemError.lastError("mnl_socket_open") }
        self.socket = socket
        do {
            try SystemError.check(mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)), "mnl_socket_bind")
            var on: Int32 = 1
            let size = socklen_t(MemoryLayout<Int32>.size)
            try SystemError.check(mnl_socket_setsockopt(socket, NETLINK_EXT_ACK, &on, size), "setsockopt", context: "NETLINK_EXT_ACK")
            try SystemError.check(mnl_socket_setsockopt(socket, NETLINK_CAP_ACK, &on, size), "setsockopt", context: "NETLINK_CAP_ACK")
        } catch {
            mnl_socket_close(socket)
            throw error
        }
        portID = mnl_socket_get_portid(socket)
    }

    deinit {
        mnl_socket_close(socket)
        receiveBuffer.deallocate()
    }

    public func send(_ datagram: [UInt8]) throws {
        let sent = datagram.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) }
        guard sent >= 0 else { throw SystemError.lastError("sendto", context: "netlink") }
        guard sent == datagram.count else { throw SystemError(errno: EMSGSIZE, operation: "sendto", context: "netlink") }
    }

    public func receive() throws -> [UInt8] {
        while true {
            let count = mnl_socket_recvfrom(socket, receiveBuffer.baseAddress, receiveBuffer.count)
            if count == -1, errno == EINTR { continue }
            guard count >= 0 else { throw SystemError.lastError("recvfrom", context: "netlink") }
            return Array(UnsafeRawBufferPointer(rebasing: receiveBuffer[..<count]))
        }
    }
}
