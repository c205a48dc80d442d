import Foundation
import KubeAPI
import KubeClient

extension PodObjects {
    /// The PersistentVolume bound to claim `claimName`, checked as upstream's volume manager checks it before it
    /// mounts anything (`getPVCExtractPV`, `getPVSpec`): the claim exists and is Bound, its volume exists and that
    /// volume's `claimRef` is this claim.
    /// - Throws: ``ContainerConfigError`` in upstream's words, e.g. `error processing PVC default/data: PVC is not bound`.
    func boundVolume(claim claimName: String, namespace: String, ephemeralFor pod: Pod? = nil) async throws -> PersistentVolume {
        func failure(_ reason: String) -> ContainerConfigError {
            ContainerConfigError(message: "error processing PVC \(namespace)/\(claimName): \(reason)")
        }
        let claim: PersistentVolumeClaim
        do {
            claim = try await client.get(PersistentVolumeClaim.self, name: claimName, namespace: namespace)
        } catch {
            throw failure("failed to fetch PVC from API server: \(error)")
        }
        // An ephemeral volume's claim must be the one made for this pod (upstream's VolumeIsForPod).
        if let pod, let problem = pod.ephemeralClaimProblem(claim) { throw failure(problem) }
        guard claim.status?.phase == "Bound", let volumeName = claim.spec?.volumeName, !volumeName.isEmpty else {
            throw failure("PVC is not bound")
        }
        let volume: PersistentVolume
        do {
            volume = try await client.get(PersistentVolume.self, name: volumeName)
        } catch {
            throw failure("failed to fetch PV \(volumeName) from API server: \(error)")
        }
        guard let reference = volume.spec?.claimRef else {
            throw failure("found PV object \(volumeName) but it has a nil ClaimRef")
        }
        guard reference.uid == claim.metadata.uid else {
            throw failure("found PV object \(volumeName) but its ClaimRef.UID \(reference.uid ?? "") does not point to claim.UID \(claim.metadata.uid ?? "")")
        }
        return volume
    }
}

extension VolumeManager {
    /// Where a PersistentVolume's data is on this node: a hostPath volume's path (after its `type` check) or a local
    /// volume's path, which must exist. Other sources need volume plugins (CSI, NFS …) this kubelet does not have.
    static func nodePath(of volume: PersistentVolume) throws -> String {
        let name = volume.metadata.name ?? ""
        if let hostPath = volume.spec?.hostPath {
            do {
                try checkHostPath(hostPath)
            } catch {
                throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(name)\" : \(error)")
            }
            return hostPath.path
        }
        if let local = volume.spec?.local {
            guard FileManager.default.fileExists(atPath: local.path) else {
                throw ContainerConfigError(message: "MountVolume.NewMounter initialization failed for volume \"\(name)\" : path \"\(local.path)\" does not exist")
            }
            return local.path
        }
        let source = volume.spec?.sources.first ?? "no source"
        throw ContainerConfigError(message: "MountVolume.SetUp failed for volume \"\(name)\" : volume source \(source) is not supported by this kubelet (hostPath and local are)")
    }
}
