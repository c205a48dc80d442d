import Foundation

/// core/v1 `LimitRange`: per-namespace bounds on the compute resources of each container or pod and on the storage of
/// each claim, and the requests and limits a container gets when it names none. The LimitRanger admission plugin
/// applies it to pods and claims as they are created.
public struct LimitRange: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "limitranges", singular: "limitrange",
                                              kind: "LimitRange", namespaced: true, shortNames: ["limits"])

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: LimitRangeSpec?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: LimitRangeSpec? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(LimitRangeSpec.self, forKey: .spec)
    }

    /// The `type` of a limit: a container, a pod (the sum over its containers) or a claim.
    public static let containerType = "Container"
    public static let podType = "Pod"
    public static let claimType = "PersistentVolumeClaim"
}

/// core/v1 `LimitRangeSpec`: the limits, at most one per type. `limits` is required upstream, so it is always encoded.
public struct LimitRangeSpec: Codable, Sendable, Hashable {
    public var limits: [LimitRangeItem]

    public init(limits: [LimitRangeItem] = []) { self.limits = limits }

    enum CodingKeys: String, CodingKey { case limits }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        limits = try c.decodeIfPresent([LimitRangeItem].self, forKey: .limits) ?? []
    }
}

/// core/v1 `LimitRangeItem`: the bounds for one `type` (`Container`, `Pod`, `PersistentVolumeClaim`): `min` and `max`
/// per resource, the largest limit/request ratio, and for containers the limits (`default`) and requests
/// (`defaultRequest`) filled in where a container names none.
public struct LimitRangeItem: Codable, Sendable, Hashable {
    public var type: String
    public var max: [String: Quantity]?
    public var min: [String: Quantity]?
    public var `default`: [String: Quantity]?
    public var defaultRequest: [String: Quantity]?
    public var maxLimitRequestRatio: [String: Quantity]?

    public init(type: String, max: [String: Quantity]? = nil, min: [String: Quantity]? = nil, default: [String: Quantity]? = nil,
                defaultRequest: [String: Quantity]? = nil, maxLimitRequestRatio: [String: Quantity]? = nil) {
        self.type = type
        self.max = max
        self.min = min
        self.default = `default`
        self.defaultRequest = defaultRequest
        self.maxLimitRequestRatio = maxLimitRequestRatio
    }

    enum CodingKeys: String, CodingKey { case type, max, min, `default`, defaultRequest, maxLimitRequestRatio }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? ""
        max = try c.decodeIfPresent([String: Quantity].self, forKey: .max)
        min = try c.decodeIfPresent([String: Quantity].self, forKey: .min)
        `default` = try c.decodeIfPresent([String: Quantity].self, forKey: .default)
        defaultRequest = try c.decodeIfPresent([String: Quantity].self, forKey: .defaultRequest)
        maxLimitRequestRatio = try c.decodeIfPresent([String: Quantity].self, forKey: .maxLimitRequestRatio)
    }
}
