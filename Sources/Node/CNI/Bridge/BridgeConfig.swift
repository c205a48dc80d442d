/// The bridge plugin's configuration, with the reference's keys and defaults.
///
///     {"type": "swiftlet-bridge", "bridge": "swiftlet0", "isGateway": true, "ipMasq": true,
///      "hairpinMode": true, "mtu": 1500, "ipam": {"type": "swiftlet-host-local", ...}}
///
/// `isDefaultGateway` implies `isGateway`. Keys of the reference that Swiftlet does not implement yet
/// (`vlan`, `vlanTrunk`, `macspoofchk`, `promiscMode`, `disableContainerInterface`,
/// `portIsolation`) are refused with code 2 rather than silently ignored.
struct BridgeConfig: Sendable {
    static let defaultBridge = "cni0"

    let bridge: String
    let isGateway: Bool
    let isDefaultGateway: Bool
    let forceAddress: Bool
    let ipMasq: Bool
    let mtu: UInt32?
    let hairpinMode: Bool
    let dns: CNIResult.DNS?

    init(_ config: NetworkConfig) throws(CNIError) {
        let document = try config.decode(Document.self)
        for (key, isSet) in [
            ("vlan", (document.vlan ?? 0) != 0), ("vlanTrunk", document.vlanTrunk != nil),
            ("macspoofchk", document.macspoofchk == true), ("promiscMode", document.promiscMode == true),
            ("disableContainerInterface", document.disableContainerInterface == true),
            ("portIsolation", document.portIsolation == true),
        ] where isSet {
            throw CNIError(.unsupportedField, "bridge: \(key) is not supported")
        }
        guard config.ipamType?.isEmpty == false else {
            throw CNIError(.invalidNetworkConfig, "bridge: an ipam plugin is required")
        }
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
        dns = document.dns.flatMap { $0.isEmpty ? nil : $0 }
    }

    private struct Document: Decodable {
        var bridge: String?
        var isGateway: Bool?
        var isDefaultGateway: Bool?
        var forceAddress: Bool?
        var ipMasq: Bool?
        var mtu: Int?
        var hairpinMode: Bool?
        var promiscMode: Bool?
        var vlan: Int?
        var vlanTrunk: JSONValue?
        var macspoofchk: Bool?
        var disableContainerInterface: Bool?
        var portIsolation: Bool?
        var dns: CNIResult.DNS?
    }
}
