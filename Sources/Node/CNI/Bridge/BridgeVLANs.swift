import LinuxSystem
import Netlink
#if canImport(Glibc)
import Glibc
#endif

/// The bridge's VLAN keys as the reference (containernetworking/plugins ≥ 1.2) reads them: `vlan` (an
/// access port: PVID, untagged), `vlanTrunk` (tagged VLANs, as `{"id": 10}` or `{"minID": 20,
/// "maxID": 30}`) and `preserveDefaultVlan` (keep the port's default VLAN, default true). A non-zero
/// `vlan` or any `vlanTrunk` list (even an empty one) turns on VLAN filtering when the plugin creates
/// the bridge; the default VLAN is removed only when the port gets VLANs of its own.
///
/// Validation errors are code 7 with the reference's words. Kernels built without
/// `CONFIG_BRIDGE_VLAN_FILTERING` refuse the bridge with `EOPNOTSUPP`; the plugin then answers as the
/// reference does (``unsupported(bridge:_:)``) before anything is created.
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
    /// Whether the bridge is created with VLAN filtering (`vlan` set or `vlanTrunk` present).
    let filtering: Bool

    /// Whether the port gets VLANs of its own.
    var isEnabled: Bool { access != 0 || !trunk.isEmpty }

    init(vlan: Int, trunk entries: [TrunkEntry]?, preserveDefault: Bool) throws(CNIError) {
        guard (0...4094).contains(vlan) else {
            throw CNIError(.invalidNetworkConfig, "invalid VLAN ID \(vlan) (must be between 0 and 4094)")
        }
        let trunk = try Self.collectTrunk(entries ?? [])
        // Only an access port (untagged) or a trunk port (tagged), as the reference.
        guard vlan == 0 || trunk.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "cannot set vlan and vlanTrunk at the same time")
        }
        access = UInt16(vlan)
        self.trunk = trunk
        self.preserveDefault = preserveDefault
        filtering = vlan != 0 || entries != nil
    }

    /// The reference's `collectVlanTrunk`: ranges need both ends within 1–4094 in order, single IDs
    /// within 1–4094; an entry with neither adds nothing.
    static func collectTrunk(_ entries: [TrunkEntry]) throws(CNIError) -> [UInt16] {
        func invalid(_ message: String) -> CNIError { CNIError(.invalidNetworkConfig, message) }
        var vlans: Set<Int> = []
        for entry in entries {
            switch (entry.minID, entry.maxID) {
            case let (minID?, maxID?):
                guard (1...4094).contains(minID) else { throw invalid("incorrect trunk minID parameter") }
                guard (1...4094).contains(maxID) else { throw invalid("incorrect trunk maxID parameter") }
                guard minID <= maxID else { throw invalid("minID is greater than maxID in trunk parameter") }
                vlans.formUnion(minID...maxID)
            case (nil, _?):
                throw invalid("minID and maxID should be configured simultaneously, minID is missing")
            case (_?, nil):
                throw invalid("minID and maxID should be configured simultaneously, maxID is missing")
            case (nil, nil):
                break
            }
            if let id = entry.id {
                guard (1...4094).contains(id) else { throw invalid("incorrect trunk id parameter") }
                vlans.insert(id)
            }
        }
        return vlans.sorted().map { UInt16($0) }
    }

    /// Puts `port` into its VLANs (the reference's `setupVeth`): drops the VLANs the port came with
    /// unless `preserveDefaultVlan`, then the access VLAN as PVID/untagged, or the trunk VLANs tagged.
    func apply(_ netlink: RouteNetlink, port: String) throws {
        guard isEnabled else { return }
        do {
            if !preserveDefault {
                for vlan in try netlink.bridgeVLANs(.name(port)) { try netlink.deleteBridgeVLAN(vlan.id, from: .name(port)) }
            }
            if access != 0 { try netlink.addBridgeVLAN(BridgeVLAN(id: access, isPVID: true, isUntagged: true), to: .name(port)) }
            for id in trunk { try netlink.addBridgeVLAN(BridgeVLAN(id: id), to: .name(port)) }
        } catch let error as NetlinkError {
            throw CNIError(.networkSetupFailure, "failed to setup vlan tag on interface \"\(port)\": \(error.goText)",
                           details: String(describing: error))
        }
    }

    /// The reference's answer when the kernel will not create `bridge` with VLAN filtering (no
    /// `CONFIG_BRIDGE_VLAN_FILTERING`): code 999, `failed to create bridge "b": could not add "b":
    /// operation not supported`; `cause` (the kernel's errno) goes into `details`.
    static func unsupported(bridge: String, _ cause: NetlinkError) -> CNIError {
        CNIError(.internalFailure, "failed to create bridge \"\(bridge)\": could not add \"\(bridge)\": \(cause.goText)",
                 details: String(describing: cause))
    }
}

extension NetlinkError {
    /// The errno text as Go's `syscall.Errno` prints it (glibc's, first letter lowered), so messages
    /// read like the reference plugins'.
    var goText: String {
        guard let first = message.first else { return message }
        return first.lowercased() + message.dropFirst()
    }
}
