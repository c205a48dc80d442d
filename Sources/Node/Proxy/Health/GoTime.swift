#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Go's `time.Time.String()`, which upstream's health endpoints print with `%q`:
/// `2006-01-02 15:04:05.999999999 -0700 MST`, fractional seconds without trailing zeros, and for times
/// read from the clock the monotonic reading ` m=+12.345678901` (seconds since the process started).
enum GoTime {
    /// The monotonic reading of `instant`: seconds since the process started, as Go's runtime counts.
    static func monotonicReading(_ instant: ContinuousClock.Instant) -> Double {
        let now = ContinuousClock.now
        let back = now - instant
        return processAge() - (Double(back.components.seconds) + Double(back.components.attoseconds) / 1e18)
    }

    /// Seconds since this process started: `CLOCK_BOOTTIME` now minus the start time in `/proc/self/stat`.
    static func processAge() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        let uptime = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return 0 }
        return max(0, uptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Go's zero `time.Time`.
    static let zero = "0001-01-01 00:00:00 +0000 UTC"

    /// `date` in the local time zone, with the monotonic reading of `instant` if given.
    static func string(_ date: Date, monotonic instant: ContinuousClock.Instant? = nil) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var nanoseconds = Int(((interval - Double(seconds)) * 1e9).rounded())
        if nanoseconds >= 1_000_000_000 {
            seconds += 1
            nanoseconds -= 1_000_000_000
        }
        var parts = tm()
        localtime_r(&seconds, &parts)
        var text = String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                          Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        if nanoseconds > 0 {
            var fraction = String(format: "%09d", nanoseconds)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        let offset = parts.tm_gmtoff
        let sign = offset < 0 ? "-" : "+"
        text += String(format: " %@%02d%02d", sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
        let zone = parts.tm_zone.map { String(cString: $0) } ?? "UTC"
        text += " " + zone
        if let instant {
            let total = monotonicReading(instant)
            text += String(format: " m=%@%.9f", total < 0 ? "-" : "+", abs(total))
        }
        return text
    }
}
