import Foundation
import GRPCCore
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// CRI `RemovePodSandbox`: stops it if needed, removes its containers, the infra container (if it has one)
    /// and every file; an unknown id succeeds (already removed). The infra container's runc state goes while the
    /// containers are removed.
    public func removePodSandbox(_ id: String) async throws {
        guard let record = try? sandbox(id) else { return }
        try await stopPodSandbox(record.id)
        let infra = Task.detached { [self] in if record.hasInfraContainer { try? await deleteRuncState(record.id) } }
        for container in containers.values where container.sandboxID == record.id {
            try await removeContainer(container.id)
        }
        await infra.value
        let directory = sandboxDirectory(record.id)
        try removeBundle(directory + "/bundle", writableLayer: writableLayer(record.id))
        await releaseImage(of: record.id)
        try Mount.unmount(directory + "/shm", detach: true)
        try unpinNamespaces(record.id)
        try FileManager.default.removeItem(atPath: directory)
        sandboxes[record.id] = nil
        exits[sandboxDirectory(record.id) + "/bundle"] = nil
        reservedNames[PodSandboxRecord.reservedName(record.metadata)] = nil
        logger.info("sandbox removed", metadata: ["sandbox": "\(record.id)"])
    }
}
