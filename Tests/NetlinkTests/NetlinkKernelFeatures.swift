import Netlink
import TestSupport

/// What the running kernel supports, probed once inside a throwaway namespace.
enum KernelFeatures {
    /// Whether bridges can filter VLANs (`CONFIG_BRIDGE_VLAN_FILTERING`); some minimal kernels lack it.
    static let bridgeVLANFiltering: Bool = (try? withNetlink { netlink, _ in
        try netlink.createBridge(named: "probe0", vlanFiltering: true)
    }) != nil
}
