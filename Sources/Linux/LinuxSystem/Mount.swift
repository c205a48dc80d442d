#if canImport(Glibc)
import Glibc
#endif

/// `mount(2)` and `umount2(2)` for what a container runtime mounts itself: a container's overlay root,
/// a sandbox's `/dev/shm` tmpfs.
///
///     try Mount.overlay(lower: ["/l/2", "/l/1"], upper: "/c/upper", work: "/c/work", at: "/c/rootfs")
///     try Mount.unmount("/c/rootfs")
public enum Mount {
    /// Mounts an overlay filesystem; `lower` lists the topmost layer first, as overlayfs expects.
    public static func overlay(lower: [String], upper: String, work: String, at target: String) throws(SystemError) {
        let data = "lowerdir=\(lower.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
        try mount(source: "overlay", target: target, type: "overlay", flags: 0, data: data)
    }

    /// Mounts a tmpfs of `size` bytes with `mode`, nosuid/nodev/noexec like a container's /dev/shm.
    public static func tmpfs(at target: String, size: Int, mode: UInt32 = 0o1777) throws(SystemError) {
        let flags = UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC)
        try mount(source: "shm", target: target, type: "tmpfs", flags: flags, data: "mode=\(String(mode, radix: 8)),size=\(size)")
    }

    /// `mount(2)`.
    public static func mount(source: String, target: String, type: String, flags: UInt, data: String) throws(SystemError) {
        try SystemError.check(Glibc.mount(source, target, type, flags, data), "mount", context: "\(type) on \(target)")
    }

    /// Unmounts `target` (lazily with `detach`); a path that is not a mount point is not an error, so
    /// cleanup can be repeated.
    public static func unmount(_ target: String, detach: Bool = false) throws(SystemError) {
        guard umount2(target, detach ? Int32(MNT_DETACH) : 0) == 0 else {
            if errno == EINVAL || errno == ENOENT { return }
            throw SystemError.lastError("umount2", context: target)
        }
    }

    /// Whether something is mounted at `path` (its device differs from its parent's, or it is `/`).
    public static func isMountPoint(_ path: String) -> Bool {
        var own = stat(), parent = stat()
        guard stat(path, &own) == 0, stat(path + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev || own.st_ino == parent.st_ino
    }
}
