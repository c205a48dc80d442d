/// Which endpoints of a service port receive which traffic (upstream's `CategorizeEndpoints`):
/// ready endpoints, or serving-terminating ones when none is ready, narrowed to local ones where a
/// traffic policy says `Local`, and to those hinted for the node's zone where topology-aware routing applies.
struct EndpointSelection: Hashable, Sendable {
    /// Endpoints for traffic to the cluster IP (internal traffic policy applied).
    var cluster: [EndpointInfo]
    /// Endpoints for traffic from outside (external traffic policy applied).
    var external: [EndpointInfo]

    /// - Parameter zone: the proxy's node's zone; with it, cluster-policy traffic goes only to the ready endpoints
    ///   hinted for that zone when the hints allow (see ``usesZoneHints(_:zone:)``).
    init(service: ServicePortInfo, endpoints: [EndpointInfo], zone: String? = nil) {
        let local = Self.usable(endpoints.filter(\.isLocal))
        var clusterWide = endpoints.filter(\.ready)
        if let zone, Self.usesZoneHints(endpoints, zone: zone) {
            clusterWide = clusterWide.filter { $0.zoneHints.contains(zone) }
        }
        // No ready endpoint anywhere (topology is never used then): the serving-terminating fallback.
        if clusterWide.isEmpty { clusterWide = Self.usable(endpoints) }
        cluster = service.internalTrafficPolicy == .local ? local : clusterWide
        external = service.externalPolicyLocal ? local : clusterWide
    }

    /// Every endpoint some traffic goes to, without duplicates, sorted.
    var all: [EndpointInfo] { Array(Set(cluster + external)).sorted() }

    /// Ready endpoints; if there are none, serving-and-terminating ones (graceful termination fallback).
    static func usable(_ endpoints: [EndpointInfo]) -> [EndpointInfo] {
        let ready = endpoints.filter(\.ready)
        if !ready.isEmpty { return ready }
        return endpoints.filter { $0.serving && $0.terminating }
    }

    /// Upstream's `canUseTopology` / same-zone mode: the node has a zone, every ready endpoint carries zone hints
    /// (the EndpointSlice controller sets them for `trafficDistribution: PreferClose`), and at least one ready
    /// endpoint is hinted for this zone. Otherwise traffic goes cluster-wide.
    static func usesZoneHints(_ endpoints: [EndpointInfo], zone: String) -> Bool {
        guard !zone.isEmpty else { return false }
        var hasReady = false, hasEndpointForZone = false
        for endpoint in endpoints where endpoint.ready {
            hasReady = true
            if endpoint.zoneHints.isEmpty { return false }
            if endpoint.zoneHints.contains(zone) { hasEndpointForZone = true }
        }
        return hasReady && hasEndpointForZone
    }
}
