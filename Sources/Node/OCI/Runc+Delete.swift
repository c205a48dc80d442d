#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxSystem

extension Runc {
    /// Removes a container whose init has exited the way `runc delete` does (its cgroups, then its state
    /// directory), without a runc process — a Go program's start, tens of milliseconds on a busy node, for every
    /// container removed. Returns false, having changed nothing that `runc delete` would not redo, when it cannot
    /// be sure to do the same: the init still alive, unreadable state, poststop hooks or Intel RDT to run, a cgroup
    /// still populated; the caller then runs ``delete(_:force:)``. A container runc does not know is removed already.
    public func deleteStopped(_ id: String) -> Bool {
        let directory = root + "/" + id
        guard let data = FileManager.default.contents(atPath: directory + "/state.json") else {
            return !FileManager.default.fileExists(atPath: directory)
        }
        guard let state = try? JSONDecoder().decode(StateFile.self, from: data),
              state.intelRdtPath?.isEmpty ?? true, state.config?.hooks?.poststop?.isEmpty ?? true,
              !Self.isAlive(state.initProcessPID, startTime: state.initProcessStart) else { return false }
        // Children before parents is runc's order too; a cgroup with processes or sub-groups left is EBUSY.
        for path in Set(state.cgroupPaths.values).sorted(by: >) where !path.isEmpty {
            guard rmdir(path) == 0 || errno == ENOENT else { return false }
        }
        return (try? FileManager.default.removeItem(atPath: directory)) != nil
    }

    /// Whether `pid` is still the container's init: alive, not a zombie, and started when runc recorded (field 22 of
    /// `/proc/PID/stat`), so a reused pid is not mistaken for it.
    private static func isAlive(_ pid: Int32, startTime: UInt64) -> Bool {
        guard pid > 0, Glibc.kill(pid, 0) == 0 || errno == EPERM, let stat = ProcessStat(pid: pid) else { return false }
        return stat.isLive && stat.startTime == startTime
    }
}
