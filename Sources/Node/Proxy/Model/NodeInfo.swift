/// What the proxy needs to know about its own node: its name, addresses (NodePorts answer on them) and
/// pod CIDRs (the fallback for telling cluster traffic from outside traffic).
public struct NodeInfo: Hashable, Sendable {
    public var name: String
    /// `status.addresses` of type `InternalIP`/`ExternalIP`.
    public var addresses: [String]
    public var podCIDRs: [String]

    public init(name: String, addresses: [String] = [], podCIDRs: [String] = []) {
        self.name = name
        self.addresses = addresses
        self.podCIDRs = podCIDRs
    }
}
