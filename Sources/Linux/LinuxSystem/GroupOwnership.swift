import Glibc

/// Gives a directory tree to a group: every entry gets the group and the given permission bits on top of its own,
/// directories also the setgid bit (so what is created in them later inherits the group) and search permission for
/// the owner and the group. Symbolic links change group only and are not followed. An entry already as wanted is not
/// touched (no chown or chmod, so its ctime stays).
public struct GroupOwnership: Sendable {
    public let group: UInt32

    public init(group: UInt32) { self.group = group }

    /// Whether `root` already has the group, `permissions`, and the directory bits.
    public func conforms(_ root: String, permissions: UInt32) -> Bool {
        guard let info = Self.status(root) else { return false }
        let wanted = mode_t(permissions) | Self.directoryBits
        return info.st_gid == group && info.st_mode & wanted == wanted
    }

    /// Applies the group and `permissions` to `root` and everything under it.
    public func apply(to root: String, permissions: UInt32) throws {
        guard let info = Self.status(root) else { return }
        let kind = info.st_mode & mode_t(S_IFMT)
        if info.st_gid != group, lchown(root, uid_t.max, group) != 0 {
            throw SystemError.lastError("lchown", context: root)
        }
        guard kind != mode_t(S_IFLNK) else { return }
        var wanted = info.st_mode & 0o7777 | mode_t(permissions)
        if kind == mode_t(S_IFDIR) { wanted |= Self.directoryBits }
        if wanted != info.st_mode & 0o7777, chmod(root, wanted) != 0 {
            throw SystemError.lastError("chmod", context: root)
        }
        guard kind == mode_t(S_IFDIR), let directory = opendir(root) else { return }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        closedir(directory)
        for name in names { try apply(to: root + "/" + name, permissions: permissions) }
    }

    /// Sets `path`'s read, write and search bits to `mode` unless they already are; setuid, setgid and sticky kept.
    public static func setPermissionBits(_ path: String, _ mode: UInt32) throws {
        guard let info = status(path), info.st_mode & 0o777 != mode_t(mode) else { return }
        if chmod(path, info.st_mode & 0o7000 | mode_t(mode)) != 0 { throw SystemError.lastError("chmod", context: path) }
    }

    /// setgid, and search for owner and group.
    private static let directoryBits = mode_t(S_ISGID) | 0o110

    private static func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }
}
