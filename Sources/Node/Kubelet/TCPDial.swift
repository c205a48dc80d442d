#if canImport(Glibc)
import Glibc
#endif
import GoNet
import LinuxSystem

/// A blocking TCP connect to an IPv4 address within a timeout, failing in the words of Go's `net.Dial` (``DialError``),
/// which is what upstream's probes report (`dial tcp 10.88.0.4:80: connect: connection refused`, `… i/o timeout`).
enum TCPDial {
    /// A connected, blocking-mode TCP socket (the caller closes it). Blocks the calling thread for up to `timeout`.
    static func connect(host: String, port: Int, timeout: Duration) -> Result<Int32, DialError> {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return .failure(DialError(host: host, port: port, reason: .connect(errno: EINVAL))) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(DialError(host: host, port: port, reason: .connect(errno: errno))) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0, errno != EINPROGRESS {
            let failure = errno
            close(fd)
            return .failure(DialError(host: host, port: port, reason: .connect(errno: failure)))
        }
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&descriptor, 1, timeout.pollMilliseconds()) == 1 else {
            close(fd)
            return .failure(DialError(host: host, port: port, reason: .timeout))
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
        if failure != 0 {
            close(fd)
            return .failure(DialError(host: host, port: port, reason: .connect(errno: failure)))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return .success(fd)
    }
}
