import Foundation

/// discovery.k8s.io/v1 `EndpointSlice`: up to 100 endpoints of a service (label `kubernetes.io/service-name`).
public struct EndpointSlice: KubeObject {
    public static let resource = ResourceInfo(group: "discovery.k8s.io", version: "v1", plural: "endpointslices", singular: "endpointslice", kind: "EndpointSlice", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// `IPv4`, `IPv6` or `FQDN`.
    public var addressType: String
    /// Required upstream (`json:"endpoints"`), so it is always encoded.
    public var endpoints: [Endpoint]
    public var ports: [EndpointSlicePort]?

    public init(
        metadata: ObjectMeta = ObjectMeta(),
        addressType: String = "IPv4",
        endpoints: [Endpoint] = [],
        ports: [EndpointSlicePort]? = nil
    ) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, addressType, endpoints, ports }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        addressType = try c.decodeIfPresent(String.self, forKey: .addressType) ?? ""
        endpoints = try c.decodeIfPresent([Endpoint].self, forKey: .endpoints) ?? []
        ports = try c.decodeIfPresent([EndpointSlicePort].self, forKey: .ports)
    }
}

/// discovery/v1 `Endpoint`: one backend of an EndpointSlice.
public struct Endpoint: Codable, Sendable, Hashable {
    public var addresses: [String]
    public var conditions: EndpointConditions?
    public var hostname: String?
    public var targetRef: ObjectReference?
    public var deprecatedTopology: [String: String]?
    public var nodeName: String?
    public var zone: String?
    public var hints: EndpointHints?

    public init(
        addresses: [String] = [],
        conditions: EndpointConditions? = nil,
        hostname: String? = nil,
        targetRef: ObjectReference? = nil,
        deprecatedTopology: [String: String]? = nil,
        nodeName: String? = nil,
        zone: String? = nil,
        hints: EndpointHints? = nil
    ) {
        self.addresses = addresses
        self.conditions = conditions
        self.hostname = hostname
        self.targetRef = targetRef
        self.deprecatedTopology = deprecatedTopology
        self.nodeName = nodeName
        self.zone = zone
        self.hints = hints
    }

    enum CodingKeys: String, CodingKey { case addresses, conditions, hostname, targetRef, deprecatedTopology, nodeName, zone, hints }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        addresses = try c.decodeIfPresent([String].self, forKey: .addresses) ?? []
        conditions = try c.decodeIfPresent(EndpointConditions.self, forKey: .conditions)
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        targetRef = try c.decodeIfPresent(ObjectReference.self, forKey: .targetRef)
        deprecatedTopology = try c.decodeIfPresent([String: String].self, forKey: .deprecatedTopology)
        nodeName = try c.decodeIfPresent(String.self, forKey: .nodeName)
        zone = try c.decodeIfPresent(String.self, forKey: .zone)
        hints = try c.decodeIfPresent(EndpointHints.self, forKey: .hints)
    }
}

/// discovery/v1 `EndpointConditions`: `nil` ready means unknown and is treated as ready.
public struct EndpointConditions: Codable, Sendable, Hashable {
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?

    public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }
}

/// discovery/v1 `EndpointHints`: topology-aware routing hints.
public struct EndpointHints: Codable, Sendable, Hashable {
    public var forZones: [ForZone]?
    public var forNodes: [ForNode]?

    public init(forZones: [ForZone]? = nil, forNodes: [ForNode]? = nil) {
        self.forZones = forZones
        self.forNodes = forNodes
    }
}

/// discovery/v1 `ForZone`.
public struct ForZone: Codable, Sendable, Hashable {
    public var name: String

    public init(name: String) {
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
    }
}

/// discovery/v1 `ForNode`.
public struct ForNode: Codable, Sendable, Hashable {
    public var name: String

    public init(name: String) {
        self.name = name
    }

    enum CodingKeys: String, CodingKey { case name }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
    }
}

/// discovery/v1 `EndpointPort` (named `EndpointSlicePort` here to keep it apart from the core/v1 `EndpointPort`).
public struct EndpointSlicePort: Codable, Sendable, Hashable {
    public var name: String?
    public var `protocol`: String?
    public var port: Int32?
    public var appProtocol: String?

    public init(
        name: String? = nil,
        `protocol`: String? = nil,
        port: Int32? = nil,
        appProtocol: String? = nil
    ) {
        self.name = name
        self.`protocol` = `protocol`
        self.port = port
        self.appProtocol = appProtocol
    }
}
