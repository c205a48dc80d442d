#if canImport(Glibc)
import Foundation
import Glibc
#endif
import LinuxSystem

extension Runc {
    /// Lets a created container's init run, the way `runc start` does it, without starting a runc process.
    ///
    /// After `runc create`, the container's init blocks opening `<root>/<id>/exec.fifo` for writing; `runc start`
    /// opens the fifo for reading, reads the byte init writes before it execs the container's process, and removes
    /// the fifo (from then on runc reports the container `running`). Doing the same here saves a runc process — a Go
    /// program's start, tens of milliseconds of CPU — for every container started; with `initPID` (runc's pid file)
    /// an init that died before it was started is an error instead of a wait. Without the fifo (an OCI runtime
    /// that keeps its state differently) `runc start` runs.
    public func start(_ id: String, initPID: Int32?) async throws {
        let fifo = root + "/" + id + "/exec.fifo"
        let outcome = try await DedicatedThread.offload { Self.readExecFifo(fifo, initPID: initPID) }
        switch outcome {
        case .started: return
        case .noFifo: try await start(id)
        case .failed(let message): throw RuncError(command: "start", status: 1, stderr: message)
        }
    }

    enum ExecFifoOutcome: Sendable, Equatable {
        case started
        case noFifo
        case failed(String)
    }

    /// runc's `exec()`/`handleFifoResult`: open without blocking (init may not have opened its end yet), wait for
    /// the byte checking every 100 ms that init still lives, then remove the fifo.
    static func readExecFifo(_ path: String, initPID: Int32?) -> ExecFifoOutcome {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            return errno == ENOENT ? .noFifo : .failed("open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        while true {
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, 100)
            if ready < 0 {
                if errno == EINTR { continue }
                return .failed("poll \(path): \(String(cString: strerror(errno)))")
            }
            if ready > 0 {
                let count = read(descriptor, &byte, 1)
                if count > 0 { break }
                if count < 0, errno == EAGAIN || errno == EINTR { continue }
                // The writer came and went without a byte: the container was started already.
                return .failed("cannot start an already running container")
            }
            if let initPID, !Self.isAlive(initPID) {
                // It may have been started, run and ended in the meantime: the byte would still be there.
                if read(descriptor, &byte, 1) > 0 { break }
                return .failed("container process is already dead")
            }
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            return .failed("remove \(path): \(String(cString: strerror(errno)))")
        }
        return .started
    }

    /// Whether `pid` is a live process (not gone, not a zombie).
    private static func isAlive(_ pid: Int32) -> Bool {
        guard Glibc.kill(pid, 0) == 0 || errno == EPERM else { return false }
        return ProcessStat(pid: pid)?.isLive ?? false
    }
}
