import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Whole-stream reads and writes on the standard descriptors, without Foundation's `FileHandle` (which
/// would pull libFoundation and ICU into every plugin binary and into its start-up time).
enum StandardStreams {
    /// Everything readable from `descriptor` until end of file.
    static func readAll(_ descriptor: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                data.append(contentsOf: buffer[..<count])
            } else if count == 0 || errno != EINTR {
                return data
            }
        }
    }

    /// Writes all of `data` to `descriptor`, retrying short writes.
    static func write(_ descriptor: Int32, _ data: Data) {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                offset += count
            } else if count < 0, errno != EINTR {
                return
            }
        }
    }
}
