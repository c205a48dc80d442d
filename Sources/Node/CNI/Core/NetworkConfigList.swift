import FoundationEssentials

/// A `.conflist`: a named chain of plugin configurations run in order for ADD and in reverse for DEL.
///
/// Parsed like libcni's `NetworkConfFromBytes`: `name` is required; the effective `cniVersion` is the
/// newest of `cniVersion` and `cniVersions` this runtime supports; `disableCheck`/`disableGC` accept
/// booleans or `"true"`/`"false"`; every plugin needs a `type`. The raw object is kept for the cache.
///
///     let list = try NetworkConfigList(json: Data(contentsOf: URL(fileURLWithPath: "10-swiftlet.conflist")))
///     list.plugins.map(\.type)   // ["swiftlet-bridge", "portmap"]
public struct NetworkConfigList: Sendable, Hashable {
    public let raw: [String: JSONValue]
    public let name: String
    public let cniVersion: CNIVersion
    public let disableCheck: Bool
    public let disableGC: Bool
    public let plugins: [NetworkConfig]

    /// Parses a conflist; malformed JSON is code 6, a missing name or plugin type code 7.
    public init(json: Data) throws(CNIError) {
        let raw: [String: JSONValue]
        do {
            raw = try JSONCoding.decode([String: JSONValue].self, from: json)
        } catch {
            throw CNIError(.decodingFailure, "error parsing configuration list", details: String(describing: error))
        }
        try self.init(raw: raw)
    }

    /// Builds the list from a parsed object.
    public init(raw: [String: JSONValue]) throws(CNIError) {
        guard case .string(let name)? = raw["name"], !name.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "error parsing configuration list: no name")
        }
        self.raw = raw
        self.name = name
        self.cniVersion = try Self.effectiveVersion(raw)
        self.disableCheck = try Self.flag(raw, "disableCheck")
        self.disableGC = try Self.flag(raw, "disableGC")
        guard case .array(let entries)? = raw["plugins"], !entries.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "error parsing configuration list: no plugins in list")
        }
        var plugins: [NetworkConfig] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let object) = entry else {
                throw CNIError(.decodingFailure, "failed to parse plugin config \(index): not an object")
            }
            let plugin = try NetworkConfig(raw: object)
            guard !plugin.type.isEmpty else {
                throw CNIError(.invalidNetworkConfig, "failed to parse plugin config \(index): missing 'type'")
            }
            plugins.append(plugin)
        }
        self.plugins = plugins
    }

    /// Wraps a single `.conf` as a one-plugin list (libcni's `ConfListFromConf`).
    public init(single config: NetworkConfig) throws(CNIError) {
        try self.init(raw: [
            "name": .string(config.name),
            "cniVersion": .string(config.cniVersion.description),
            "plugins": .array([.object(config.raw)]),
        ])
    }

    /// The serialized list, as the result cache stores it.
    public func json() throws(CNIError) -> Data {
        do {
            return try JSONCoding.encode(raw)
        } catch {
            throw CNIError(.ioFailure, "failed to encode network config list", details: String(describing: error))
        }
    }

    private static func effectiveVersion(_ raw: [String: JSONValue]) throws(CNIError) -> CNIVersion {
        var candidates: [CNIVersion] = []
        if let value = raw["cniVersion"] {
            guard case .string(let text) = value else {
                throw CNIError(.decodingFailure, "error parsing configuration list: invalid cniVersion type")
            }
            candidates.append(try CNIVersion(parsing: text))
        }
        if let value = raw["cniVersions"] {
            guard case .array(let entries) = value else {
                throw CNIError(.decodingFailure, "error parsing configuration list: invalid type for cniVersions")
            }
            for entry in entries {
                guard case .string(let text) = entry else {
                    throw CNIError(.decodingFailure, "error parsing configuration list: invalid type in cniVersions")
                }
                candidates.append(try CNIVersion(parsing: text))
            }
        }
        let usable = candidates.filter { $0 <= .current }
        return usable.max() ?? candidates.first ?? CNIVersion(0, 1, 0)
    }

    private static func flag(_ raw: [String: JSONValue], _ key: String) throws(CNIError) -> Bool {
        switch raw[key] {
        case nil: return false
        case .bool(let value)?: return value
        case .string(let text)? where text.lowercased() == "true": return true
        case .string(let text)? where text.lowercased() == "false": return false
        default: throw CNIError(.decodingFailure, "error parsing configuration list: invalid value for \(key)")
        }
    }
}
