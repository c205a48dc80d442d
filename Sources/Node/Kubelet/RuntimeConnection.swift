import CRI
import GRPCCore
import GRPCNIOTransportHTTP2

/// The kubelet's link to the container runtime: CRI v1 clients over a unix socket, to `swiftlet runtime` or
/// containerd alike. `run()` keeps the connections (and reconnects) until cancelled.
///
/// Two HTTP/2 connections: ``runtime`` and ``images`` for the many reads and quick idempotent calls, ``lifecycle`` for
/// the calls that change a pod and are not sent again (RunPodSandbox, CreateContainer, StartContainer, ExecSync) and
/// for StopContainer (sent again, it would start the container's grace period over). A
/// grpc-go server (containerd) resets unary streams, the client's HTTP/2 stack closes a connection that receives
/// 200 resets in 10 s (its rapid-reset guard), and every call in flight on it fails: on one shared connection a
/// burst of pods lost its sandboxes half made (containerd rolled them back as cancelled, and held their names
/// until it had), and the pods waited for their next sync. The reads' resets now close only their own
/// connection, whose calls are retried (``retriedCalls``).
public final class RuntimeConnection: Sendable {
    public let socketPath: String
    let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    let lifecycleGRPC: GRPCClient<HTTP2ClientTransport.Posix>
    public let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    public let images: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix>
    /// RuntimeService on the connection of its own for the calls that must not be cut short (see above).
    public let lifecycle: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>

    public init(socketPath: String) throws {
        self.socketPath = socketPath
        func client(_ serviceConfig: ServiceConfig) throws -> GRPCClient<HTTP2ClientTransport.Posix> {
            let transport = try HTTP2ClientTransport.Posix(
                target: .unixDomainSocket(path: socketPath, authority: "localhost"), transportSecurity: .plaintext,
                serviceConfig: serviceConfig)
            return GRPCClient(transport: transport, interceptors: [RuntimeOperationMetrics()])
        }
        grpc = try client(ServiceConfig(methodConfig: [Self.retriedCalls]))
        lifecycleGRPC = try client(ServiceConfig())
        runtime = Runtime_V1_RuntimeService.Client(wrapping: grpc)
        images = Runtime_V1_ImageService.Client(wrapping: grpc)
        lifecycle = Runtime_V1_RuntimeService.Client(wrapping: lifecycleGRPC)
    }

    /// Maintains the connections until the task is cancelled.
    public func run() async throws {
        try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.grpc.runConnections() }
                group.addTask { try await self.lifecycleGRPC.runConnections() }
            }
        } onCancel: {
            grpc.beginGracefulShutdown()
            lifecycleGRPC.beginGracefulShutdown()
        }
    }

    /// The calls sent again (up to three times, 50 ms backoff doubling) when the connection drops under them —
    /// those the CRI defines as idempotent or that only read. grpc-go servers (containerd) reset every unary
    /// stream the client half-closes late, and the HTTP/2 stack's rapid-reset guard (200 resets in 10 s) then
    /// closes the connection: about one call in 200 would fail `unavailable` while it reconnects. RunPodSandbox,
    /// CreateContainer, StartContainer, ExecSync and StopContainer go over ``lifecycle``, which sends nothing again
    /// (the pod workers' next sync covers the first four; StopPodSandbox stops what a lost StopContainer left).
    static let retriedCalls = MethodConfig(
        names: [
            "Version", "Status", "ListPodSandbox", "PodSandboxStatus", "ListContainers", "ContainerStatus", "StopPodSandbox",
            "RemovePodSandbox", "RemoveContainer", "ContainerStats", "ListContainerStats", "PodSandboxStats",
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
