import CRI
import Foundation
import GRPCCore
import Images
import Logging

/// CRI v1 `ImageService` over the runtime's ``ImageStore``: pulls (with the kubelet's AuthConfig),
/// status, list, removal and the image filesystem's usage.
public struct CRIImageService: Runtime_V1_ImageService.SimpleServiceProtocol {
    let images: ImageStore
    let logger: Logger

    public init(images: ImageStore, logger: Logger) {
        self.images = images
        self.logger = logger
    }

    public func listImages(request: Runtime_V1_ListImagesRequest, context: ServerContext) async throws -> Runtime_V1_ListImagesResponse {
        var response = Runtime_V1_ListImagesResponse()
        let wanted = request.filter.image.image
        let records = await images.list()
        let selected: [ImageRecord]
        if wanted.isEmpty {
            selected = records
        } else if let match = await images.image(wanted) {
            selected = [match]
        } else {
            selected = []
        }
        response.images = selected.map(Self.image)
        return response
    }

    /// A missing image is an empty answer, not an error, as the CRI specifies.
    public func imageStatus(request: Runtime_V1_ImageStatusRequest, context: ServerContext) async throws -> Runtime_V1_ImageStatusResponse {
        var response = Runtime_V1_ImageStatusResponse()
        if let record = await images.image(request.image.image) {
            response.image = Self.image(record)
            if request.verbose {
                let data = try JSONEncoder().encode(record.config)
                response.info["info"] = String(decoding: data, as: UTF8.self)
            }
        }
        return response
    }

    public func pullImage(request: Runtime_V1_PullImageRequest, context: ServerContext) async throws -> Runtime_V1_PullImageResponse {
        let reference = request.image.image
        guard !reference.isEmpty else { throw RPCError(code: .invalidArgument, message: "image reference must not be empty") }
        let auth = request.auth
        let credentials = request.hasAuth
            ? RegistryCredentials(username: auth.username, password: auth.password, auth: auth.auth,
                                  identityToken: auth.identityToken, registryToken: auth.registryToken)
            : nil
        do {
            let record = try await images.pull(reference, credentials: credentials)
            var response = Runtime_V1_PullImageResponse()
            response.imageRef = record.id
            return response
        } catch let error as ImageError {
            logger.warning("image pull failed", metadata: ["image": "\(reference)", "error": "\(error)"])
            throw RPCError(code: Self.code(error.code), message: "failed to pull and unpack image \"\(reference)\": \(error)")
        }
    }

    /// Removing an image that is not there succeeds.
    public func removeImage(request: Runtime_V1_RemoveImageRequest, context: ServerContext) async throws -> Runtime_V1_RemoveImageResponse {
        do {
            try await images.remove(request.image.image)
        } catch let error as ImageError {
            throw RPCError(code: Self.code(error.code), message: "failed to remove image \"\(request.image.image)\": \(error)")
        }
        return Runtime_V1_RemoveImageResponse()
    }

    public func imageFsInfo(request: Runtime_V1_ImageFsInfoRequest, context: ServerContext) async throws -> Runtime_V1_ImageFsInfoResponse {
        let usage = images.filesystemUsage()
        var filesystem = Runtime_V1_FilesystemUsage()
        filesystem.timestamp = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        filesystem.fsID.mountpoint = usage.mountpoint
        filesystem.usedBytes.value = usage.bytes
        filesystem.inodesUsed.value = usage.inodes
        var response = Runtime_V1_ImageFsInfoResponse()
        response.imageFilesystems = [filesystem]
        return response
    }

    public func streamImages(
        request: Runtime_V1_StreamImagesRequest, response: RPCWriter<Runtime_V1_StreamImagesResponse>, context: ServerContext
    ) async throws {
        throw RPCError(code: .unimplemented, message: "StreamImages is not implemented by swiftlet runtime; use ListImages")
    }

    static func image(_ record: ImageRecord) -> Runtime_V1_Image {
        var image = Runtime_V1_Image()
        image.id = record.id
        image.repoTags = record.repoTags
        image.repoDigests = record.repoDigests
        image.size = record.size
        image.pinned = record.pinned
        if let user = record.config.user, !user.isEmpty {
            let name = user.split(separator: ":").first.map(String.init) ?? user
            if let uid = Int64(name) { image.uid.value = uid } else { image.username = name }
        }
        return image
    }

    static func code(_ code: ImageError.Code) -> RPCError.Code {
        switch code {
        case .notFound: .notFound
        case .unauthorized: .permissionDenied
        case .invalidReference: .invalidArgument
        case .network: .unavailable
        default: .unknown
        }
    }
}
