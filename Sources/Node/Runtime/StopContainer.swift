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
            try? await runc.kill(record.id, signal: record.stopSignal)
            let deadline = ContinuousClock.now + .seconds(timeout)
            while exit(ofBundle: bundle) == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            if exit(ofBundle: bundle) != nil { return }
        }
        do {
            try await runc.kill(record.id, signal: SIGKILL, all: true)
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
}
