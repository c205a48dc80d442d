#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to a port on the loopback of the calling thread's network namespace, as a plain
/// descriptor: what a port forward opens inside a pod's namespace (run it through
/// ``NetworkNamespace/perform(_:)``; the socket stays in that namespace afterwards).
public enum LoopbackTCP {
    /// Connects to `127.0.0.1:port`, then to `[::1]:port` when IPv4 fails, as `localhost` resolves. The
    /// error of each attempt is kept, so a refusal reads `127.0.0.1:80: Connection refused; [::1]:80: …`.
    public static func connect(port: UInt16) throws(LoopbackTCPError) -> Int32 {
        var failures: [(address: String, error: SystemError)] = []
        do {
            return try connectIPv4(port: port)
        } catch {
            failures.append(("127.0.0.1:\(port)", error))
        }
        do {
            return try connectIPv6(port: port)
        } catch {
            failures.append(("[::1]:\(port)", error))
        }
        throw LoopbackTCPError(port: port, failures: failures.map { "\($0.address): \($0.error.message)" })
    }

    private static func connectIPv4(port: UInt16) throws(SystemError) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return try open(family: AF_INET, address: &address, length: socklen_t(MemoryLayout<sockaddr_in>.size))
    }

    private static func connectIPv6(port: UInt16) throws(SystemError) -> Int32 {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        address.sin6_addr = in6addr_loopback
        return try open(family: AF_INET6, address: &address, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
    }

    private static func open<Address>(family: Int32, address: inout Address, length: socklen_t) throws(SystemError) -> Int32 {
        let descriptor = try SystemError.check(socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, length) }
        }
        guard result == 0 else {
            let error = SystemError.lastError("connect")
            close(descriptor)
            throw error
        }
        return descriptor
    }
}

/// Neither loopback address accepted the connection.
public struct LoopbackTCPError: Error, CustomStringConvertible {
    public let port: UInt16
    /// One line per address tried: `127.0.0.1:80: Connection refused`.
    public let failures: [String]

    public var description: String { "failed to connect to localhost:\(port): \(failures.joined(separator: "; "))" }
}
