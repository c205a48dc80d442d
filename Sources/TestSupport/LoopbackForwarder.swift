#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxSystem
import Synchronization

/// Makes a loopback port inside a test's network namespace reachable on the same port of the host's
/// loopback, for daemons the harness splits across the two (the runtime's streaming server lives in the
/// node's namespace, the kubelet that dials it in the host's). Each connection is copied both ways by two
/// threads; nothing but loopback is touched on the host's side. With `target`, connections go to that IPv4
/// address (and `targetPort`) inside the namespace instead (a lab's API server on its bridge address).
public final class LoopbackForwarder: @unchecked Sendable {
    public let port: Int
    private let listener: Int32

    public init(namespace: NetworkNamespace, port: Int, target: String = "127.0.0.1", targetPort: Int? = nil) throws {
        self.port = port
        var targetAddress = in_addr()
        guard inet_pton(AF_INET, target, &targetAddress) == 1 else { throw TestSupportError("not an IPv4 address: \(target)") }
        let destination = (address: targetAddress.s_addr, port: targetPort ?? port)
        listener = try Self.listeningSocket(port: port)
        let listener = listener
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                guard let inner = try? namespace.run({ try Self.connectedSocket(address: destination.address, port: destination.port) }) else {
                    close(client)
                    continue
                }
                Self.splice(client, inner)
            }
        }
    }

    /// Stops accepting; open connections end with their peers.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        return address
    }

    /// A socket listening on 127.0.0.1:`port` (also for a test's own loopback servers).
    public static func listeningSocket(port: Int) throws -> Int32 {
        let fd = try boundSocket(port: port)
        guard listen(fd, 16) == 0 else {
            let error = SystemError.lastError("listen", context: "127.0.0.1:\(port)")
            close(fd)
            throw error
        }
        return fd
    }

    /// A TCP socket bound to 127.0.0.1:`port`, not listening: a connect to it is refused.
    public static func boundSocket(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, bound == 0 else {
            let error = SystemError.lastError("bind", context: "127.0.0.1:\(port)")
            close(fd)
            throw error
        }
        return fd
    }

    /// The port a socket is bound to (the one the kernel picked for port 0).
    public static func boundPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw SystemError.lastError("getsockname") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func connectedSocket(address target: in_addr_t, port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        address.sin_addr.s_addr = target
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else {
            let error = SystemError.lastError("connect", context: "port \(port)")
            close(fd)
            throw error
        }
        return fd
    }

    /// Copies `a` ⇄ `b`, passing each end-of-file on as a half-close; the last copier closes both.
    private static func splice(_ a: Int32, _ b: Int32) {
        let finished = Mutex(0)
        for (from, to) in [(a, b), (b, a)] {
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    var offset = 0
                    while offset < count {
                        let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + offset, count - offset) }
                        guard written > 0 else { break }
                        offset += written
                    }
                    if offset < count { break }
                }
                shutdown(to, Int32(SHUT_WR))
                if finished.withLock({ $0 += 1; return $0 }) == 2 {
                    close(a)
                    close(b)
                }
            }
        }
    }
}
