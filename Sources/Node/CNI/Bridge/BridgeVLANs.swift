import LinuxSystem
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The bridge's VLAN keys: `vlan` (an access port: PVID, untagged), `vlanTrunk` (tagged VLANs, as
/// `{"id": 10}` or `{"minID": 20, "maxID": 30}`) and `preserveDefaultVlan` (keep VLAN 1 on the port,
/// default true). Any of the first two turns on VLAN filtering when the plugin creates the bridge.
///
/// Kernels built without `CONFIG_BRIDGE_VLAN_FILTERING` refuse that with `EOPNOTSUPP`; the plugin
/// answers code 7 carrying the kernel's text (``unsupported(_:)``) before anything is created.
struct BridgeVLANs: Sendable {
    /// One `vlanTrunk` entry.
    struct TrunkEntry: Decodable {
        var id: Int?
        var minID: Int?
        var maxID: Int?
    }

    /// The access VLAN; 0 for none.
    let access: UInt16
    /// The trunk VLANs, ascending, without duplicates.
    let trunk: [UInt16]
    let preserveDefault: Bool

    /// Whether the bridge needs VLAN filtering.
    var isEnabled: Bool { access != 0 || !trunk.isEmpty }

    init(vlan: Int, trunk entries: [TrunkEntry], preserveDefault: Bool) throws(CNIError) {
        guard (0...4094).contains(vlan) else { throw CNIError(.invalidNetworkConfig, "bridge: invalid VLAN ID \(vlan) (must be between 0 and 4094)") }
        var trunk: Set<Int> = []
        for entry in entries {
            if let id = entry.id {
                trunk.insert(id)
            } else if let minID = entry.minID, let maxID = entry.maxID, minID <= maxID {
                trunk.formUnion(minID...maxID)
            } else {
                throw CNIError(.invalidNetworkConfig, "bridge: a vlanTrunk entry needs id, or minID <= maxID")
            }
        }
        guard trunk.allSatisfy({ (1...4094).contains($0) }) else {
            throw CNIError(.invalidNetworkConfig, "bridge: invalid vlanTrunk ID (must be between 1 and 4094)")
        }
        guard vlan == 0 || trunk.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "bridge: cannot set vlan and vlanTrunk at the same time")
        }
        access = UInt16(vlan)
        self.trunk = trunk.sorted().map { UInt16($0) }
        self.preserveDefault = preserveDefault
    }

    /// Puts `port` into its VLANs (the reference's `setupVeth`): drops VLAN 1 unless preserved, then
    /// the access VLAN as PVID/untagged, or the trunk VLANs tagged.
    func apply(_ netlink: RouteNetlink, port: String) throws {
        guard isEnabled else { return }
        do {
            if !preserveDefault { try netlink.deleteBridgeVLAN(1, from: .name(port)) }
            if access != 0 { try netlink.addBridgeVLAN(BridgeVLAN(id: access, isPVID: true, isUntagged: true), to: .name(port)) }
            for id in trunk { try netlink.addBridgeVLAN(BridgeVLAN(id: id), to: .name(port)) }
        } catch let error as NetlinkError where error.errno == EOPNOTSUPP {
            throw Self.unsupported(error)
        }
    }

    /// Code 7: this kernel has no bridge VLAN filtering; `cause` carries the kernel's errno text.
    static func unsupported(_ cause: NetlinkError) -> CNIError {
        CNIError(.invalidNetworkConfig, "bridge: vlan and vlanTrunk need bridge VLAN filtering, which this kernel does not support",
                 details: String(describing: cause))
    }
}
