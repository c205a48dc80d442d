/// Which backend programs the rules (`--proxy-mode`).
public enum ProxyMode: String, Sendable, CaseIterable {
    /// nftables through libnftnl netlink batches.
    case nftables
    /// iptables-restore (not implemented yet).
    case iptables
}
