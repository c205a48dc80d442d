#if canImport(Glibc)
import Glibc
#endif

/// A forked child that finishes, on its own, work its parent need not wait for: the parent may exit
/// while the child still runs (it is then re-parented to init, which reaps it).
///
/// `fork` copies the calling thread alone, so in a process with other threads the child could find a
/// lock taken that nobody will release: `body` must call only async-signal-safe functions (system
/// calls) on memory prepared before the fork, and the child ends with `_exit`, running no exit
/// handlers. The child keeps no descriptor but `keeping` (whoever waits for the parent's output sees
/// its end when the parent exits) and ignores `SIGPIPE` (a reader that went away is no reason to die
/// before the work is done).
public enum DetachedChild {
    /// Forks, runs `body` in the child and returns the child's pid in the parent.
    public static func start(keeping descriptor: Int32, _ body: () -> Void) throws(SystemError) -> pid_t {
        let closeRange = GNU.closeRange  // looked up before the fork, not in the child
        let pid = fork()
        switch pid {
        case -1:
            throw SystemError.lastError("fork", context: "detached child")
        case 0:
            signal(SIGPIPE, SIG_IGN)
            if descriptor > 0 { _ = closeRange(0, UInt32(descriptor) - 1, 0) }
            _ = closeRange(UInt32(descriptor) + 1, .max, 0)
            body()
            _exit(0)
        default:
            return pid
        }
    }
}
