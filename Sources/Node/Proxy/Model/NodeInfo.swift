/// What the proxy needs to know about its own node: its name, addresses (NodePorts answer on them), pod CIDRs
/// (the fallback for telling cluster traffic from outside traffic) and zone (topology-aware routing).
public struct NodeInfo: Hashable, Sendable {
    public var name: String
    /// `status.addresses` of type `InternalIP`/`ExternalIP`.
    public var addresses: [String]
    public var podCIDRs: [String]
    /// The node's `topology.kubernetes.io/zone` label; endpoints hinted for this zone are preferred.
    public var zone: String?

    public init(name: String, addresses: [String] = [], podCIDRs: [String] = [], zone: String? = nil) {
        self.name = name
        self.addresses = addresses
        self.podCIDRs = podCIDRs
        self.zone = zone
    }
}
