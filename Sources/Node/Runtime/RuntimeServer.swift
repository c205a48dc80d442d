import CRI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Images
import LinuxSystem
import Logging
import ServiceLifecycle

/// `swiftlet runtime` as a service: the CRI RuntimeService and ImageService (and ``ImageImportService``) on a unix
/// socket, shut down gracefully (in-flight calls finish) on SIGTERM. Containers are not touched by a shutdown:
/// their monitors keep them running until the next daemon picks them up.
public struct RuntimeServer: Service {
    public let socketPath: String
    let runtime: ContainerRuntime
    let logger: Logger
    /// Called with the socket path once it accepts connections.
    let onReady: @Sendable (String) -> Void

    public init(socketPath: String, runtime: ContainerRuntime, logger: Logger, onReady: @escaping @Sendable (String) -> Void = { _ in }) {
        self.socketPath = socketPath
        self.runtime = runtime
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        let directory = (socketPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A socket left by a killed daemon would make bind fail with EADDRINUSE.
        try? FileManager.default.removeItem(atPath: socketPath)
        // Before the first call: what pods gone since the last run (a reboot, a crash) hold on the network goes.
        await runtime.collectNetworkGarbage()
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [
            CRIRuntimeService(runtime: runtime, logger: logger),
            CRIImageService(images: runtime.images, logger: logger),
            ImageImportService(images: runtime.images, logger: logger),
        ])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                // Returns once the socket is bound (throws if binding failed).
                _ = try await transport.listeningAddress
                chmod(socketPath, 0o660)
                logger.info("serving CRI", metadata: ["socket": "\(socketPath)"])
                onReady(socketPath)
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
        try? FileManager.default.removeItem(atPath: socketPath)
        // The default parent goes once no container is left in it (still-running containers keep it, and their
        // monitors keep them, for the next daemon).
        Cgroupfs.removeIfEmpty(PodSandboxRecord.defaultCgroupParent)
    }
}
