#if canImport(Glibc)
import Glibc
#endif

/// A device node's identity as `stat(2)` reports it: what a container runtime needs to recreate the node
/// inside a container and to allow it in the devices cgroup.
public struct DeviceNode: Sendable, Equatable {
    public enum Kind: String, Sendable { case character = "c", block = "b" }

    public let kind: Kind
    public let major: Int64
    public let minor: Int64
    /// The permission bits.
    public let mode: UInt32

    /// Reads `path`; fails with ENOENT and friends, or ENODEV when it is not a device node.
    public init(path: String) throws(SystemError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError.lastError("stat", context: path) }
        switch info.st_mode & S_IFMT {
        case S_IFCHR: kind = .character
        case S_IFBLK: kind = .block
        default: throw SystemError(errno: ENODEV, operation: "stat", context: "\(path) is not a device node")
        }
        // gnu_dev_major / gnu_dev_minor.
        let device = UInt64(info.st_rdev)
        major = Int64(((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff))
        minor = Int64((device & 0xff) | ((device >> 12) & ~0xff))
        mode = info.st_mode & 0o7777
    }
}
