/// Which backend programs the rules (`--proxy-mode`).
public enum ProxyMode: String, Sendable, CaseIterable {
    /// nftables through libnftnl netlink batches (``NFTablesProxier``).
    case nftables
    /// `iptables-restore` in upstream kube-proxy's iptables layout (``IPTablesProxier``).
    case iptables
}
