import CRI
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Images
import Logging

/// The runtime's one call beyond the CRI: import an OCI image-layout archive from a path on the node into the
/// running daemon's store, which only the daemon writes (``ImageStoreOwnership``). `swiftlet runtime import` uses it
/// whenever a daemon owns the store, as `ctr images import` goes through containerd. The messages are the CRI's own:
/// an `ImageSpec` whose `image` is the archive's absolute path in, a `ListImagesResponse` with the imported images
/// out, so any gRPC client can call `/swiftlet.runtime.v1.ImageImport/ImportArchive` on the CRI socket.
public struct ImageImportService: RegistrableRPCService {
    /// `/swiftlet.runtime.v1.ImageImport/ImportArchive`.
    public static let importArchive = MethodDescriptor(fullyQualifiedService: "swiftlet.runtime.v1.ImageImport", method: "ImportArchive")

    let images: ImageStore
    let logger: Logger

    public init(images: ImageStore, logger: Logger) {
        self.images = images
        self.logger = logger
    }

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Self.importArchive, deserializer: ProtobufDeserializer<Runtime_V1_ImageSpec>(),
            serializer: ProtobufSerializer<Runtime_V1_ListImagesResponse>()
        ) { request, _ in
            let path = try await ServerRequest(stream: request).message.image
            return StreamingServerResponse(single: ServerResponse(message: try await importArchive(path)))
        }
    }

    /// Imports the archive at `path`; a relative path is refused, since the daemon's working directory is not the
    /// caller's.
    func importArchive(_ path: String) async throws -> Runtime_V1_ListImagesResponse {
        guard path.hasPrefix("/") else {
            throw RPCError(code: .invalidArgument, message: "the archive must be an absolute path on the node, got \"\(path)\"")
        }
        do {
            var response = Runtime_V1_ListImagesResponse()
            response.images = try await images.importArchive(path).map(CRIImageService.image)
            return response
        } catch let error as ImageError {
            logger.warning("image import failed", metadata: ["archive": "\(path)", "error": "\(error)"])
            throw RPCError(code: CRIImageService.code(error.code), message: "failed to import \"\(path)\": \(error)")
        }
    }

    /// The client side: asks the daemon serving CRI on the unix socket `socket` to import the archive at the absolute
    /// `path`, and answers the images imported (their repo tags and IDs).
    /// - Throws: `RPCError` as the daemon answered it, `.unavailable` when nothing serves on `socket`.
    public static func importArchive(_ path: String, throughSocket socket: String) async throws -> [(repoTags: [String], id: String)] {
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socket, authority: "localhost"),
                                                       transportSecurity: .plaintext)
        var request = Runtime_V1_ImageSpec()
        request.image = path
        var options = CallOptions.defaults
        options.waitForReady = false  // a socket nobody serves fails at once, instead of waiting for a daemon
        let response = try await withGRPCClient(transport: transport) { client in
            try await client.unary(
                request: ClientRequest(message: request), descriptor: importArchive,
                serializer: ProtobufSerializer<Runtime_V1_ImageSpec>(),
                deserializer: ProtobufDeserializer<Runtime_V1_ListImagesResponse>(), options: options
            ) { try $0.message }
        }
        return response.images.map { ($0.repoTags, $0.id) }
    }
}
