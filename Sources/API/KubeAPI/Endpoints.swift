import Foundation

/// core/v1 `Endpoints`: the legacy flat list of a service's backends (superseded by EndpointSlice).
public struct Endpoints: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "endpoints", singular: "endpoints", kind: "Endpoints", namespaced: true, shortNames: ["ep"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subsets: [EndpointSubset]?

    public init(metadata: ObjectMeta = ObjectMeta(), subsets: [EndpointSubset]? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.subsets = subsets
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, subsets }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        subsets = try c.decodeIfPresent([EndpointSubset].self, forKey: .subsets)
    }
}

/// core/v1 `EndpointSubset`: addresses that share the same ports.
public struct EndpointSubset: Codable, Sendable, Hashable {
    public var addresses: [EndpointAddress]?
    public var notReadyAddresses: [EndpointAddress]?
    public var ports: [EndpointPort]?

    public init(addresses: [EndpointAddress]? = nil, notReadyAddresses: [EndpointAddress]? = nil, ports: [EndpointPort]? = nil) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }
}

/// core/v1 `EndpointAddress`.
public struct EndpointAddress: Codable, Sendable, Hashable {
    public var ip: String
    public var hostname: String?
    public var nodeName: String?
    public var targetRef: ObjectReference?

    public init(
        ip: String,
        hostname: String? = nil,
        nodeName: String? = nil,
        targetRef: ObjectReference? = nil
    ) {
        self.ip = ip
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }

    enum CodingKeys: String, CodingKey { case ip, hostname, nodeName, targetRef }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ip = try c.decodeIfPresent(String.self, forKey: .ip) ?? ""
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        nodeName = try c.decodeIfPresent(String.self, forKey: .nodeName)
        targetRef = try c.decodeIfPresent(ObjectReference.self, forKey: .targetRef)
    }
}

/// core/v1 `EndpointPort` (the discovery/v1 one is `EndpointSlicePort`).
public struct EndpointPort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int32
    public var `protocol`: String?
    public var appProtocol: String?

    public init(
        name: String? = nil,
        port: Int32,
        `protocol`: String? = nil,
        appProtocol: String? = nil
    ) {
        self.name = name
        self.port = port
        self.`protocol` = `protocol`
        self.appProtocol = appProtocol
    }

    enum CodingKeys: String, CodingKey { case name, port, `protocol`, appProtocol }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        port = try c.decodeIfPresent(Int32.self, forKey: .port) ?? 0
        `protocol` = try c.decodeIfPresent(String.self, forKey: .`protocol`)
        appProtocol = try c.decodeIfPresent(String.self, forKey: .appProtocol)
    }
}
