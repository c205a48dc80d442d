#if canImport(Glibc)
import Glibc
#endif

/// Signals a process known by its pid and start time through a pidfd (`pidfd_open` + `pidfd_send_signal`), so a pid
/// the kernel has since handed to another process is never signalled.
///
/// The pidfd is opened first and the process's start time (field 22 of `/proc/PID/stat`) checked after: if the pid
/// still names the process that started at `startTime` then, it named it when the pidfd was opened too (a pid is
/// never reused while its process lives), so the pidfd holds that process and the signal can reach no other.
///
///     switch ProcessSignal.send(SIGTERM, to: pid, startedAt: recordedStart) {
///     case .signalled: …            // delivered
///     case .gone: …                 // exited (or a zombie), or the pid is someone else's now: nothing sent
///     case .unsupported(let errno): // no pidfds here: use another way
///     }
public enum ProcessSignal {
    /// What became of a signal.
    public enum Outcome: Sendable, Equatable {
        /// The process was live, started at the given time, and the kernel accepted the signal.
        case signalled
        /// No live process with that pid and start time: nothing was sent.
        case gone
        /// The kernel or libc has no pidfds (or refused for another reason, the errno): nothing was sent.
        case unsupported(Int32)
    }

    /// Sends `signal` to `pid` if it is a live process (not a zombie) that started at `startTime` clock ticks after boot.
    public static func send(_ signal: Int32, to pid: Int32, startedAt startTime: UInt64) -> Outcome {
        guard pid > 0 else { return .gone }
        guard let open = pidfdOpen, let sendSignal = pidfdSendSignal else { return .unsupported(ENOSYS) }
        let descriptor = open(pid, 0)
        guard descriptor >= 0 else { return errno == ESRCH ? .gone : .unsupported(errno) }
        defer { close(descriptor) }
        guard let stat = ProcessStat(pid: pid), stat.isLive, stat.startTime == startTime else { return .gone }
        guard sendSignal(descriptor, signal, nil, 0) == 0 else { return errno == ESRCH ? .gone : .unsupported(errno) }
        return .signalled
    }

    private typealias PidfdOpenFunction = @convention(c) (pid_t, UInt32) -> Int32
    private typealias PidfdSendSignalFunction = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32

    /// glibc 2.36's wrappers, looked up once (Swift's Glibc module does not import `<sys/pidfd.h>`); nil with an
    /// older libc.
    private static let pidfdOpen: PidfdOpenFunction? = dlsym(nil, "pidfd_open").map { unsafeBitCast($0, to: PidfdOpenFunction.self) }
    private static let pidfdSendSignal: PidfdSendSignalFunction? = dlsym(nil, "pidfd_send_signal").map {
        unsafeBitCast($0, to: PidfdSendSignalFunction.self)
    }
}
