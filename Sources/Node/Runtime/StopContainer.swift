import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `StopContainer`: the image's stop signal (SIGTERM by default), SIGKILL once `timeout` seconds
    /// have passed, then waits for the monitor to record the exit. A stopped or unknown container succeeds.
    public func stopContainer(_ id: String, timeout: Int64) async throws {
        guard let record = try? container(id) else { return }
        let bundle = containerDirectory(record.id)
        guard exit(ofBundle: bundle) == nil else { return }
        if timeout > 0, record.startedAt != nil {
            try? await signalContainer(record.id, signal: record.stopSignal)
            let deadline = ContinuousClock.now + .seconds(timeout)
            while exit(ofBundle: bundle) == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            if exit(ofBundle: bundle) != nil { return }
        }
        do {
            try await signalContainer(record.id, signal: SIGKILL, all: true)
        } catch {
            // Already gone between the check and the kill: the monitor is writing the exit.
            if exit(ofBundle: bundle) == nil, try await runc.state(record.id)?.status == .running {
                throw RuntimeError(.unknown, "failed to stop container \"\(record.id)\": \(error)")
            }
        }
        if record.startedAt == nil {
            // A created container's init never runs; deleting it ends the monitor's wait.
            try? await runc.delete(record.id, force: true)
        }
        try await waitForExit(bundle: bundle, timeout: .seconds(10))
    }

    /// Signals container (or infra container) `id` like `runc kill [--all]`: straight to its init through a pidfd
    /// when runc's state settles it (``Runc/signalInit(_:signal:all:)``: the recorded pid with its start time, so a
    /// recycled pid is never signalled), else through `runc kill`. An exited init is not signalled and not an error.
    nonisolated func signalContainer(_ id: String, signal: Int32, all: Bool = false) async throws {
        switch runc.signalInit(id, signal: signal, all: all) {
        case .signalled, .exited:
            return
        case .unclear:
            logger.debug("signalling through runc", metadata: ["container": "\(id)", "signal": "\(signal)"])
            try await runc.kill(id, signal: signal, all: all)
        }
    }
}
