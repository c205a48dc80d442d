import LinuxSystem

/// The portmap plugin's configuration with the reference's keys and defaults: `snat` (default true),
/// `masqAll`, `markMasqBit` (0–31, default 13), `externalSetMarkChain`, `conditionsV4`/`conditionsV6`
/// and `runtimeConfig.portMappings`; plus the container addresses taken from `prevResult`.
///
/// The nftables layout masquerades by address, as the reference's nftables backend does, so
/// `markMasqBit` and `externalSetMarkChain` are validated (they are mutually exclusive) but select
/// nothing.
struct PortmapConfig: Sendable {
    static let defaultMarkBit = 13

    let network: String
    let snat: Bool
    let masqAll: Bool
    let conditionsV4: [String]
    let conditionsV6: [String]
    let mappings: [PortMapping]
    /// The previous plugin's result; `nil` when the plugin was not chained.
    let previous: CNIResult?

    init(_ config: NetworkConfig) throws(CNIError) {
        let document = try config.decode(Document.self)
        if document.markMasqBit != nil, document.externalSetMarkChain != nil {
            throw CNIError(.invalidNetworkConfig, "portmap: Cannot specify externalSetMarkChain and markMasqBit")
        }
        guard (0...31).contains(document.markMasqBit ?? Self.defaultMarkBit) else {
            throw CNIError(.invalidNetworkConfig, "portmap: MasqMarkBit must be between 0 and 31")
        }
        let mappings = document.runtimeConfig?.portMappings ?? []
        for mapping in mappings { try mapping.validate() }
        network = config.name
        snat = document.snat ?? true
        masqAll = document.masqAll ?? false
        conditionsV4 = document.conditionsV4 ?? []
        conditionsV6 = document.conditionsV6 ?? []
        self.mappings = mappings
        previous = try config.previousResult()
    }

    /// The conditions for `family`.
    func conditions(_ family: IPFamily) -> [String] { family == .v4 ? conditionsV4 : conditionsV6 }

    /// The reference's choice of container addresses: per family the first IP of `prevResult` that is
    /// not known to sit on another interface than `ifName` in the sandbox.
    func containerAddresses(ifName: String) -> [IPAddress] {
        guard let previous else { return [] }
        var chosen: [IPFamily: IPAddress] = [:]
        for ip in previous.ips where chosen[ip.address.address.family] == nil {
            if let index = ip.interface, previous.interfaces.indices.contains(index) {
                let interface = previous.interfaces[index]
                if interface.name != ifName || (interface.sandbox ?? "").isEmpty { continue }
            }
            chosen[ip.address.address.family] = ip.address.address
        }
        return [IPFamily.v4, .v6].compactMap { chosen[$0] }
    }

    private struct Document: Decodable {
        struct RuntimeConfig: Decodable { var portMappings: [PortMapping]? }
        var snat: Bool?
        var masqAll: Bool?
        var markMasqBit: Int?
        var externalSetMarkChain: String?
        var conditionsV4: [String]?
        var conditionsV6: [String]?
        var runtimeConfig: RuntimeConfig?
    }
}
