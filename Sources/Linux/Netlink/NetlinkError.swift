import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// The kernel refused a netlink request (an `NLMSG_ERROR` with a non-zero code), or its reply made no
/// sense.
///
/// Carries the `errno`, which operation on what failed, and the kernel's extended-ack text when it
/// gave one:
///
///     delete link swt0: No such device (errno 19)
///     add link br0: Numerical result out of range (errno 34) — kernel: "MTU too big"
public struct NetlinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The positive `errno` value (`ENODEV`, `EEXIST`, …).
    public let errno: Int32
    /// What was being done, e.g. `"delete link"` or `"add address"`.
    public let operation: String
    /// What it was done to (a link name, an address, a route), if known.
    public let subject: String?
    /// The kernel's extended-ack message (`NLMSGERR_ATTR_MSG`), if it sent one.
    public let kernelMessage: String?

    public init(errno: Int32, operation: String, subject: String? = nil, kernelMessage: String? = nil) {
        self.errno = errno
        self.operation = operation
        self.subject = subject
        self.kernelMessage = kernelMessage
    }

    /// The libc text for ``errno``.
    public var message: String { String(cString: strerror(errno)) }

    public var description: String {
        let what = subject.map { "\(operation) \($0)" } ?? operation
        let kernel = kernelMessage.map { " — kernel: \"\($0)\"" } ?? ""
        return "\(what): \(message) (errno \(errno))\(kernel)"
    }
}
