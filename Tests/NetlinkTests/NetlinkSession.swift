import LinuxSystem
import Netlink
import TestSupport

/// Runs `body` with a netlink session opened inside a fresh throwaway namespace (deleted afterwards,
/// even on failure), so the test never sees or touches the host's interfaces.
@discardableResult
func withNetlink<R>(_ body: (RouteNetlink, NetworkNamespace) throws -> R) throws -> R {
    try withThrowawayNetworkNamespace(prefix: "swt-nl") { namespace in
        try body(RouteNetlink(in: namespace), namespace)
    }
}

extension NetworkNamespace {
    /// `ip -n NAME -j ARGS` for this (named) namespace.
    func ip(_ arguments: String...) throws -> [[String: Any]] {
        try IPCommand.json(["-n", name!] + arguments)
    }
}
