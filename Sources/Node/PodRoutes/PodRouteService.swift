import ServiceLifecycle

/// The pod routes as a service of `swiftlet agent`: they are kept until the service group shuts down gracefully;
/// with `removeRoutesOnShutdown` (a throwaway node) the controller's routes are deleted on the way out.
public struct PodRouteService: ServiceLifecycle.Service {
    public let controller: PodRouteController
    public let removeRoutesOnShutdown: Bool

    public init(_ controller: PodRouteController, removeRoutesOnShutdown: Bool = false) {
        self.controller = controller
        self.removeRoutesOnShutdown = removeRoutesOnShutdown
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await controller.run() }
        if removeRoutesOnShutdown {
            try await controller.removeAll()
        }
    }
}
