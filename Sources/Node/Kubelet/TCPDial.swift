#if canImport(Glibc)
import Glibc
#endif
import LinuxSystem

/// A blocking TCP connect to an IPv4 address within a timeout, failing in the words of Go's `net.Dial`, which is
/// what upstream's probes report (`dial tcp 10.88.0.4:80: connect: connection refused`, `… i/o timeout`).
enum TCPDial {
    /// Why a dial failed.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The connect failed with this errno.
        case refused(host: String, port: Int, errno: Int32)
        /// No answer within the timeout.
        case timedOut(host: String, port: Int)

        var description: String {
            switch self {
            case .refused(let host, let port, let errno):
                // Go's errno texts are glibc's with a lower-case first letter ("connection refused").
                let text = String(cString: strerror(errno))
                return "dial tcp \(host):\(port): connect: " + text.prefix(1).lowercased() + text.dropFirst()
            case .timedOut(let host, let port):
                return "dial tcp \(host):\(port): i/o timeout"
            }
        }
    }

    /// A connected, blocking-mode TCP socket (the caller closes it). Blocks the calling thread for up to `timeout`.
    static func connect(host: String, port: Int, timeout: Duration) -> Result<Int32, Failure> {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return .failure(.refused(host: host, port: port, errno: EINVAL)) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(.refused(host: host, port: port, errno: errno)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0, errno != EINPROGRESS {
            let failure = errno
            close(fd)
            return .failure(.refused(host: host, port: port, errno: failure))
        }
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&descriptor, 1, timeout.pollMilliseconds()) == 1 else {
            close(fd)
            return .failure(.timedOut(host: host, port: port))
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
        if failure != 0 {
            close(fd)
            return .failure(.refused(host: host, port: port, errno: failure))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return .success(fd)
    }
}
