import FoundationEssentials

/// One plugin's network configuration: the raw JSON object plus a typed view of the keys every plugin
/// and runtime reads.
///
/// The raw object is the source of truth, so keys a plugin does not model (`bridge`, `ipMasq`, …) pass
/// through the runtime untouched, and libcni-style injection (`name`, `cniVersion`, `prevResult`,
/// `runtimeConfig`) is an edit of ``raw``. A plugin reads its own keys with ``decode(_:)``.
///
/// The serialized object is kept next to ``raw`` (the bytes given, or encoded once), so the typed views,
/// ``decode(_:)`` and ``json()`` (the delegated IPAM plugin's stdin) never re-encode it: a plugin run
/// decodes its configuration several times, and each re-encoding was a measurable part of it.
///
///     let config = try NetworkConfig(json: stdin)
///     struct Bridge: Decodable { var bridge: String? }
///     let bridge = try config.decode(Bridge.self)
public struct NetworkConfig: Sendable, Hashable {
    /// The whole JSON object as given. A configuration read from bytes (a plugin's stdin) parses it on
    /// each use: a plugin reads its typed views, not this, and building the tree of every key was a
    /// measurable part of a plugin process's run.
    public var raw: [String: JSONValue] {
        parsedRaw ?? (try? JSONCoding.decode([String: JSONValue].self, from: encoded)) ?? [:]
    }
    /// ``raw`` when the configuration was built from it.
    private let parsedRaw: [String: JSONValue]?
    /// `cniVersion`; `0.1.0` when absent, as libcni assumes.
    public let cniVersion: CNIVersion
    /// `name`; empty inside a conflist's `plugins`, where the runtime injects it.
    public let name: String
    /// `type`: the plugin binary to run.
    public let type: String
    /// `capabilities`: which runtimeConfig keys the plugin wants injected.
    public let capabilities: [String: Bool]
    /// `ipam.type`, when the plugin delegates address management.
    public let ipamType: String?
    /// `cni.dev/valid-attachments`, given to GC.
    public let validAttachments: [GCAttachment]?
    /// ``raw`` serialized: the bytes it was parsed from, or its one encoding.
    private let encoded: Data

    /// Parses a configuration object; malformed JSON, anything but an object, or wrongly typed
    /// well-known keys are code 6.
    public init(json: Data) throws(CNIError) {
        try self.init(raw: nil, encoded: json)
    }

    /// Builds the typed view over an already-parsed object.
    public init(raw: [String: JSONValue]) throws(CNIError) {
        let encoded: Data
        do {
            encoded = try JSONCoding.encode(raw)
        } catch {
            throw CNIError(.decodingFailure, "error unmarshalling network config", details: String(describing: error))
        }
        try self.init(raw: raw, encoded: encoded)
    }

    /// `raw` (when parsed already) and its serialization `encoded` (which must say the same).
    private init(raw: [String: JSONValue]?, encoded: Data) throws(CNIError) {
        let view: WellKnownKeys
        do {
            view = try JSONCoding.decode(WellKnownKeys.self, from: encoded)
        } catch {
            throw CNIError(.decodingFailure, "error unmarshalling network config", details: String(describing: error))
        }
        self.parsedRaw = raw
        self.encoded = encoded
        cniVersion = try CNIVersion(parsing: view.cniVersion ?? "")
        name = view.name ?? ""
        type = view.type ?? ""
        capabilities = view.capabilities ?? [:]
        ipamType = view.ipam?.type
        validAttachments = view.validAttachments
    }

    /// This configuration with `values` set at the top level (libcni's `InjectConf`).
    public func injecting(_ values: [String: JSONValue]) throws(CNIError) -> NetworkConfig {
        try NetworkConfig(raw: raw.merging(values) { _, new in new })
    }

    /// The serialized object, to write to a plugin's stdin (as a plugin received it, when it did).
    public func json() throws(CNIError) -> Data { encoded }

    /// Decodes the plugin-specific view `T` from the whole object; type errors are code 6.
    public func decode<T: Decodable>(_ type: T.Type) throws(CNIError) -> T {
        do {
            return try JSONCoding.decode(type, from: encoded)
        } catch {
            throw CNIError(.decodingFailure, "error unmarshalling network config", details: String(describing: error))
        }
    }

    /// `cni.dev/valid-attachments` for GC; its absence is code 7, so a malformed GC request can never
    /// be mistaken for "no attachment is valid".
    public func requiredValidAttachments() throws(CNIError) -> [GCAttachment] {
        guard let validAttachments else {
            throw CNIError(.invalidNetworkConfig, "GC requires cni.dev/valid-attachments")
        }
        return validAttachments
    }

    /// `prevResult`, converted to this configuration's version, or `nil` when absent.
    public func previousResult() throws(CNIError) -> CNIResult? {
        guard let value = raw["prevResult"], value != .null else { return nil }
        let data: Data
        do {
            data = try JSONCoding.encode(value)
        } catch {
            throw CNIError(.decodingFailure, "could not serialize prevResult", details: String(describing: error))
        }
        return try CNIResult.decode(from: data, fallbackVersion: cniVersion).converted(to: cniVersion)
    }

    private struct WellKnownKeys: Decodable {
        struct IPAM: Decodable { var type: String? }
        var cniVersion: String?
        var name: String?
        var type: String?
        var capabilities: [String: Bool]?
        var ipam: IPAM?
        var validAttachments: [GCAttachment]?

        enum CodingKeys: String, CodingKey {
            case cniVersion, name, type, capabilities, ipam
            case validAttachments = "cni.dev/valid-attachments"
        }
    }

    // Equal when the objects are, however they were written.
    public static func == (lhs: NetworkConfig, rhs: NetworkConfig) -> Bool { lhs.raw == rhs.raw }
    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }
}

/// An attachment the runtime still uses, as GC receives them in `cni.dev/valid-attachments`.
public struct GCAttachment: Sendable, Hashable, Codable {
    public var containerID: String
    public var ifname: String

    public init(containerID: String, ifname: String) {
        self.containerID = containerID
        self.ifname = ifname
    }
}
