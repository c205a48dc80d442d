#if canImport(Glibc)
import Glibc
#endif

/// File-system calls without Foundation, so that LinuxSystem and what links it stay free of it (the statically linked
/// monitor and CNI plugins, where FileManager's and URL's first use costs a start-up several run-time conformance
/// scans).
public enum FileSystem {
    /// The names in a directory (without `.` and `..`), read with `readdir`. Empty when the directory cannot be opened.
    public static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole content of a file, read until end of file (so also `/proc` and `/sys` files, whose size is 0).
    public static func contents(of path: String) throws -> [UInt8] {
        let fd = try SystemError.check(open(path, O_RDONLY | O_CLOEXEC), "open", context: path)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == -1, errno == EINTR { continue }
            guard count >= 0 else { throw SystemError.lastError("read", context: path) }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return bytes
    }

    /// The size of the file at `path` (symbolic links followed); nil when it cannot be looked at (missing).
    public static func size(of path: String) -> Int64? {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : nil
    }

    /// Bytes (file sizes) and inodes below `path`, `path` itself included, without following symbolic links (what a
    /// writable layer, a log directory or an emptyDir uses, as `du` counts it apparently). Zero for a missing path.
    public static func usage(below path: String) -> (bytes: UInt64, inodes: UInt64) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return (0, 0) }
        var bytes = info.st_mode & S_IFMT == S_IFDIR ? 0 : UInt64(max(0, info.st_size)), inodes: UInt64 = 1
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in entries(of: path) {
                let below = usage(below: path + "/" + name)
                bytes += below.bytes
                inodes += below.inodes
            }
        }
        return (bytes, inodes)
    }

    /// Writes `value` to a kernel control file that exists (`/proc/sys`, cgroup files) in one `write`, as the kernel
    /// takes such a value whole or refuses it (the refusal's errno thrown).
    public static func writeControlFile(_ path: String, _ value: String) throws(SystemError) {
        let fd = try SystemError.check(open(path, O_WRONLY | O_CLOEXEC), "open", context: path)
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw SystemError.lastError("write", context: path) }
        guard count == bytes.count else { throw SystemError(errno: EIO, operation: "write", context: path) }
    }

    /// Creates an empty file that must not exist yet, with exactly `mode` (whatever the umask).
    public static func createEmptyFile(_ path: String, mode: mode_t) throws {
        let fd = try SystemError.check(open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode), "open", context: path)
        defer { close(fd) }
        _ = try SystemError.check(fchmod(fd, mode), "fchmod", context: path)
    }

    /// Creates `path` and any missing parents with `mode` (as `mkdir -p`); an existing directory is fine.
    public static func makeDirectories(_ path: String, mode: mode_t) throws(SystemError) {
        if mkdir(path, mode) == 0 { return }
        switch errno {
        case EEXIST:
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw SystemError(errno: EEXIST, operation: "mkdir", context: path)
            }
        case ENOENT:
            let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            guard !parent.isEmpty, parent != path else { throw SystemError.lastError("mkdir", context: path) }
            try makeDirectories(parent, mode: mode)
            guard mkdir(path, mode) == 0 || errno == EEXIST else { throw SystemError.lastError("mkdir", context: path) }
        default:
            throw SystemError.lastError("mkdir", context: path)
        }
    }
}
