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
            target: .unixDomainSocket(path: socketPath, authority: "localhost"), transportSecurity: .plaintext,
            serviceConfig: ServiceConfig(methodConfig: [Self.retriedCalls]))
        grpc = GRPCClient(transport: transport, interceptors: [RuntimeOperationMetrics()])
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

    /// The calls sent again (up to three times, 50 ms backoff doubling) when the connection drops under them —
    /// those the CRI defines as idempotent or that only read. grpc-go servers (containerd) reset every unary
    /// stream the client half-closes late, and the HTTP/2 stack's rapid-reset guard (200 resets in 10 s) then
    /// closes the connection: about one call in 200 would fail `unavailable` while it reconnects. RunPodSandbox,
    /// CreateContainer, StartContainer and ExecSync are not retried; the pod workers' next sync covers them.
    static let retriedCalls = MethodConfig(
        names: [
            "Version", "Status", "ListPodSandbox", "PodSandboxStatus", "ListContainers", "ContainerStatus", "StopPodSandbox",
            "RemovePodSandbox", "StopContainer", "RemoveContainer", "ContainerStats", "ListContainerStats", "PodSandboxStats",
            "ListPodSandboxStats", "ReopenContainerLog", "UpdateContainerResources", "Exec", "Attach", "PortForward",
        ].map { MethodConfig.Name(service: "runtime.v1.RuntimeService", method: $0) }
            + ["ListImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo"]
            .map { MethodConfig.Name(service: "runtime.v1.ImageService", method: $0) },
        executionPolicy: .retry(RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(500),
                                            backoffMultiplier: 2, retryableStatusCodes: [.unavailable])))

    /// Call options with a deadline, as the kubelet's CRI client sets one on every call.
    static func options(_ timeout: Duration = .seconds(120)) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        return options
    }
}
