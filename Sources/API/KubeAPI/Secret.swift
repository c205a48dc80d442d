import Foundation

/// core/v1 `Secret`: sensitive data. `data` values are base64 text; `stringData` is write-only plain text.
public struct Secret: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "secrets", singular: "secret", kind: "Secret", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var immutable: Bool?
    public var data: [String: String]?
    public var stringData: [String: String]?
    /// `Opaque`, `kubernetes.io/service-account-token`, `kubernetes.io/dockerconfigjson`, `kubernetes.io/tls`, …
    public var type: String?

    public init(
        metadata: ObjectMeta = ObjectMeta(),
        immutable: Bool? = nil,
        data: [String: String]? = nil,
        stringData: [String: String]? = nil,
        type: String? = nil
    ) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.immutable = immutable
        self.data = data
        self.stringData = stringData
        self.type = type
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, immutable, data, stringData, type }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        immutable = try c.decodeIfPresent(Bool.self, forKey: .immutable)
        data = try c.decodeIfPresent([String: String].self, forKey: .data)
        stringData = try c.decodeIfPresent([String: String].self, forKey: .stringData)
        type = try c.decodeIfPresent(String.self, forKey: .type)
    }
}
