import Foundation

/// core/v1 `Binding`: the body the scheduler POSTs to `pods/{name}/binding` to assign a pod to a node.
/// It is a subresource body, not a stored kind, so it is not in `KubeKinds.all`.
public struct Binding: KubeObject {
    public static let resource = ResourceInfo(group: "", version: "v1", plural: "bindings", singular: "binding", kind: "Binding", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var target: ObjectReference

    public init(metadata: ObjectMeta = ObjectMeta(), target: ObjectReference = ObjectReference()) {
        self.apiVersion = Self.resource.groupVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.target = target
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, target }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        target = try c.decodeIfPresent(ObjectReference.self, forKey: .target) ?? ObjectReference()
    }
}
