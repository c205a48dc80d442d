/// CPU, memory and process counters of a cgroupfs path (`/kubepods/besteffort/pod<uid>/<id>`), on cgroup v2 (unified) or v1
/// (per-controller hierarchies), with cAdvisor's definitions: the working set is the usage less inactive file pages,
/// RSS the anonymous memory. Nil for what the cgroup does not have (or when it does not exist).
public struct CgroupUsage: Sendable {
    /// Cumulative CPU time in nanoseconds.
    public let cpuNanoseconds: UInt64?
    /// All memory charged to the cgroup, page cache included (`memory.current`, v1 `memory.usage_in_bytes`).
    public let memoryUsage: UInt64?
    public let memoryWorkingSet: UInt64?
    public let memoryRSS: UInt64?
    /// The memory limit in bytes; nil when unlimited (`max`, or v1's near-2^63 value).
    public let memoryLimit: UInt64?
    /// The processes and threads in the cgroup and below it (`pids.current`).
    public let processes: UInt64?

    public init(cgroupsPath: String) {
        func read(_ path: String) -> String? { (try? FileSystem.contents(of: path)).map { String(decoding: $0, as: UTF8.self) } }
        func number(_ path: String) -> UInt64? { read(path).flatMap { UInt64($0.split(separator: "\n").first ?? "") } }
        func field(_ text: String?, _ name: String) -> UInt64? {
            text?.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { UInt64($0.dropFirst(name.count + 1)) }
        }
        if Cgroupfs.isUnified {
            let base = "/sys/fs/cgroup" + cgroupsPath
            cpuNanoseconds = field(read(base + "/cpu.stat"), "usage_usec").map { $0 * 1000 }
            let stat = read(base + "/memory.stat")
            let current = number(base + "/memory.current")
            memoryUsage = current
            memoryWorkingSet = current.map { $0 - min($0, field(stat, "inactive_file") ?? 0) }
            memoryRSS = field(stat, "anon")
            memoryLimit = number(base + "/memory.max")
            processes = number(base + "/pids.current")
        } else {
            cpuNanoseconds = number("/sys/fs/cgroup/cpuacct\(cgroupsPath)/cpuacct.usage")
            let base = "/sys/fs/cgroup/memory" + cgroupsPath
            let stat = read(base + "/memory.stat")
            let usage = number(base + "/memory.usage_in_bytes")
            memoryUsage = usage
            memoryWorkingSet = usage.map { $0 - min($0, field(stat, "total_inactive_file") ?? 0) }
            memoryRSS = field(stat, "total_rss")
            memoryLimit = number(base + "/memory.limit_in_bytes").flatMap { $0 >= 1 << 62 ? nil : $0 }
            processes = number("/sys/fs/cgroup/pids\(cgroupsPath)/pids.current")
        }
    }
}
