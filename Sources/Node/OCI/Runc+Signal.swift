#if canImport(Glibc)
import Glibc
#endif
import LinuxSystem

extension Runc {
    /// What ``signalInit(_:signal:all:)`` did.
    public enum DirectSignal: Sendable, Equatable {
        /// The container's init (the process runc recorded, same start time) got the signal.
        case signalled
        /// The container's init has exited (or its pid now belongs to another process): nothing was sent, as
        /// `runc kill` sends nothing to a stopped container.
        case exited
        /// runc's state could not be read, the signal must reach more than init, or the kernel has no pidfds:
        /// nothing was sent; `runc kill` decides.
        case unclear
    }

    /// Sends `signal` to a container's init the way `runc kill` does, without starting a runc process (a Go
    /// program's start, tens of milliseconds of CPU on a busy node, per signal): the pid and start time from runc's
    /// `state.json`, the signal through a pidfd (``ProcessSignal``) so a recycled pid is never signalled.
    ///
    /// With `all` (`runc kill --all`: every process of the container) only SIGKILL to an init that owns its PID
    /// namespace is sent here — its death kills the rest of the namespace; a container in the host's or a pod's
    /// shared PID namespace is `.unclear`, as is anything runc's state does not settle, and the caller runs
    /// ``kill(_:signal:all:)``.
    public func signalInit(_ id: String, signal: Int32, all: Bool = false) -> DirectSignal {
        guard let state = StateFile.read(root: root, id: id) else { return .unclear }
        if all, signal != SIGKILL || !state.ownsPIDNamespace { return .unclear }
        switch ProcessSignal.send(signal, to: state.initProcessPID, startedAt: state.initProcessStart) {
        case .signalled: return .signalled
        case .gone: return .exited
        case .unsupported: return .unclear
        }
    }
}
