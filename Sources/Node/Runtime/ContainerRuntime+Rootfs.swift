import Foundation
import GRPCCore
import Images
import LinuxSystem
import Logging
import OCI

extension ContainerRuntime {
    /// Resolves `reference` in the image store, pulling it first when `pullIfMissing` (the pause image).
    func resolveImage(_ reference: String, pullIfMissing: Bool = false) async throws -> ImageRecord {
        if let image = await images.image(reference) { return image }
        guard pullIfMissing else { throw RuntimeError.notFound("failed to get image \"\(reference)\": not found") }
        logger.info("pulling missing image", metadata: ["image": "\(reference)"])
        return try await images.pull(reference, credentials: nil)
    }

    /// Mounts the image's layers read-only under a fresh writable layer at `bundle/rootfs`.
    func mountRootfs(_ image: ImageRecord, bundle: String) async throws {
        try Self.mountRootfs(layers: images.layerPaths(of: image), imageID: image.id, bundle: bundle)
    }

    /// The same for the unpacked `layers` (lowest first) of image `imageID`, on the calling thread.
    static func mountRootfs(layers: [String], imageID: String, bundle: String) throws {
        guard !layers.isEmpty else { throw RuntimeError.internalError("image \(imageID) has no unpacked layers") }
        for directory in ["rootfs", "upper", "work"] {
            try FileManager.default.createDirectory(atPath: bundle + "/" + directory, withIntermediateDirectories: true)
        }
        try Mount.overlay(lower: layers.reversed(), upper: bundle + "/upper", work: bundle + "/work", at: bundle + "/rootfs")
    }

    /// Unmounts the root filesystem and removes the bundle (idempotent).
    func removeBundle(_ bundle: String) throws {
        try Mount.unmount(bundle + "/rootfs", detach: true)
        if FileManager.default.fileExists(atPath: bundle) {
            try FileManager.default.removeItem(atPath: bundle)
        }
    }
}
