/// Which endpoints of a service port receive which traffic (upstream's `CategorizeEndpoints`):
/// ready endpoints, or serving-terminating ones when none is ready, narrowed to local ones where a
/// traffic policy says `Local`.
struct EndpointSelection: Hashable, Sendable {
    /// Endpoints for traffic to the cluster IP (internal traffic policy applied).
    var cluster: [EndpointInfo]
    /// Endpoints for traffic from outside (external traffic policy applied).
    var external: [EndpointInfo]

    init(service: ServicePortInfo, endpoints: [EndpointInfo]) {
        let all = Self.usable(endpoints)
        let local = Self.usable(endpoints.filter(\.isLocal))
        cluster = service.internalTrafficPolicy == .local ? local : all
        external = service.externalPolicyLocal ? local : all
    }

    /// Every endpoint some traffic goes to, without duplicates, sorted.
    var all: [EndpointInfo] { Array(Set(cluster + external)).sorted() }

    /// Ready endpoints; if there are none, serving-and-terminating ones (graceful termination fallback).
    static func usable(_ endpoints: [EndpointInfo]) -> [EndpointInfo] {
        let ready = endpoints.filter(\.ready)
        if !ready.isEmpty { return ready }
        return endpoints.filter { $0.serving && $0.terminating }
    }
}
