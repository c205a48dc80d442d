#if canImport(Glibc)
import Glibc
#endif

/// Writes a container's output in the CRI log format the kubelet reads:
///
///     2026-11-23T07:00:00.123456789Z stdout F hello
///     2026-11-23T07:00:00.123456789Z stderr P first 16 KiB of a long line without a newline…
///
/// One line per newline-terminated chunk (`F`, full); a line longer than ``maximumLineLength`` is split
/// into partial records (`P`) followed by its final `F` piece, as containerd's CRI logger does. When the
/// file grows past `maximumSize` it is renamed to `<path>.1` (replacing an older one) and a new one is
/// started; ``reopen()`` does the same on request (CRI `ReopenContainerLog`, after the kubelet rotated it).
final class ContainerLogWriter {
    /// containerd's default `max_container_log_line_size`.
    static let maximumLineLength = 16 * 1024

    private let path: String
    private let maximumSize: Int
    private var fd: Int32 = -1
    private var size = 0
    private var pending: [String: [UInt8]] = ["stdout": [], "stderr": []]

    init(path: String, maximumSize: Int) {
        self.path = path
        self.maximumSize = maximumSize
        open()
    }

    /// Appends what a stream produced; complete lines are written at once, the rest waits for its newline.
    func append(_ bytes: ArraySlice<UInt8>, stream: String) {
        var buffer = pending[stream, default: []] + bytes
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            writeRecord(stream, tag: "F", buffer[..<newline])
            buffer.removeSubrange(...newline)
        }
        while buffer.count >= Self.maximumLineLength {
            writeRecord(stream, tag: "P", buffer[..<Self.maximumLineLength])
            buffer.removeSubrange(..<Self.maximumLineLength)
        }
        pending[stream] = buffer
    }

    /// Writes what is left of a stream that ended without a final newline.
    func finish(stream: String) {
        if let rest = pending[stream], !rest.isEmpty { writeRecord(stream, tag: "F", rest[...]) }
        pending[stream] = []
    }

    /// Closes and opens the path again (the kubelet renamed the file away).
    func reopen() {
        if fd >= 0 { close(fd) }
        open()
    }

    private func open() {
        fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        var info = stat()
        size = fd >= 0 && fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    private func writeRecord(_ stream: String, tag: String, _ content: ArraySlice<UInt8>) {
        guard fd >= 0 else { return }
        let record = Array("\(Self.timestamp()) \(stream) \(tag) ".utf8) + content + [UInt8(ascii: "\n")]
        var offset = 0
        while offset < record.count {
            let written = record[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 { if errno == EINTR { continue } else { return } }
            offset += written
        }
        size += record.count
        if maximumSize > 0, size >= maximumSize { rotate() }
    }

    private func rotate() {
        close(fd)
        rename(path, path + ".1")
        open()
    }

    /// The current time as RFC 3339 with nanoseconds in UTC (Go's `time.RFC3339Nano` layout, zero-padded).
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let nanos = String(now.tv_nsec)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 9 - nanos.count) + nanos + "Z"
    }
}
