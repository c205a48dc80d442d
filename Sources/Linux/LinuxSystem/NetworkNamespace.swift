#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// An open network namespace: owns a file descriptor on an nsfs file (`/var/run/netns/NAME`,
/// `/proc/PID/ns/net`, …) and closes it when released.
///
/// Holding the descriptor keeps the namespace alive even after its name is deleted. To do work inside
/// it use ``run(in:_:)`` or ``perform(_:)``, which run the work on a dedicated thread that exits
/// afterwards, so no thread that changed namespace is ever reused.
///
///     let ns = try NetworkNamespace.create(named: "blue")
///     defer { try? NetworkNamespace.delete(named: "blue") }
///     let forwarding = try ns.perform { try Sysctl.read("net.ipv4.ip_forward") }
public final class NetworkNamespace: Sendable {
    /// Where `ip netns` keeps its named namespaces.
    public static let runDirectory = "/var/run/netns"

    /// The open descriptor; valid for the lifetime of this object.
    public let fileDescriptor: Int32
    /// The path this namespace was opened from.
    public let path: String

    private init(fileDescriptor: Int32, path: String) {
        self.fileDescriptor = fileDescriptor
        self.path = path
    }

    deinit { close(fileDescriptor) }

    /// Opens the namespace bound at `path` (an nsfs file or bind mount of one).
    public static func open(path: String) throws -> NetworkNamespace {
        let fd = try SystemError.check(Glibc.open(path, O_RDONLY | O_CLOEXEC), "open", context: path)
        return NetworkNamespace(fileDescriptor: fd, path: path)
    }

    /// Opens the namespace `ip netns add NAME` created.
    public static func open(named name: String) throws -> NetworkNamespace {
        try open(path: path(named: name))
    }

    /// Opens the network namespace process `pid` is in.
    public static func open(pid: pid_t) throws -> NetworkNamespace {
        try open(path: "/proc/\(pid)/ns/net")
    }

    /// Opens the network namespace of the calling thread.
    public static func current() throws -> NetworkNamespace {
        try open(path: "/proc/thread-self/ns/net")
    }

    /// The inode of the calling thread's network namespace: equal inodes mean the same namespace.
    public static func currentInode() throws -> UInt64 {
        var info = stat()
        try SystemError.check(stat("/proc/thread-self/ns/net", &info), "stat", context: "/proc/thread-self/ns/net")
        return UInt64(info.st_ino)
    }

    /// The inode identifying this namespace (compare with ``currentInode()``).
    public func inode() throws -> UInt64 {
        var info = stat()
        try SystemError.check(fstat(fileDescriptor, &info), "fstat", context: path)
        return UInt64(info.st_ino)
    }

    /// The name under ``runDirectory`` this namespace was opened by, if it was opened that way.
    public var name: String? {
        let prefix = Self.runDirectory + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return String(path.dropFirst(prefix.count))
    }

    /// The path of the named namespace `name`: `/var/run/netns/NAME`.
    public static func path(named name: String) -> String { "\(runDirectory)/\(name)" }

    /// Creates a new, empty network namespace named `name`, exactly as `ip netns add NAME` does:
    /// `/var/run/netns` becomes a shared mount point (so the namespace propagates to other mount
    /// namespaces), and the new namespace is bind-mounted onto `/var/run/netns/NAME` from a dedicated
    /// thread that `unshare(CLONE_NEWNET)`s and then exits.
    ///
    /// Throws `EEXIST` if the name is taken.
    public static func create(named name: String) throws -> NetworkNamespace {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw SystemError(errno: EINVAL, operation: "netns add", context: name)
        }
        let path = path(named: name)
        try creation.withLock { _ in
            try prepareRunDirectory()
            let fd = try SystemError.check(Glibc.open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0), "open", context: path)
            close(fd)
            do {
                try DedicatedThread.run {
                    try SystemError.check(GNU.unshare(GNU.cloneNewNet), "unshare", context: "CLONE_NEWNET")
                    try SystemError.check(
                        mount("/proc/thread-self/ns/net", path, "none", UInt(MS_BIND), nil), "mount", context: path)
                }
            } catch {
                unlink(path)
                throw error
            }
        }
        return try open(path: path)
    }

    /// Deletes the named namespace `name` like `ip netns delete NAME`: detaches the bind mount and
    /// removes the file. The namespace itself lives on while anything still holds it open.
    ///
    /// Throws `ENOENT` if there is no such name.
    public static func delete(named name: String) throws {
        try delete(path: path(named: name))
    }

    /// Detaches a namespace bind mount at `path` and removes the file.
    public static func delete(path: String) throws {
        if umount2(path, Int32(MNT_DETACH)) == -1, errno != EINVAL {
            throw SystemError.lastError("umount2", context: path)
        }
        try SystemError.check(unlink(path), "unlink", context: path)
    }

    /// Serialises `create` within this process: two first-time creations must not both turn the
    /// run directory into a mount point.
    private static let creation = Mutex<Void>(())

    /// Makes `/var/run/netns` exist and be a shared mount point (iproute2's `netns_add`).
    private static func prepareRunDirectory() throws {
        if mkdir(runDirectory, 0o755) == -1, errno != EEXIST {
            throw SystemError.lastError("mkdir", context: runDirectory)
        }
        var boundOnItself = false
        while mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) == -1 {
            guard errno == EINVAL, !boundOnItself else {
                throw SystemError.lastError("mount --make-rshared", context: runDirectory)
            }
            try SystemError.check(
                mount(runDirectory, runDirectory, "none", UInt(MS_BIND | MS_REC), nil), "mount --rbind", context: runDirectory)
            boundOnItself = true
        }
    }
}
