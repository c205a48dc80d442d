/// Everything the proxy needs to know about one service port, extracted from a `Service` once so syncs
/// never decode API objects (upstream's `ServicePort` interface).
public struct ServicePortInfo: Hashable, Sendable {
    /// How clients stick to endpoints (`spec.sessionAffinity`).
    public enum SessionAffinity: Hashable, Sendable {
        case none
        /// `ClientIP` with its timeout (default 10800 s).
        case clientIP(timeoutSeconds: Int)
    }

    /// `Cluster` (any endpoint) or `Local` (endpoints on this node only).
    public enum TrafficPolicy: String, Hashable, Sendable {
        case cluster = "Cluster"
        case local = "Local"
    }

    public var name: ServicePortName
    /// The cluster IPs (one per family); empty for headless services.
    public var clusterIPs: [String]
    public var port: UInt16
    /// The node port, if the service is `NodePort` or `LoadBalancer`.
    public var nodePort: UInt16?
    public var externalIPs: [String]
    /// `status.loadBalancer.ingress[].ip` (hostnames ignored, `ipMode: Proxy` skipped as upstream does).
    public var loadBalancerIPs: [String]
    public var loadBalancerSourceRanges: [String]
    public var sessionAffinity: SessionAffinity
    public var externalTrafficPolicy: TrafficPolicy
    public var internalTrafficPolicy: TrafficPolicy
    /// The health-check node port of a `LoadBalancer` with `externalTrafficPolicy: Local`.
    public var healthCheckNodePort: UInt16?

    public init(
        name: ServicePortName, clusterIPs: [String], port: UInt16, nodePort: UInt16? = nil, externalIPs: [String] = [],
        loadBalancerIPs: [String] = [], loadBalancerSourceRanges: [String] = [], sessionAffinity: SessionAffinity = .none,
        externalTrafficPolicy: TrafficPolicy = .cluster, internalTrafficPolicy: TrafficPolicy = .cluster,
        healthCheckNodePort: UInt16? = nil
    ) {
        self.name = name
        self.clusterIPs = clusterIPs
        self.port = port
        self.nodePort = nodePort
        self.externalIPs = externalIPs
        self.loadBalancerIPs = loadBalancerIPs
        self.loadBalancerSourceRanges = loadBalancerSourceRanges
        self.sessionAffinity = sessionAffinity
        self.externalTrafficPolicy = externalTrafficPolicy
        self.internalTrafficPolicy = internalTrafficPolicy
        self.healthCheckNodePort = healthCheckNodePort
    }

    /// Whether traffic arrives from outside the cluster network (NodePort, externalIPs, load balancer):
    /// only then does `externalTrafficPolicy` apply.
    public var isExternallyAccessible: Bool {
        nodePort != nil || !externalIPs.isEmpty || !loadBalancerIPs.isEmpty
    }

    /// The ClientIP affinity timeout in seconds, `nil` without affinity.
    public var affinityTimeout: Int? {
        if case .clientIP(let timeout) = sessionAffinity { timeout } else { nil }
    }

    /// Whether external traffic may only go to endpoints on this node.
    public var externalPolicyLocal: Bool { isExternallyAccessible && externalTrafficPolicy == .local }
}
