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
        data.withUnsafeBytes { write(descriptor, $0) }
    }

    /// Writes all of `text` (UTF-8) to `descriptor`.
    static func write(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { write(descriptor, UnsafeRawBufferPointer($0)) }
    }

    private static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count > 0 {
                offset += count
            } else if count < 0, errno != EINTR {
                return
            }
        }
    }
}
