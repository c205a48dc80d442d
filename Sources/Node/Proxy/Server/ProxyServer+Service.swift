import ServiceLifecycle

/// The proxy runs as a service of `swiftlet agent` or `swiftlet proxy`: `run()` until the group shuts down.
extension ProxyServer: ServiceLifecycle.Service {}
