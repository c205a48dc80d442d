/// What a supervisor reads from `/proc/PID/stat` to tell a live process from a finished one or from a recycled pid:
/// its state and its start time.
///
///     if let stat = ProcessStat(pid: pid), stat.isLive, stat.startTime == recordedStart { … }
public struct ProcessStat: Sendable, Hashable {
    /// The one-letter state (`R`, `S`, `D`, … ; `Z` zombie, `X` dead).
    public var state: Character
    /// When the process started, in clock ticks after boot (field 22; what runc records as `init_process_start`).
    public var startTime: UInt64

    /// Reads `pid`'s stat; nil when the process is gone or the file does not parse.
    public init?(pid: Int32) {
        guard pid > 0, let bytes = try? FileSystem.contents(of: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        // The command (field 2) is in parentheses and may hold spaces or parentheses itself: fields resume after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so field 22 is fields[19].
        guard fields.count > 19, let state = fields[0].first, let startTime = UInt64(fields[19]) else { return nil }
        self.state = state
        self.startTime = startTime
    }

    /// Neither a zombie nor dead.
    public var isLive: Bool { state != "Z" && state != "X" }
}
