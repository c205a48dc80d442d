import Foundation
import GRPCCore
import Images
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// Resolves `reference` in the image store, pulling it first when `pullIfMissing` (the pause image), and leases
    /// its layers to `holder` (the container or sandbox whose root they become) until ``releaseImage(of:)``.
    func resolveImage(_ reference: String, pullIfMissing: Bool = false, leasedTo holder: String) async throws -> ImageRecord {
        if let image = await images.lease(reference, to: holder) { return image }
        let notFound = RuntimeError.notFound("failed to get image \"\(reference)\": not found")
        guard pullIfMissing else { throw notFound }
        logger.info("pulling missing image", metadata: ["image": "\(reference)"])
        let pulled = try await images.pull(reference, credentials: nil)
        // Removed again between the pull and the lease: as if it had not been there.
        guard let image = await images.lease(pulled.id, to: holder) else { throw notFound }
        return image
    }

    /// Ends the lease of `holder`'s image layers; the layers of an image removed meanwhile are deleted now.
    func releaseImage(of holder: String) async {
        await images.release(holder)
    }

    /// Mounts the unpacked `layers` (lowest first) of image `imageID` read-only under a fresh writable layer (`upper`
    /// and `work` in `writableLayer`, on the persistent root) at `bundle/rootfs`, on the calling thread.
    static func mountRootfs(layers: [String], imageID: String, bundle: String, writableLayer: String) throws {
        guard !layers.isEmpty else { throw RuntimeError.internalError("image \(imageID) has no unpacked layers") }
        for directory in [bundle + "/rootfs", writableLayer + "/upper", writableLayer + "/work"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try Mount.overlay(lower: layers.reversed(), upper: writableLayer + "/upper", work: writableLayer + "/work", at: bundle + "/rootfs")
    }

    /// Unmounts the root filesystem and removes the bundle (idempotent); the writable layer, on the disk, is renamed to
    /// `.removing-<id>` at once and deleted on a thread of its own after the call returns, as containerd's garbage
    /// collector removes a snapshot once its container is gone. One a killed daemon did not finish is an orphan the
    /// next start-up removes.
    func removeBundle(_ bundle: String, writableLayer: String) throws {
        try Mount.unmount(bundle + "/rootfs", detach: true)
        if FileManager.default.fileExists(atPath: bundle) {
            try FileManager.default.removeItem(atPath: bundle)
        }
        guard FileManager.default.fileExists(atPath: writableLayer) else { return }
        let url = URL(fileURLWithPath: writableLayer)
        let doomed = url.deletingLastPathComponent().appendingPathComponent(".removing-" + url.lastPathComponent).path
        try FileManager.default.moveItem(atPath: writableLayer, toPath: doomed)
        let logger = logger
        Task.detached {
            do {
                try await DedicatedThread.offload { Result { try FileManager.default.removeItem(atPath: doomed) } }.get()
            } catch {
                logger.warning("cannot remove a writable layer", metadata: ["path": "\(doomed)", "error": "\(error)"])
            }
        }
    }
}
