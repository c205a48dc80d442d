import LinuxSystem
import Logging
import NFTables

extension ProxyServer {
    /// Removes what the other mode left on this node (upstream's `CleanupLeftovers`): rules of both modes
    /// would both DNAT, and the stale ones would win for whatever they still match. Failures are logged:
    /// the proxy still programs its own rules.
    func cleanUpOtherMode() async {
        do {
            switch mode {
            case .iptables:
                let socket = try namespace.map { try $0.run { try NetfilterSocket() } } ?? NetfilterSocket()
                for family in [Family.ip, .ip6] {
                    try await NFTablesProxier(socket: socket, family: family, configuration: configuration, logger: logger).cleanup()
                }
            case .nftables:
                for command in ["iptables", "ip6tables"] {
                    try await IPTablesProxier(iptables: IPTables(namespace: namespace, command: command), configuration: configuration,
                                              logger: logger).cleanup()
                }
            }
        } catch {
            logger.warning("could not remove the other proxy mode's rules", metadata: ["mode": "\(mode.rawValue)", "error": "\(error)"])
        }
    }
}
