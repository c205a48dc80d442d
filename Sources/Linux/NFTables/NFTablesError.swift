#if canImport(Glibc)
import Glibc
#endif

/// A failed nf_tables operation: the kernel's `errno`, what was being done and to which object.
///
/// Errors from a committed ``Transaction`` name the message the kernel rejected, so logs read like
///
///     add rule to chain ip kube-proxy/services: No such file or directory (errno 2)
///
/// and callers can match on the number: `error.errno == ENOENT`.
public struct NFTablesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value reported by the kernel or libc.
    public let errno: Int32
    /// What was being done, e.g. `"add rule to"`, `"delete set"`, `"list rules of"`.
    public let operation: String
    /// The object the operation applied to, e.g. `"chain ip kube-proxy/services"`.
    public let object: String
    /// The kernel's extended-ack message, when it sent one.
    public let detail: String?

    public init(errno: Int32, operation: String, object: String, detail: String? = nil) {
        self.errno = errno
        self.operation = operation
        self.object = object
        self.detail = detail
    }

    /// The libc text for ``errno`` (`strerror`).
    public var message: String { String(cString: strerror(errno)) }

    public var description: String {
        let subject = object.isEmpty ? operation : "\(operation) \(object)"
        let extra = detail.map { " (\($0))" } ?? ""
        return "\(subject): \(message) (errno \(errno))\(extra)"
    }

    /// Captures the calling thread's current `errno` for `operation` on `object`.
    static func last(_ operation: String, _ object: String = "") -> NFTablesError {
        NFTablesError(errno: Glibc.errno, operation: operation, object: object)
    }

    /// An invalid argument caught before anything reaches the kernel.
    static func invalid(_ operation: String, _ object: String) -> NFTablesError {
        NFTablesError(errno: EINVAL, operation: operation, object: object)
    }
}
