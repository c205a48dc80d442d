#if canImport(Glibc)
import Glibc
#endif

/// `mount(2)` and `umount2(2)` for what a container runtime or a kubelet mounts itself: a container's overlay root,
/// a sandbox's `/dev/shm` tmpfs, a memory-backed volume.
///
///     try Mount.overlay(lower: ["/l/2", "/l/1"], upper: "/c/upper", work: "/c/work", at: "/c/rootfs")
///     try Mount.unmount("/c/rootfs")
public enum Mount {
    /// Mounts a memory-backed volume's tmpfs as upstream's kubelet does for `emptyDir: {medium: Memory}` and the
    /// secret and projected volumes wrapping one: no mount flags (its files may be executed), mode 1777, at most
    /// `size` bytes (nil: the kernel's default, half the memory).
    public static func volumeTmpfs(at target: String, size: Int64?) throws(SystemError) {
        try mount(source: "tmpfs", target: target, type: "tmpfs", flags: 0, data: "mode=1777" + (size.map { ",size=\($0)" } ?? ""))
    }

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

    /// The mount points strictly below `directory` in this process's mount table (`/proc/self/mountinfo`, read to
    /// its end: Foundation's file readers stop after the first 4 KiB read of a proc file, which drops the newest
    /// mounts of a busy table), in table order, octal escapes (`\040` for a space) decoded.
    public static func points(below directory: String) throws -> [String] {
        var prefix = directory
        while prefix.count > 1, prefix.hasSuffix("/") { prefix.removeLast() }
        prefix += prefix == "/" ? "" : "/"
        let table = String(decoding: try FileSystem.contents(of: "/proc/self/mountinfo"), as: UTF8.self)
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5)
            guard fields.count > 4 else { return nil }
            let point = decodeOctalEscapes(fields[4])
            return point.hasPrefix(prefix) ? point : nil
        }
    }

    /// `\ooo` escapes as the kernel writes spaces, tabs, newlines and backslashes in mountinfo paths.
    private static func decodeOctalEscapes(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3, let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
