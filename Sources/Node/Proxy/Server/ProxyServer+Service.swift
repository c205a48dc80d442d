import ServiceLifecycle

/// The proxy as a service of `swiftlet agent` or `swiftlet proxy`: it runs until the service group shuts down
/// gracefully (SIGTERM), then stops; the rules stay in the kernel for the next start to take over.
public struct ProxyService: ServiceLifecycle.Service {
    public let proxy: ProxyServer

    public init(_ proxy: ProxyServer) { self.proxy = proxy }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await proxy.run() }
        } catch is CancellationError {}
    }
}
