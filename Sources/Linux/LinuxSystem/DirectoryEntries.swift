#if canImport(Glibc)
import Glibc
#endif

/// The names in a directory (without `.` and `..`), read with `readdir` so that LinuxSystem stays free of Foundation
/// (the statically linked monitor and plugins link it). Empty when the directory cannot be opened.
func directoryEntries(_ path: String) -> [String] {
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
