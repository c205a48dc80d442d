import CNI
import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `StopPodSandbox`: kills every container of the sandbox and its infra container, detaches the
    /// network (CNI DEL) and deletes the namespace, unpins the ipc/uts namespaces of a sandbox without an infra
    /// container. Stopping a stopped or unknown sandbox succeeds, as the kubelet retries it freely. The network
    /// is detached while the infra container stops.
    public func stopPodSandbox(_ id: String) async throws {
        guard let record = try? sandbox(id) else { return }
        for container in containers.values where container.sandboxID == record.id {
            try await stopContainer(container.id, timeout: 0)
        }
        var stopped = sandboxes[record.id] ?? record
        if let netns = stopped.networkNamespace {
            let detach = Task.detached { [cni, directory = configuration.cniConfigDirectory, pod = attachment(for: stopped),
                                          loopback = loopbackAttachment(for: stopped)] in
                try await Self.detachNetwork(cni, configDirectory: directory, pod: pod, loopback: loopback, sandboxID: record.id)
            }
            var infraFailure: (any Error)?
            do { try await stopInfraContainer(record) } catch { infraFailure = error }
            try await detach.value
            if let infraFailure { throw infraFailure }
            try NetworkNamespace.delete(path: netns)
            stopped.networkNamespace = nil
        } else {
            try await stopInfraContainer(record)
        }
        try unpinNamespaces(record.id)
        try Mount.unmount(sandboxDirectory(record.id) + "/shm", detach: true)
        // A sandbox stopped before (RemovePodSandbox stops first; the kubelet retries) has nothing new to record:
        // no second write and fsync of an unchanged record.
        let alreadyRecorded = record.state == .notReady && record.networkNamespace == nil
        stopped.state = .notReady
        sandboxes[record.id] = stopped
        if !alreadyRecorded { try persist(stopped) }
    }

    /// CNI DEL of the pod network (the config directory's default network), then of `lo`.
    private static func detachNetwork(
        _ cni: CNIRuntime, configDirectory: String, pod: NetworkAttachment, loopback: NetworkAttachment, sandboxID: String
    ) async throws {
        if let network = try? ConfigDirectory(path: configDirectory).defaultNetwork() {
            do {
                try await cni.delete(network, pod)
            } catch {
                throw RuntimeError(.unknown, "failed to destroy network for sandbox \"\(sandboxID)\": \(error)")
            }
        }
        try await cni.delete(.loopback(), loopback)
    }

    /// Kills the infra container (through a pidfd when it owns its PID namespace: ``signalContainer(_:signal:all:)``) and waits
    /// for its monitor to record the exit. `runc state` is asked only when `runc kill` fails (runc may not know the
    /// container at all).
    private func stopInfraContainer(_ record: PodSandboxRecord) async throws {
        guard record.hasInfraContainer else { return }
        let bundle = sandboxDirectory(record.id) + "/bundle"
        guard exit(ofBundle: bundle) == nil else { return }
        do {
            try await signalContainer(record.id, signal: SIGKILL, all: true)
        } catch {
            guard try await runc.state(record.id) != nil else { return }
        }
        try await waitForExit(bundle: bundle, timeout: .seconds(10))
    }

    /// Polls for the monitor's exit file: every 2 ms at first, backing off to every 20 ms.
    func waitForExit(bundle: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var interval = Duration.milliseconds(2)
        while exit(ofBundle: bundle) == nil {
            guard ContinuousClock.now < deadline else {
                throw RuntimeError(.deadlineExceeded, "container in \(bundle) did not exit within \(timeout)")
            }
            try await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(20))
        }
    }
}
