import ServiceLifecycle

/// The proxy as a service of `swiftlet agent` or `swiftlet proxy`: it runs until the service group shuts down
/// gracefully (SIGTERM), then stops; the rules stay in the kernel for the next start to take over, unless
/// `removeRulesOnShutdown` (a throwaway node) deletes its table on the way out.
public struct ProxyService: ServiceLifecycle.Service {
    public let proxy: ProxyServer
    public let removeRulesOnShutdown: Bool

    public init(_ proxy: ProxyServer, removeRulesOnShutdown: Bool = false) {
        self.proxy = proxy
        self.removeRulesOnShutdown = removeRulesOnShutdown
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await proxy.run() }
        } catch is CancellationError {}
        if removeRulesOnShutdown {
            try await proxy.proxier.cleanup()
        }
    }
}
