import KubeAPI
import LinuxSystem

/// One host-gw route: another node's pod CIDR reached through that node's InternalIP (`podCIDR via InternalIP`),
/// what flannel's host-gw backend programs so pods on different nodes talk without an overlay.
public struct PodRoute: Sendable, Hashable, CustomStringConvertible {
    public var destination: IPNetwork
    public var gateway: IPAddress
    /// The node the route leads to (for logs).
    public var nodeName: String

    public init(destination: IPNetwork, gateway: IPAddress, nodeName: String) {
        self.destination = destination
        self.gateway = gateway
        self.nodeName = nodeName
    }

    public var description: String { "\(destination) via \(gateway) (\(nodeName))" }

    /// The routes this node wants: for every other node with pod CIDRs and an InternalIP, each CIDR via the InternalIP
    /// of the same family. Nodes without either, and CIDRs that do not parse, give none.
    public static func desired(nodes: [Node], localNodeName: String) -> Set<PodRoute> {
        var routes: Set<PodRoute> = []
        for node in nodes {
            guard let name = node.metadata.name, name != localNodeName else { continue }
            let cidrs = node.spec?.podCIDRs ?? node.spec?.podCIDR.map { [$0] } ?? []
            let internalIPs = (node.status?.addresses ?? []).filter { $0.type == "InternalIP" }.compactMap { IPAddress($0.address) }
            for text in cidrs {
                guard let cidr = IPNetwork(text)?.masked,
                      let gateway = internalIPs.first(where: { $0.family == cidr.address.family }) else { continue }
                routes.insert(PodRoute(destination: cidr, gateway: gateway, nodeName: name))
            }
        }
        return routes
    }
}
