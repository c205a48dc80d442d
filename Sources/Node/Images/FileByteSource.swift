import LinuxSystem
#if canImport(Glibc)
import Glibc
#endif

/// Reads an open file descriptor it owns.
final class FileByteSource: ByteSource {
    let path: String
    private let fd: Int32

    init(path: String) throws(ImageError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError(.io, "cannot open \(path)", cause: SystemError.lastError("open", context: path)) }
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ImageError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ImageError(.io, "cannot read \(path)", cause: SystemError.lastError("read", context: path))
        }
    }
}
