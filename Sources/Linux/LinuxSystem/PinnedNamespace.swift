#if canImport(Glibc)
import Glibc
#endif

/// IPC and UTS namespaces held by a bind mount of their nsfs file instead of by a process — what CRI-O's
/// `pinns` does for a pod without an infra ("pause") container. Containers join such a namespace by path
/// (`setns` on the file), and it lives until the last bind mount goes and no process is left in it.
///
/// The namespaces are made on a dedicated thread that `unshare`s, is configured inside them (its hostname,
/// IPC sysctls such as `kernel.shmmax`, which the kernel resolves against the opening thread's namespaces),
/// bind-mounts `/proc/thread-self/ns/<kind>` onto each path and exits: no thread that changed namespace is
/// ever reused.
///
///     try PinnedNamespace.create([.ipc: dir + "/ns/ipc", .uts: dir + "/ns/uts"]) {
///         try PinnedNamespace.setHostname("web-0")
///         try Sysctl.write("kernel.shm_rmid_forced", "1")
///     }
///     defer { try? PinnedNamespace.remove(dir + "/ns/ipc"); try? PinnedNamespace.remove(dir + "/ns/uts") }
public enum PinnedNamespace {
    /// The namespace kinds a pod pins (its network namespace is a ``NetworkNamespace``).
    public enum Kind: String, Sendable, CaseIterable, Hashable {
        case ipc, uts

        var cloneFlag: Int32 {
            switch self {
            case .ipc: GNU.cloneNewIPC
            case .uts: GNU.cloneNewUTS
            }
        }
    }

    /// Creates a new namespace of each kind in `paths` (with one `unshare`), runs `configure` inside them and
    /// pins each on its path: an empty file made for it (`EEXIST` if one is there), its parent directory made if
    /// missing. On any failure nothing is left mounted or created. An empty `paths` does nothing.
    public static func create(_ paths: [Kind: String], configure: () throws -> Void = {}) throws {
        guard !paths.isEmpty else { return }
        var created: [String] = []
        do {
            for path in paths.values {
                try makeParent(of: path)
                let fd = try SystemError.check(open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444), "open", context: path)
                close(fd)
                created.append(path)
            }
            let flags = paths.keys.reduce(Int32(0)) { $0 | $1.cloneFlag }
            try DedicatedThread.run {
                try SystemError.check(GNU.unshare(flags), "unshare", context: paths.keys.map(\.rawValue).sorted().joined(separator: ","))
                try configure()
                for (kind, path) in paths {
                    let source = "/proc/thread-self/ns/" + kind.rawValue
                    try SystemError.check(mount(source, path, "none", UInt(MS_BIND), nil), "mount", context: "\(source) on \(path)")
                }
            }
        } catch {
            for path in created { try? remove(path) }
            throw error
        }
    }

    /// Sets the hostname of the calling thread's UTS namespace; for ``create(_:configure:)``'s `configure`.
    public static func setHostname(_ name: String) throws {
        try SystemError.check(GNU.sethostname(name), "sethostname", context: name)
    }

    /// Unpins the namespace at `path`: detaches the bind mount and removes the file. A path that is gone or not
    /// mounted is not an error, so cleanup can be repeated.
    public static func remove(_ path: String) throws {
        if umount2(path, Int32(MNT_DETACH)) == -1, errno != EINVAL, errno != ENOENT {
            throw SystemError.lastError("umount2", context: path)
        }
        if unlink(path) == -1, errno != ENOENT {
            throw SystemError.lastError("unlink", context: path)
        }
    }

    /// The inode identifying the namespace pinned at `path` (or any nsfs file, `/proc/PID/ns/ipc`): two paths
    /// with the same inode are the same namespace.
    public static func inode(_ path: String) throws -> UInt64 {
        var info = stat()
        try SystemError.check(stat(path, &info), "stat", context: path)
        return UInt64(info.st_ino)
    }

    private static func makeParent(of path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let parent = String(path[..<slash])
        if mkdir(parent, 0o755) == -1, errno != EEXIST {
            throw SystemError.lastError("mkdir", context: parent)
        }
    }
}
