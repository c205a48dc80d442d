import LinuxSystem

/// The bridge plugin's configuration, with the reference's keys and defaults.
///
///     {"type": "swiftlet-bridge", "bridge": "swiftlet0", "isGateway": true, "ipMasq": true,
///      "hairpinMode": true, "mtu": 1500, "ipam": {"type": "swiftlet-host-local", ...}}
///
/// `isDefaultGateway` implies `isGateway`. Without `ipam` the plugin works at layer 2 only (no
/// addresses), which `disableContainerInterface` requires. The container MAC comes from
/// `runtimeConfig.mac`, else `args.cni.mac`, else `MAC=` in `CNI_ARGS` (the reference's order).
struct BridgeConfig: Sendable {
    static let defaultBridge = "cni0"

    let bridge: String
    let isGateway: Bool
    let isDefaultGateway: Bool
    let forceAddress: Bool
    let ipMasq: Bool
    let mtu: UInt32?
    let hairpinMode: Bool
    let promiscMode: Bool
    let vlans: BridgeVLANs
    let macSpoofCheck: Bool
    let enableDAD: Bool
    let disableContainerInterface: Bool
    let portIsolation: Bool
    let mac: MACAddress?
    /// Whether an IPAM plugin hands out addresses (the reference's `isLayer3`).
    let isLayer3: Bool
    let dns: CNIResult.DNS?

    init(_ config: NetworkConfig, args: [(key: String, value: String)] = []) throws(CNIError) {
        let document = try config.decode(Document.self)
        isLayer3 = config.ipamType?.isEmpty == false
        let name = document.bridge ?? ""
        bridge = name.isEmpty ? Self.defaultBridge : name
        guard bridge.utf8.count <= 15, !bridge.contains("/"), !bridge.contains(where: \.isWhitespace) else {
            throw CNIError(.invalidNetworkConfig, "bridge: invalid bridge name \"\(bridge)\"")
        }
        isDefaultGateway = document.isDefaultGateway ?? false
        isGateway = isDefaultGateway || (document.isGateway ?? false)
        forceAddress = document.forceAddress ?? false
        ipMasq = document.ipMasq ?? false
        if let mtu = document.mtu, mtu != 0 {
            guard (68...65535).contains(mtu) else { throw CNIError(.invalidNetworkConfig, "bridge: invalid mtu \(mtu)") }
            self.mtu = UInt32(mtu)
        } else {
            self.mtu = nil
        }
        hairpinMode = document.hairpinMode ?? false
        promiscMode = document.promiscMode ?? false
        guard !(hairpinMode && promiscMode) else {
            throw CNIError(.invalidNetworkConfig, "bridge: cannot set hairpin mode and promiscuous mode at the same time")
        }
        vlans = try BridgeVLANs(vlan: document.vlan ?? 0, trunk: document.vlanTrunk, preserveDefault: document.preserveDefaultVlan ?? true)
        macSpoofCheck = document.macspoofchk ?? false
        enableDAD = document.enabledad ?? false
        disableContainerInterface = document.disableContainerInterface ?? false
        guard !(isLayer3 && disableContainerInterface) else {
            throw CNIError(.invalidNetworkConfig, "bridge: cannot use IPAM when DisableContainerInterface flag is set")
        }
        portIsolation = document.portIsolation ?? false
        let macText = [document.runtimeConfig?.mac, document.args?.cni?.mac, args.last { $0.key == "MAC" }?.value]
            .compactMap { $0 }.first { !$0.isEmpty }
        if let macText {
            guard let parsed = MACAddress(macText) else { throw CNIError(.invalidNetworkConfig, "bridge: invalid MAC address \"\(macText)\"") }
            mac = parsed
        } else {
            mac = nil
        }
        dns = document.dns.flatMap { $0.isEmpty ? nil : $0 }
    }

    private struct Document: Decodable {
        struct MACHolder: Decodable { var mac: String? }
        struct Args: Decodable { var cni: MACHolder? }
        var bridge: String?
        var isGateway: Bool?
        var isDefaultGateway: Bool?
        var forceAddress: Bool?
        var ipMasq: Bool?
        var mtu: Int?
        var hairpinMode: Bool?
        var promiscMode: Bool?
        var vlan: Int?
        var vlanTrunk: [BridgeVLANs.TrunkEntry]?
        var preserveDefaultVlan: Bool?
        var macspoofchk: Bool?
        var enabledad: Bool?
        var disableContainerInterface: Bool?
        var portIsolation: Bool?
        var runtimeConfig: MACHolder?
        var args: Args?
        var dns: CNIResult.DNS?
    }
}
