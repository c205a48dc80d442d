#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the `errno` it left, the operation that failed and what it was applied to.
///
/// Thrown by every syscall wrapper in `LinuxSystem` (and reused by `Netlink` and `NFTables`), so a caller
/// can match on `errno` (`error.errno == ENOENT`) while logs still read well:
///
///     setns(/var/run/netns/blue): Operation not permitted (errno 1)
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value reported by the kernel or libc.
    public let errno: Int32
    /// The call that failed, e.g. `"setns"` or `"mount"`.
    public let operation: String
    /// What the call was applied to (a path, a name, a key), if anything.
    public let context: String?

    public init(errno: Int32, operation: String, context: String? = nil) {
        self.errno = errno
        self.operation = operation
        self.context = context
    }

    /// Captures the calling thread's current `errno` for `operation`.
    public static func lastError(_ operation: String, context: String? = nil) -> SystemError {
        SystemError(errno: Glibc.errno, operation: operation, context: context)
    }

    /// Returns `result` unless it is `-1`, in which case throws ``lastError(_:context:)``.
    @discardableResult
    public static func check(_ result: Int32, _ operation: String, context: String? = nil) throws(SystemError) -> Int32 {
        guard result == -1 else { return result }
        throw lastError(operation, context: context)
    }

    /// The libc text for ``errno`` (`strerror`).
    public var message: String { String(cString: strerror(errno)) }

    public var description: String {
        let subject = context.map { "\(operation)(\($0))" } ?? operation
        return "\(subject): \(message) (errno \(errno))"
    }
}
