import Foundation

/// autoscaling/v1 `Scale`: the body of the `/scale` subresource (`kubectl scale`).
/// It is a subresource body, not a stored kind, so it is not in `KubeKinds.all`.
public struct Scale: KubeObject {
    public static let resource = ResourceInfo(group: "autoscaling", version: "v1", plural: "scale", singular: "scale", kind: "Scale", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ScaleSpec?
    public var status: ScaleStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: ScaleSpec? = nil, status: ScaleStatus? = nil) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try c.decodeIfPresent(ScaleSpec.self, forKey: .spec)
        status = try c.decodeIfPresent(ScaleStatus.self, forKey: .status)
    }
}

/// autoscaling/v1 `ScaleSpec`.
public struct ScaleSpec: Codable, Sendable, Hashable {
    public var replicas: Int32?

    public init(replicas: Int32? = nil) {
        self.replicas = replicas
    }
}

/// autoscaling/v1 `ScaleStatus`: observed replicas and the label selector in query-string form.
public struct ScaleStatus: Codable, Sendable, Hashable {
    public var replicas: Int32
    public var selector: String?

    public init(replicas: Int32 = 0, selector: String? = nil) {
        self.replicas = replicas
        self.selector = selector
    }

    enum CodingKeys: String, CodingKey { case replicas, selector }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        replicas = try c.decodeIfPresent(Int32.self, forKey: .replicas) ?? 0
        selector = try c.decodeIfPresent(String.self, forKey: .selector)
    }
}
