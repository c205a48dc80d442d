import CNI
import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `StopPodSandbox`: kills every container of the sandbox and its infra container, detaches the
    /// network (CNI DEL) and deletes the namespace. Stopping a stopped or unknown sandbox succeeds, as
    /// the kubelet retries it freely.
    public func stopPodSandbox(_ id: String) async throws {
        guard let record = try? sandbox(id) else { return }
        for container in containers.values where container.sandboxID == record.id {
            try await stopContainer(container.id, timeout: 0)
        }
        try await stopInfraContainer(record)
        var stopped = sandboxes[record.id] ?? record
        if let netns = stopped.networkNamespace {
            let network = try? ConfigDirectory(path: configuration.cniConfigDirectory).defaultNetwork()
            if let network {
                do {
                    try await cni.delete(network, attachment(for: stopped))
                } catch {
                    throw RuntimeError(.unknown, "failed to destroy network for sandbox \"\(record.id)\": \(error)")
                }
            }
            try await cni.delete(.loopback(), loopbackAttachment(for: stopped))
            try NetworkNamespace.delete(path: netns)
            stopped.networkNamespace = nil
        }
        try Mount.unmount(sandboxDirectory(record.id) + "/shm", detach: true)
        stopped.state = .notReady
        sandboxes[record.id] = stopped
        try persist(stopped)
    }

    /// Kills the infra container and waits for its monitor to record the exit.
    private func stopInfraContainer(_ record: PodSandboxRecord) async throws {
        let bundle = sandboxDirectory(record.id) + "/bundle"
        guard exit(ofBundle: bundle) == nil, try await runc.state(record.id) != nil else { return }
        try? await runc.kill(record.id, signal: SIGKILL, all: true)
        try await waitForExit(bundle: bundle, timeout: .seconds(10))
    }

    /// Polls for the monitor's exit file.
    func waitForExit(bundle: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while exit(ofBundle: bundle) == nil {
            guard ContinuousClock.now < deadline else {
                throw RuntimeError(.deadlineExceeded, "container in \(bundle) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
