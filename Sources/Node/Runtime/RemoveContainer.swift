import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `RemoveContainer`: kills it if still running, deletes runc's state, unmounts and removes its
    /// files (the log stays: it belongs to the kubelet's pod log directory). Unknown ids succeed.
    public func removeContainer(_ id: String) async throws {
        guard let record = try? container(id) else { return }
        try await stopContainer(record.id, timeout: 0)
        try? await runc.delete(record.id, force: true)
        try removeBundle(containerDirectory(record.id))
        containers[record.id] = nil
        exits[containerDirectory(record.id)] = nil
        if let sandbox = sandboxes[record.sandboxID] {
            reservedNames[ContainerRecord.reservedName(record.metadata, sandbox: sandbox.metadata)] = nil
        }
        logger.info("container removed", metadata: ["container": "\(record.id)"])
    }
}
