#if canImport(Glibc)
import Glibc
#endif

/// Unix-domain sockets as a container monitor and its runtime use them: a `SOCK_SEQPACKET` attach socket (one
/// message per write, so stream bytes and control messages keep their boundaries) and the console socket through
/// which runc hands over a container terminal's master (`SCM_RIGHTS`).
///
/// A socket path is limited to 107 bytes, which a bundle directory under a deep root easily exceeds; a socket in
/// such a directory is reached through `/proc/self/fd/<directory fd>/<name>` (see ``connect(directory:name:type:)``),
/// which is how conmon's clients reach its attach socket too.
public enum UnixSocket {
    /// `SOCK_SEQPACKET`: reliable, ordered, message boundaries kept.
    public static let seqPacket = Int32(SOCK_SEQPACKET.rawValue)
    /// `SOCK_STREAM`.
    public static let stream = Int32(SOCK_STREAM.rawValue)

    /// A new close-on-exec socket bound to `path` (absolute, or relative to the working directory) and listening;
    /// an old socket file at `path` is replaced.
    public static func listen(path: String, type: Int32, backlog: Int32 = 16) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.lastError("socket", context: path) }
        unlink(path)
        var address = try address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, backlog) == 0 else {
            let error = SystemError.lastError(bound == 0 ? "listen" : "bind", context: path)
            close(fd)
            throw error
        }
        return fd
    }

    /// A close-on-exec socket connected to `path`.
    public static func connect(path: String, type: Int32) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.lastError("socket", context: path) }
        var address = try address(path)
        var result: Int32
        repeat {
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let error = SystemError.lastError("connect", context: path)
            close(fd)
            throw error
        }
        return fd
    }

    /// Connects to the socket `name` in `directory` whatever the directory's length, through a descriptor of the
    /// directory (`/proc/self/fd/N/name`).
    public static func connect(directory: String, name: String, type: Int32) throws(SystemError) -> Int32 {
        let directoryFD = open(directory, Self.openPath | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw SystemError.lastError("open", context: directory) }
        defer { close(directoryFD) }
        return try connect(path: "/proc/self/fd/\(directoryFD)/\(name)", type: type)
    }

    /// Accepts one connection (close-on-exec; callers are single-threaded or accept before they spawn); nil when
    /// none is waiting on a non-blocking socket.
    public static func accept(_ listener: Int32) throws(SystemError) -> Int32? {
        while true {
            let fd = Glibc.accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                return fd
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw SystemError.lastError("accept")
        }
    }

    /// Receives one descriptor passed with `SCM_RIGHTS` (what runc's `--console-socket` sends: the terminal
    /// master, with its name as the message).
    public static func receiveDescriptor(_ socket: Int32) throws(SystemError) -> Int32 {
        var data = [UInt8](repeating: 0, count: 4096)
        // struct cmsghdr { size_t len; int level; int type; } followed by one int, padded: CMSG_SPACE(4) = 24.
        var control = [UInt8](repeating: 0, count: 64)
        let received: Int = data.withUnsafeMutableBytes { dataBytes in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: dataBytes.baseAddress, iov_len: dataBytes.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    var count: Int
                    repeat { count = recvmsg(socket, &message, Self.receiveCloseOnExec) } while count < 0 && errno == EINTR
                    return count < 0 ? -1 : message.msg_controllen
                }
            }
        }
        guard received >= 0 else { throw SystemError.lastError("recvmsg") }
        let headerSize = MemoryLayout<Int>.size + 8
        guard received >= headerSize + 4 else { throw SystemError(errno: EBADMSG, operation: "recvmsg: no descriptor was passed") }
        let level = control.withUnsafeBytes { $0.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self) }
        let type = control.withUnsafeBytes { $0.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self) }
        guard level == SOL_SOCKET, type == Self.rightsMessage else {
            throw SystemError(errno: EBADMSG, operation: "recvmsg: unexpected control message \(level)/\(type)")
        }
        return control.withUnsafeBytes { $0.load(fromByteOffset: headerSize, as: Int32.self) }
    }

    /// Sends `bytes` as one message (a `SOCK_SEQPACKET` record) without raising SIGPIPE.
    @discardableResult
    public static func send(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var sent: Int
        repeat {
            sent = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        } while sent < 0 && errno == EINTR
        return sent == bytes.count
    }

    /// Bounds how long a blocking send may wait for the peer to read (`SO_SNDTIMEO`).
    public static func setSendTimeout(_ socket: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `O_PATH`, `MSG_CMSG_CLOEXEC` and `SCM_RIGHTS`, which the Glibc module (built without `_GNU_SOURCE`) hides.
    private static let openPath: Int32 = 0o10_000_000
    private static let receiveCloseOnExec: Int32 = 0x4000_0000
    private static let rightsMessage: Int32 = 1

    private static func address(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError(errno: ENAMETOOLONG, operation: "socket path \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}
