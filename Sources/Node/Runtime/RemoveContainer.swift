import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `RemoveContainer`: kills it if still running, deletes runc's state and cgroups (without a runc process
    /// when the container has exited: ``Runc/deleteStopped(_:)``), unmounts and removes its files (the log stays: it belongs to the kubelet's pod log directory). Unknown ids succeed.
    public func removeContainer(_ id: String) async throws {
        guard let record = try? container(id) else { return }
        try await stopContainer(record.id, timeout: 0)
        try await deleteRuncState(record.id)
        try removeBundle(containerDirectory(record.id), writableLayer: writableLayer(record.id))
        containers[record.id] = nil
        await releaseImage(of: record.id)
        exits[containerDirectory(record.id)] = nil
        if let sandbox = sandboxes[record.sandboxID] {
            reservedNames[ContainerRecord.reservedName(record.metadata, sandbox: sandbox.metadata)] = nil
        }
        logger.info("container removed", metadata: ["container": "\(record.id)"])
    }

    /// Deletes a stopped container's runc state and cgroups, off the actor; `runc delete --force` when that cannot be
    /// done without runc (its errors ignored: runc may not know the container at all).
    nonisolated func deleteRuncState(_ id: String) async throws {
        let runc = self.runc
        if try await DedicatedThread.offload({ runc.deleteStopped(id) }) { return }
        logger.debug("deleting through runc", metadata: ["container": "\(id)"])
        try? await runc.delete(id, force: true)
    }
}
