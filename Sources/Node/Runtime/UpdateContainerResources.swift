#if canImport(Glibc)
import GRPCCore
import Glibc
#endif
import CRI
import Foundation
import LinuxSystem
import OCI
import SwiftProtobuf

extension ContainerRuntime {
    /// CRI `UpdateContainerResources`: new cgroup limits for a running container (`runc update`), and
    /// the stored spec updated so a restart of the runtime reports them.
    public func updateContainerResources(_ id: String, linux: Runtime_V1_LinuxContainerResources) async throws {
        let record = try container(id)
        guard state(of: record) != .containerExited else {
            throw RuntimeError(.failedPrecondition, "container \"\(record.id)\" is not running")
        }
        var resources = SandboxResources.resources(linux, devices: [])
        resources.devices = nil
        do {
            try await runc.update(record.id, resources: resources)
        } catch {
            throw RuntimeError(.unknown, "failed to update resources of container \"\(record.id)\": \(error)")
        }
        var updated = record
        var config = record.containerConfig
        config.linux.resources = linux
        updated.config = try config.serializedBytes()
        containers[record.id] = updated
        try persist(updated)
    }

    /// CRI `ReopenContainerLog`: the monitor closes and reopens the log file (after the kubelet rotated it).
    public func reopenContainerLog(_ id: String) throws {
        let record = try container(id)
        guard state(of: record) == .containerRunning else {
            throw RuntimeError(.failedPrecondition, "container \"\(record.id)\" is not running")
        }
        let text = try? String(contentsOfFile: containerDirectory(record.id) + "/shim.pid", encoding: .utf8)
        guard let pid = text.flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }), kill(pid, SIGUSR1) == 0 else {
            throw RuntimeError(.unknown, "failed to reopen the log of container \"\(record.id)\": its monitor is not running")
        }
    }
}
