#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes kernel parameters under `/proc/sys`.
///
/// Keys are dotted (`net.ipv4.ip_forward`) or slash-separated relative paths
/// (`net/ipv4/conf/eth0.100/forwarding`, for names containing dots). `net.*` keys belong to the
/// network namespace of the thread that opens them, so the `in:` variants run inside `namespace`.
public enum Sysctl {
    /// The `/proc/sys` file for `key`.
    public static func path(for key: String) -> String {
        let relative = key.contains("/") ? key : key.replacingDots()
        return "/proc/sys/" + relative
    }

    /// The value of `key` with trailing whitespace removed.
    public static func read(_ key: String) throws -> String {
        var bytes = try FileSystem.contents(of: path(for: key))
        while let last = bytes.last, last == 0x0A || last == 0x20 || last == 0x09 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sets `key` to `value`.
    public static func write(_ key: String, _ value: String) throws {
        try FileSystem.writeControlFile(path(for: key), value)
    }

    /// The value of `key` as seen inside `namespace`.
    public static func read(_ key: String, in namespace: NetworkNamespace) throws -> String {
        try namespace.run { try read(key) }
    }

    /// Sets `key` to `value` inside `namespace`.
    public static func write(_ key: String, _ value: String, in namespace: NetworkNamespace) throws {
        try namespace.run { try write(key, value) }
    }
}

private extension String {
    func replacingDots() -> String {
        String(map { $0 == "." ? "/" : $0 })
    }
}
