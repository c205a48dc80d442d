import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Memory of processes as /proc reports it, in KiB: VmRSS (what `ps` shows; counts shared text once per
/// process) and Pss (shared pages divided among the processes sharing them, so a sum over many monitors
/// is honest).
enum ProcessMemory {
    struct Sample: Sendable {
        var processes = 0
        var rss = 0
        var pss = 0
    }

    /// A field of /proc/PID/status (`VmRSS`, `VmHWM`) in KiB.
    static func status(_ field: String, pid: Int32) -> Int? {
        value(field, in: "/proc/\(pid)/status")
    }

    /// Pss of the whole process, from /proc/PID/smaps_rollup, in KiB.
    static func pss(pid: Int32) -> Int? {
        value("Pss", in: "/proc/\(pid)/smaps_rollup")
    }

    /// RSS and PSS summed over `pids` (processes that vanished meanwhile are left out).
    static func sample(_ pids: [Int32]) -> Sample {
        var sample = Sample()
        for pid in pids {
            guard let rss = status("VmRSS", pid: pid) else { continue }
            sample.processes += 1
            sample.rss += rss
            sample.pss += pss(pid: pid) ?? 0
        }
        return sample
    }

    /// CPU time a process used itself and the CPU time of the children it reaped (CNI plugins, runc),
    /// from /proc/PID/stat, in seconds.
    static func cpu(pid: Int32) -> (own: Double, children: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state is field 3, utime/stime/cutime/cstime are fields 14–17.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 14, let user = Double(fields[11]), let system = Double(fields[12]),
              let childUser = Double(fields[13]), let childSystem = Double(fields[14]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ((user + system) / ticks, (childUser + childSystem) / ticks)
    }

    /// The 1-minute load average: how busy the machine was (other work included).
    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init) ?? "?"
    }

    private static func value(_ field: String, in path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
        }
        return nil
    }
}
