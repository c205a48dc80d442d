import Glibc

/// The inode of a file, by path or by open descriptor: equal inodes (on one file system) mean the same file, which
/// is how a follower of a log notices that the path now names a new file after a rotation.
public enum FileIdentity {
    /// The inode the path names (symbolic links followed); nil when it cannot be stat'ed.
    public static func inode(path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    /// The inode of the open file, even once it has been unlinked; nil for a bad descriptor.
    public static func inode(descriptor: Int32) -> UInt64? {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? UInt64(info.st_ino) : nil
    }
}
