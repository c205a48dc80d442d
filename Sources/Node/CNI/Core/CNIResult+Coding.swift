import FoundationEssentials
import LinuxSystem

extension CNIResult: Codable {
    private enum CodingKeys: String, CodingKey {
        case cniVersion, interfaces, ips, routes, dns
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cniVersion = try container.decodeIfPresent(CNIVersion.self, forKey: .cniVersion) ?? CNIVersion(0, 1, 0)
        guard CNIVersion.supported.contains(cniVersion) else {
            throw DecodingError.dataCorruptedError(
                forKey: .cniVersion, in: container, debugDescription: "unsupported CNI result version \"\(cniVersion)\"")
        }
        interfaces = try container.decodeIfPresent([Interface].self, forKey: .interfaces) ?? []
        ips = try container.decodeIfPresent([IPConfig].self, forKey: .ips) ?? []
        routes = try container.decodeIfPresent([Route].self, forKey: .routes) ?? []
        dns = try container.decodeIfPresent(DNS.self, forKey: .dns) ?? DNS()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let legacy = cniVersion.major == 0
        try container.encode(cniVersion, forKey: .cniVersion)
        if !interfaces.isEmpty { try container.encode(interfaces, forKey: .interfaces) }
        if !ips.isEmpty {
            var list = container.nestedUnkeyedContainer(forKey: .ips)
            for ip in ips { try ip.encode(to: list.superEncoder(), legacy: legacy) }
        }
        if !routes.isEmpty { try container.encode(routes, forKey: .routes) }
        // Go's 0.x types print the DNS struct even when empty; 1.x drops an empty one.
        if legacy || !dns.isEmpty { try container.encode(dns, forKey: .dns) }
    }

    /// Decodes a plugin's stdout; a result without `cniVersion` takes `fallbackVersion` (libcni's
    /// `fixupResultVersion`). Failures are code 6.
    public static func decode(from data: Data, fallbackVersion: CNIVersion) throws(CNIError) -> CNIResult {
        do {
            var object = try JSONCoding.decode([String: JSONValue].self, from: data)
            if (object["cniVersion"]?.stringValue ?? "").isEmpty {
                object["cniVersion"] = .string(fallbackVersion.description)
            }
            return try JSONCoding.decode(CNIResult.self, from: JSONCoding.encode(object))
        } catch {
            throw CNIError(.decodingFailure, "failed to decode CNI result", details: String(describing: error))
        }
    }

    /// The JSON of this result (in its own version's shape).
    public func json(pretty: Bool = true) throws(CNIError) -> Data {
        do {
            return try pretty ? JSONCoding.encodePretty(self) : JSONCoding.encode(self)
        } catch {
            throw CNIError(.ioFailure, "failed to encode CNI result", details: String(describing: error))
        }
    }
}

extension CNIResult.IPConfig: Codable {
    private enum CodingKeys: String, CodingKey {
        case version, interface, address, gateway
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        interface = try container.decodeIfPresent(Int.self, forKey: .interface)
        address = try container.decodeNetwork(forKey: .address)
        gateway = try container.decodeAddressIfPresent(forKey: .gateway)
    }

    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, legacy: false)
    }

    /// Encodes with the 0.x `version` tag when `legacy`.
    func encode(to encoder: any Encoder, legacy: Bool) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if legacy { try container.encode(address.address.isIPv4 ? "4" : "6", forKey: .version) }
        try container.encodeIfPresent(interface, forKey: .interface)
        try container.encode(address.description, forKey: .address)
        try container.encodeIfPresent(gateway?.description, forKey: .gateway)
    }
}

extension CNIResult.Route: Codable {
    private enum CodingKeys: String, CodingKey {
        case dst, gw, mtu, advmss, priority, table, scope
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        destination = try container.decodeNetwork(forKey: .dst)
        gateway = try container.decodeAddressIfPresent(forKey: .gw)
        mtu = try container.decodeIfPresent(Int.self, forKey: .mtu)
        advmss = try container.decodeIfPresent(Int.self, forKey: .advmss)
        priority = try container.decodeIfPresent(Int.self, forKey: .priority)
        table = try container.decodeIfPresent(Int.self, forKey: .table)
        scope = try container.decodeIfPresent(Int.self, forKey: .scope)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(destination.description, forKey: .dst)
        try container.encodeIfPresent(gateway?.description, forKey: .gw)
        // Go omits zero ints here (`omitempty`).
        for (value, key) in [(mtu, CodingKeys.mtu), (advmss, .advmss), (priority, .priority)] where (value ?? 0) != 0 {
            try container.encodeIfPresent(value, forKey: key)
        }
        try container.encodeIfPresent(table, forKey: .table)
        try container.encodeIfPresent(scope, forKey: .scope)
    }
}

extension KeyedDecodingContainer {
    /// Decodes CIDR text (`10.0.0.2/24`) at `key`.
    func decodeNetwork(forKey key: Key) throws -> IPNetwork {
        let text = try decode(String.self, forKey: key)
        guard let network = IPNetwork(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "invalid CIDR \"\(text)\"")
        }
        return network
    }

    /// Decodes an optional address at `key`; an empty string counts as absent.
    func decodeAddressIfPresent(forKey key: Key) throws -> IPAddress? {
        guard let text = try decodeIfPresent(String.self, forKey: key), !text.isEmpty else { return nil }
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "invalid IP \"\(text)\"")
        }
        return address
    }
}
