import KubeAPI
import Synchronization

/// Follows this proxy's own Node object for its addresses, pod CIDRs and zone.
public final class NodeTracker: Sendable {
    public let nodeName: String
    private let state: Mutex<NodeInfo>

    public init(nodeName: String, addresses: [String] = []) {
        self.nodeName = nodeName
        self.state = Mutex(NodeInfo(name: nodeName, addresses: addresses))
    }

    /// Applies a Node event; events about other nodes are ignored. Returns whether anything changed.
    @discardableResult
    public func update(old: Node?, new: Node?) -> Bool {
        guard (new ?? old)?.metadata.name == nodeName else { return false }
        var info = NodeInfo(name: nodeName)
        if let new {
            info.addresses = (new.status?.addresses ?? []).filter { $0.type == "InternalIP" || $0.type == "ExternalIP" }
                .map(\.address)
            info.podCIDRs = new.spec?.podCIDRs ?? [new.spec?.podCIDR].compactMap { $0 }
            info.zone = new.metadata.labels?[Node.zoneLabel]
        }
        return state.withLock { current in
            guard current != info else { return false }
            current = info
            return true
        }
    }

    /// The node as last seen.
    public func snapshot() -> NodeInfo { state.withLock { $0 } }
}
