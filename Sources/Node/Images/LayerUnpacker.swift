import Foundation
import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// Applies one layer tar to a directory so that it can serve as an overlayfs lower directory:
/// regular files, directories, symlinks, hard links, devices and fifos with their mode, owner, times and
/// `SCHILY.xattr` extended attributes; OCI whiteouts become overlayfs whiteouts (`.wh.name` → a 0/0
/// character device `name`, `.wh..wh..opq` → `trusted.overlay.opaque=y` on the directory).
///
/// Paths are contained: a `..` component is refused, and symlinks met on the way to an entry (including
/// absolute ones) are resolved as if the layer directory were `/`, so nothing is ever written outside it.
struct LayerUnpacker {
    /// The directory the layer is applied to.
    let root: String
    /// For messages: the layer's digest.
    let name: String
    private var directoryTimes: [(path: String, mtime: Double)] = []
    private let isRoot = geteuid() == 0
    private(set) var entries = 0

    init(root: String, name: String) {
        self.root = root
        self.name = name
    }

    /// Unpacks every entry of `reader` into `root`.
    mutating func unpack(_ reader: inout TarReader) throws(ImageError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { buffer.deallocate() }
        while let entry = try reader.next() {
            entries += 1
            try apply(entry, &reader, buffer)
        }
        // Directory times last: creating their children changed them.
        for (path, mtime) in directoryTimes.reversed() { try setTimes(path, mtime, followSymlink: true) }
    }

    // MARK: - Entries

    private mutating func apply(_ entry: TarEntry, _ reader: inout TarReader, _ buffer: UnsafeMutableRawBufferPointer) throws(ImageError) {
        let components = try clean(entry.path)
        guard let base = components.last else { return } // the layer root itself ("./")
        let parent = try resolve(Array(components.dropLast()), create: true)
        if base == ".wh..wh..opq" {
            try setXattr(parent, "trusted.overlay.opaque", Array("y".utf8), followSymlink: true)
            return
        }
        if base.hasPrefix(".wh.") {
            let hidden = String(base.dropFirst(4))
            guard !hidden.isEmpty, hidden != ".", hidden != ".." else { throw invalid("bad whiteout \(entry.path)") }
            let path = parent + "/" + hidden
            try removeExisting(path, keepDirectory: false)
            try check(mknod(path, S_IFCHR | 0o000, 0), "mknod", path)
            return
        }
        let path = parent + "/" + base
        switch entry.kind {
        case .directory:
            try removeExisting(path, keepDirectory: true)
            if mkdir(path, 0o700) != 0, errno != EEXIST { throw io("mkdir", path) }
            try setOwnerAndMode(path, entry)
            try setXattrs(path, entry)
            directoryTimes.append((path, entry.mtime))
        case .file:
            try removeExisting(path, keepDirectory: false)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw io("open", path) }
            defer { close(fd) }
            while true {
                let n = try reader.read(into: buffer)
                if n == 0 { break }
                var written = 0
                while written < n {
                    let w = write(fd, buffer.baseAddress! + written, n - written)
                    if w < 0 { if errno == EINTR { continue }; throw io("write", path) }
                    written += w
                }
            }
            if isRoot { try check(fchown(fd, entry.uid, entry.gid), "fchown", path) }
            try check(fchmod(fd, mode_t(entry.mode & 0o7777)), "fchmod", path)
            try setXattrs(path, entry)
            try setTimes(path, entry.mtime, followSymlink: false)
        case .symlink:
            try removeExisting(path, keepDirectory: false)
            try check(symlink(entry.linkTarget, path), "symlink", path)
            if isRoot { try check(lchown(path, entry.uid, entry.gid), "lchown", path) }
            try setXattrs(path, entry)
            try setTimes(path, entry.mtime, followSymlink: false)
        case .hardlink:
            let targetComponents = try clean(entry.linkTarget)
            guard let targetBase = targetComponents.last else { throw invalid("hard link \(entry.path) to the layer root") }
            let target = try resolve(Array(targetComponents.dropLast()), create: false) + "/" + targetBase
            var info = stat()
            guard lstat(target, &info) == 0 else { throw invalid("hard link \(entry.path) to missing \(entry.linkTarget)") }
            guard info.st_mode & S_IFMT != S_IFDIR else { throw invalid("hard link \(entry.path) to a directory") }
            guard target != path else { return }
            try removeExisting(path, keepDirectory: false)
            try check(linkat(AT_FDCWD, target, AT_FDCWD, path, 0), "link", path)
        case .characterDevice, .blockDevice, .fifo:
            try removeExisting(path, keepDirectory: false)
            let type: mode_t = entry.kind == .fifo ? S_IFIFO : entry.kind == .blockDevice ? S_IFBLK : S_IFCHR
            let device = entry.kind == .fifo ? 0 : LayerUnpacker.makeDevice(entry.deviceMajor, entry.deviceMinor)
            try check(mknod(path, type | mode_t(entry.mode & 0o7777), device), "mknod", path)
            try setOwnerAndMode(path, entry)
            try setXattrs(path, entry)
            try setTimes(path, entry.mtime, followSymlink: false)
        case .other:
            return
        }
    }

    // MARK: - Path containment

    /// The entry's path as components, without `.` and empty parts; `..` anywhere is refused.
    private func clean(_ path: String) throws(ImageError) -> [String] {
        var components: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw invalid("path \(path) escapes the layer") }
            components.append(String(part))
        }
        return components
    }

    /// The host path of `components` inside `root`, following symlinks as if `root` were `/` (a symlink to
    /// `/etc` leads to `root/etc`, `..` stops at `root`). With `create`, missing directories are made (0755).
    private func resolve(_ components: [String], create: Bool) throws(ImageError) -> String {
        var resolved: [String] = []
        var pending = Array(components.reversed())
        var hops = 0
        while let component = pending.popLast() {
            if component.isEmpty || component == "." { continue }
            if component == ".." { _ = resolved.popLast(); continue }
            let candidate = root + "/" + (resolved + [component]).joined(separator: "/")
            var info = stat()
            if lstat(candidate, &info) == 0 {
                if info.st_mode & S_IFMT == S_IFLNK {
                    hops += 1
                    guard hops <= 255 else { throw invalid("too many symlinks resolving \(components.joined(separator: "/"))") }
                    let target = try readLink(candidate)
                    if target.hasPrefix("/") { resolved = [] }
                    pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                    continue
                }
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw invalid("\(components.joined(separator: "/")): \(component) is not a directory")
                }
            } else if errno == ENOENT, create {
                try check(mkdir(candidate, 0o755), "mkdir", candidate)
            } else if errno != ENOENT {
                throw io("lstat", candidate)
            }
            resolved.append(component)
        }
        return resolved.isEmpty ? root : root + "/" + resolved.joined(separator: "/")
    }

    private func readLink(_ path: String) throws(ImageError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { throw io("readlink", path) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes whatever is at `path` (not following a symlink); a directory stays when `keepDirectory`.
    private func removeExisting(_ path: String, keepDirectory: Bool) throws(ImageError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            if keepDirectory { return }
            do { try FileManager.default.removeItem(atPath: path) } catch {
                throw ImageError(.io, "\(name): cannot replace directory \(path)", cause: error)
            }
        } else {
            try check(unlink(path), "unlink", path)
        }
    }

    // MARK: - Metadata

    private func setOwnerAndMode(_ path: String, _ entry: TarEntry) throws(ImageError) {
        if isRoot { try check(lchown(path, entry.uid, entry.gid), "lchown", path) }
        try check(chmod(path, mode_t(entry.mode & 0o7777)), "chmod", path)
    }

    private func setXattrs(_ path: String, _ entry: TarEntry) throws(ImageError) {
        for (key, value) in entry.xattrs.sorted(by: { $0.key < $1.key }) {
            try setXattr(path, key, value, followSymlink: false)
        }
    }

    private func setXattr(_ path: String, _ key: String, _ value: [UInt8], followSymlink: Bool) throws(ImageError) {
        let status = value.withUnsafeBytes { bytes in
            followSymlink ? ExtendedAttribute.set(path, key, bytes.baseAddress, bytes.count, 0)
                : ExtendedAttribute.lset(path, key, bytes.baseAddress, bytes.count, 0)
        }
        // File systems without xattrs (or user.* on symlinks) lose the attribute, as with containerd.
        if status != 0, errno != ENOTSUP, !(errno == EPERM && !isRoot) { throw io("setxattr \(key)", path) }
    }

    private func setTimes(_ path: String, _ mtime: Double, followSymlink: Bool) throws(ImageError) {
        let seconds = mtime.rounded(.down)
        let time = timespec(tv_sec: Int(seconds), tv_nsec: Int((mtime - seconds) * 1_000_000_000))
        let times = [time, time]
        try check(utimensat(AT_FDCWD, path, times, followSymlink ? 0 : AT_SYMLINK_NOFOLLOW), "utimensat", path)
    }

    /// Linux `makedev`.
    static func makeDevice(_ major: UInt32, _ minor: UInt32) -> dev_t {
        let major = UInt64(major), minor = UInt64(minor)
        return dev_t(((major & 0xffff_f000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffff_ff00) << 12) | (minor & 0xff))
    }

    // MARK: - Errors

    private func invalid(_ why: String) -> ImageError { ImageError(.invalidContent, "layer \(name): \(why)") }

    private func io(_ operation: String, _ path: String) -> ImageError {
        ImageError(.io, "layer \(name): \(operation) \(path) failed", cause: SystemError.lastError(operation, context: path))
    }

    private func check(_ status: Int32, _ operation: String, _ path: String) throws(ImageError) {
        if status != 0 { throw io(operation, path) }
    }
}
