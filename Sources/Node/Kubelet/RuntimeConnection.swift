import CRI
import GRPCCore
import GRPCNIOTransportHTTP2

/// The kubelet's one link to the container runtime: CRI v1 clients over a unix socket, to `swiftlet runtime`
/// or containerd alike. `run()` keeps the connection (and reconnects) until cancelled.
public final class RuntimeConnection: Sendable {
    public let socketPath: String
    let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    public let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    public let images: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>

    public init(socketPath: String) throws {
        self.socketPath = socketPath
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: socketPath, authority: "localhost"), transportSecurity: .plaintext)
        grpc = GRPCClient(transport: transport)
        runtime = Runtime_V1_RuntimeService.Client(wrapping: grpc)
        images = Runtime_V1_ImageService.Client(wrapping: grpc)
    }

    /// Maintains the connection until the task is cancelled.
    public func run() async throws {
        try await withTaskCancellationHandler {
            try await grpc.runConnections()
        } onCancel: {
            grpc.beginGracefulShutdown()
        }
    }

    /// Call options with a deadline, as the kubelet's CRI client sets one on every call.
    static func options(_ timeout: Duration = .seconds(120)) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        return options
    }
}
